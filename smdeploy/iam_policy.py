"""Whether identity-based IAM policy documents allow an action on a resource: the part of IAM's
evaluation that ``smdeploy doctor`` (can the deploying function's role pass the SageMaker
role?) and the tests (does the CLI users' policy cover every call the CLI makes?) need.

It follows IAM's policy evaluation logic for identity-based policies
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins, else an Allow is needed, else the request is implicitly denied. A
statement applies when its ``Action`` (or ``NotAction``) matches, its ``Resource`` (or
``NotResource``) matches and every condition holds. Wildcards are ``*`` and ``?``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
actions match without regard to case
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).

What it does not see, and says so to its callers: permissions boundaries, service control
policies, session policies and resource-based policies. AWS's own answer is
iam:SimulatePrincipalPolicy, which the emulator (moto) does not implement; this evaluation is
the one both give the same answer for when a role's identity policies are all there is.
Condition operators: the string and ARN ones
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
with ``...IfExists``; a condition with any other operator is taken not to hold, so that an
Allow is never assumed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

ALLOWED, DENIED, IMPLICIT = "allowed", "explicitly denied", "not allowed"


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``value`` matches ``pattern`` (``*``: any characters, ``?``: one character)."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda want, got: want == got,
    "StringNotEquals": lambda want, got: want != got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringNotEqualsIgnoreCase": lambda want, got: want.lower() != got.lower(),
    "StringLike": lambda want, got: matches(want, got),
    "StringNotLike": lambda want, got: not matches(want, got),
    "ArnEquals": lambda want, got: matches(want, got),
    "ArnLike": lambda want, got: matches(want, got),
    "ArnNotEquals": lambda want, got: not matches(want, got),
    "ArnNotLike": lambda want, got: not matches(want, got),
}
_NEGATED = frozenset(
    ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")
)


def _condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    test = _OPERATORS.get(base)
    if test is None:
        return False  # an operator this evaluation does not know: never assume it holds
    found = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    if found is None:
        return if_exists or base in _NEGATED
    values = _listed(wanted)
    if base in _NEGATED:
        return all(test(want, found) for want in values)
    return any(test(want, found) for want in values)


def _conditions_hold(block: Any, context: Mapping[str, str]) -> bool:
    if not block:
        return True
    return all(
        _condition_holds(operator, key, wanted, context)
        for operator, keys in dict(block).items()
        for key, wanted in dict(keys).items()
    )


def statements(documents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every statement of the documents (a document's ``Statement`` may be one object)."""
    found: list[dict[str, Any]] = []
    for document in documents:
        listed = document.get("Statement") or []
        found.extend([listed] if isinstance(listed, dict) else list(listed))
    return found


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Any) -> bool:
    if "NotAction" in statement:
        acts = not any(
            matches(p, action, ignore_case=True) for p in _listed(statement["NotAction"])
        )
    else:
        acts = any(matches(p, action, ignore_case=True) for p in _listed(statement.get("Action")))
    if "NotResource" in statement:
        on = not any(matches(p, resource) for p in _listed(statement["NotResource"]))
    else:
        on = any(matches(p, resource) for p in _listed(statement.get("Resource")))
    return acts and on and _conditions_hold(statement.get("Condition"), context)


def decide(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> str:
    """:data:`ALLOWED`, :data:`DENIED` (an explicit Deny) or :data:`IMPLICIT` (no Allow)."""
    found = statements(documents)
    context = context or {}
    applying = [s for s in found if _applies(s, action, resource, context)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return DENIED
    if any(s.get("Effect") == "Allow" for s in applying):
        return ALLOWED
    return IMPLICIT


__all__ = ["ALLOWED", "DENIED", "IMPLICIT", "decide", "matches", "statements"]
