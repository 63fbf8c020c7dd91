"""smdeploy.iam_policy: IAM's evaluation of identity policies, as far as doctor and the CLI
policy's tests use it (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from smdeploy.iam_policy import ALLOWED, DENIED, IMPLICIT, decide

ROLE = "arn:aws:iam::111122223333:role/SageMakerExecution"
PASS = {"iam:PassedToService": "sagemaker.amazonaws.com"}


def allow(action: Any, resource: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


ON_SAGEMAKER = {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}

CASES = [
    (
        "exact action, resource and condition",
        [allow("iam:PassRole", ROLE, ON_SAGEMAKER)],
        "iam:PassRole",
        ROLE,
        PASS,
        ALLOWED,
    ),
    (
        "action case does not matter",
        [allow("IAM:passrole", ROLE)],
        "iam:PassRole",
        ROLE,
        {},
        ALLOWED,
    ),
    (
        "wildcards in action and resource",
        [allow("iam:Pass*", "arn:aws:iam::111122223333:role/Sage*")],
        "iam:PassRole",
        ROLE,
        {},
        ALLOWED,
    ),
    (
        "another role",
        [allow("iam:PassRole", "arn:aws:iam::111122223333:role/Other")],
        "iam:PassRole",
        ROLE,
        PASS,
        IMPLICIT,
    ),
    (
        "the condition names another service",
        [
            allow(
                "iam:PassRole",
                ROLE,
                {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            )
        ],
        "iam:PassRole",
        ROLE,
        PASS,
        IMPLICIT,
    ),
    (
        "a condition on a key the request lacks",
        [allow("iam:PassRole", ROLE, ON_SAGEMAKER)],
        "iam:PassRole",
        ROLE,
        {},
        IMPLICIT,
    ),
    (
        "...IfExists on a key the request lacks",
        [allow("iam:PassRole", ROLE, {"StringEqualsIfExists": {"iam:PassedToService": "x"}})],
        "iam:PassRole",
        ROLE,
        {},
        ALLOWED,
    ),
    (
        "an unknown operator never allows",
        [allow("iam:PassRole", ROLE, {"NumericEquals": {"iam:PassedToService": "1"}})],
        "iam:PassRole",
        ROLE,
        PASS,
        IMPLICIT,
    ),
    (
        "a deny wins",
        [
            allow("iam:*", "*"),
            {"Statement": {"Effect": "Deny", "Action": "iam:PassRole", "Resource": ROLE}},
        ],
        "iam:PassRole",
        ROLE,
        PASS,
        DENIED,
    ),
    (
        "NotAction",
        [{"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}],
        "iam:PassRole",
        ROLE,
        PASS,
        IMPLICIT,
    ),
    (
        "NotResource",
        [{"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "NotResource": ROLE}]}],
        "iam:PassRole",
        ROLE,
        PASS,
        IMPLICIT,
    ),
    (
        "? is one character",
        [allow("states:DescribeExecution", "arn:aws:states:us-east-1:111122223333:execution:m:?")],
        "states:DescribeExecution",
        "arn:aws:states:us-east-1:111122223333:execution:m:ab",
        {},
        IMPLICIT,
    ),
    ("no policy at all", [], "iam:PassRole", ROLE, PASS, IMPLICIT),
]


@pytest.mark.parametrize(
    ("documents", "action", "resource", "context", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_decision(
    documents: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, str],
    expected: str,
) -> None:
    assert decide(documents, action, resource, context) == expected
