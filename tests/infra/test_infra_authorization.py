"""Every AWS call each function's code makes is covered by that function's role, and no more.

The calls are found in the code: from each handler, the functions it calls are followed
(through the deployer's modules, the SageMaker gateway's methods, and botocore operation
names called on any client, ``get_paginator("...")`` included). ``cdk.authorization.CALLS``
says, from AWS's Service Authorization Reference, which actions and resource types each call
is authorized against; the template's role policies must grant each of them on a resource of
that type, grant "*" only where the action has no resource-level permissions, and grant no
action that no call (nor the Lambda runtime's logs and traces) needs.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from infra_helpers import Synthesized

from cdk.authorization import ANY_OF_ITS_TYPES, CALLS, DEAD_LETTER_ACTIONS, RUNTIME_ACTIONS
from deployer import interface

# The services a function may call (botocore name -> IAM prefix).
SERVICES = {
    "sagemaker": "sagemaker",
    "s3": "s3",
    "events": "events",
    "sns": "sns",
    "application-autoscaling": "application-autoscaling",
    "cloudwatch": "cloudwatch",
    "dynamodb": "dynamodb",
    "ssm": "ssm",
    "stepfunctions": "states",
    "sagemaker-runtime": "sagemaker",
    "lambda": "lambda",
}
# ``deployer.aws.clients`` functions whose name is not the service's (a keyword in Python).
CLIENT_FUNCTIONS = {**SERVICES, "awslambda": "lambda"}
# Services whose calls count only on a receiver the code names: their operation names are
# common words (``invoke``) that the deployer's own objects use too.
NAMED_RECEIVER_ONLY = frozenset({"lambda"})
GATEWAY = ("deployer.aws.sagemaker", "SageMakerGateway")
# CloudFormation types of the resources a policy can name by Ref/GetAtt.
TYPES = {
    "AWS::SNS::Topic": "topic",
    "AWS::S3::Bucket": "bucket",
    "AWS::KMS::Key": "key",
    "AWS::Logs::LogGroup": "log-group",
    "AWS::DynamoDB::Table": "table",
    "AWS::StepFunctions::StateMachine": "stateMachine",
    "AWS::Lambda::Function": "function",
    "AWS::SQS::Queue": "queue",
}


def _operations() -> dict[str, set[str]]:
    session = botocore.session.get_session()
    names: dict[str, set[str]] = {}
    for service, prefix in SERVICES.items():
        for operation in session.get_service_model(service).operation_names:
            names.setdefault(xform_name(operation), set()).add(f"{prefix}:{operation}")
    return names


OPERATIONS = _operations()


@dataclass
class Module:
    name: str
    tree: ast.Module
    functions: dict[str, ast.FunctionDef]  # "name" or "Class.name"
    imported: dict[str, tuple[str, str | None]]  # local name -> (module, attribute or None)
    constants: set[str]  # names the module assigns at its top level (a compiled pattern...)


def _load(name: str, cache: dict[str, Module]) -> Module | None:
    if name in cache:
        return cache[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not name.startswith("deployer"):
        return None
    tree = ast.parse(Path(spec.origin).read_text())
    functions: dict[str, ast.FunctionDef] = {}
    imported: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    functions[f"{node.name}.{item.name}"] = item
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                local = alias.asname or alias.name
                submodule = f"{node.module}.{alias.name}"
                if node.module == "deployer" and importlib.util.find_spec(submodule):
                    imported[local] = (submodule, None)
                else:
                    imported[local] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name] = (alias.name, None)
    constants = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    cache[name] = Module(name, tree, functions, imported, constants)
    return cache[name]


def gateway_methods(cache: dict[str, Module]) -> set[str]:
    module = _load(GATEWAY[0], cache)
    assert module is not None
    return {name.split(".", 1)[1] for name in module.functions if name.startswith(GATEWAY[1])}


def _receiver(value: ast.expr, module: Module, owner: str | None) -> set[str]:
    """The services a call's receiver is a client of, when the code says: a variable named
    after the service (``events.put_events``), ``clients.<service>()``, or the gateway's own
    SageMaker client (``self._client``). Empty when it does not say."""
    if isinstance(value, ast.Name) and value.id in SERVICES:
        return {SERVICES[value.id]}
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in CLIENT_FUNCTIONS
        and isinstance(value.func.value, ast.Name)
        and (
            module.imported.get(value.func.value.id, ("", None))[0] == "deployer.aws.clients"
            or module.imported.get(value.func.value.id) == ("deployer.aws", "clients")
        )
    ):
        return {CLIENT_FUNCTIONS[value.func.attr]}
    if (
        isinstance(value, ast.Attribute)
        and value.attr == "_client"
        and module.name == GATEWAY[0]
        and owner == GATEWAY[1]
    ):
        return {"sagemaker"}
    return set()


def _escaping_instances(
    body: ast.FunctionDef, module: Module, cache: dict[str, Module]
) -> list[tuple[str, str]]:
    """Every method of an imported class whose instance, made here, is handed to another call
    (``rollout = LeasedRollout(...); deploy(..., rollout)``): the callee may call any of them."""
    made: dict[str, tuple[str, str]] = {}
    for node in ast.walk(body):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in module.imported
        ):
            source, attribute = module.imported[node.value.func.id]
            for target in node.targets:
                if isinstance(target, ast.Name) and attribute:
                    made[target.id] = (source, attribute)
    methods: list[tuple[str, str]] = []
    for node in ast.walk(body):
        if not isinstance(node, ast.Call):
            continue
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(argument, ast.Name) and argument.id in made:
                source, cls = made[argument.id]
                loaded = _load(source, cache)
                if loaded is not None and (source, cls) != GATEWAY:
                    methods += [(source, f) for f in loaded.functions if f.startswith(f"{cls}.")]
    return methods


def calls_of(handler: str) -> set[str]:
    """``service:Operation`` of every AWS call reachable from the handler."""
    module_name, _, function = handler.rpartition(".")
    cache: dict[str, Module] = {}
    todo = [(module_name, function)]
    seen: set[tuple[str, str]] = set()
    found: set[str] = set()
    while todo:
        where = todo.pop()
        if where in seen:
            continue
        seen.add(where)
        module = _load(where[0], cache)
        if module is None or where[1] not in module.functions:
            continue
        owner = where[1].split(".")[0] if "." in where[1] else None
        body = module.functions[where[1]]
        todo += _escaping_instances(body, module, cache)
        for node in ast.walk(body):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func
            if isinstance(callee, ast.Name):
                if callee.id in module.functions:
                    todo.append((module.name, callee.id))
                elif callee.id in module.imported:
                    source, attribute = module.imported[callee.id]
                    if attribute:
                        todo.append((source, attribute))
            elif isinstance(callee, ast.Attribute):
                name = callee.attr
                services = _receiver(callee.value, module, owner)
                operation = name
                if name == "get_paginator" and node.args:
                    argument = node.args[0]
                    if isinstance(argument, ast.Constant):
                        operation = argument.value
                # a module's own constant (a compiled pattern's .search) is no AWS client
                constant = (
                    isinstance(callee.value, ast.Name) and callee.value.id in module.constants
                )
                if (
                    operation in OPERATIONS
                    and not constant
                    and (services or name not in gateway_methods(cache))
                ):
                    candidates = OPERATIONS[operation]
                    if services:
                        candidates = {c for c in candidates if c.split(":")[0] in services}
                    else:
                        candidates = {
                            c for c in candidates if c.split(":")[0] not in NAMED_RECEIVER_ONLY
                        }
                    found |= candidates
                todo.append((GATEWAY[0], f"{GATEWAY[1]}.{name}"))
                # a method of a class this module defines or imports, called on a receiver
                # whose class the code does not name (``table = ledger(); table.read()``)
                todo += [(module.name, f) for f in module.functions if f.endswith(f".{name}")]
                todo += [
                    (source, f"{attribute}.{name}")
                    for source, attribute in module.imported.values()
                    if attribute
                ]
                base = callee.value
                if isinstance(base, ast.Name):
                    if base.id in ("self", "cls") and owner:
                        todo.append((module.name, f"{owner}.{name}"))
                    elif base.id in module.imported:
                        source, attribute = module.imported[base.id]
                        if attribute is None:
                            todo.append((source, name))
                        else:
                            todo.append((source, f"{attribute}.{name}"))
                    elif f"{base.id}.{name}" in module.functions:
                        todo.append((module.name, f"{base.id}.{name}"))
    return found


# --- the roles, from the template ----------------------------------------------------------


def _render(value: Any, resources: dict[str, Any]) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value or "Fn::GetAtt" in value:
        target = value.get("Ref") or value["Fn::GetAtt"][0]
        if target.startswith("AWS::"):
            return "{" + target.removeprefix("AWS::") + "}"  # {Region}: no colon in an ARN
        return f"<{TYPES[resources[target]['Type']]}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part, resources) for part in parts)
    raise AssertionError(f"cannot render {value!r}")


def resource_type(arn: str) -> str:
    """The resource type of a policy's resource (``*`` for all)."""
    if arn == "*":
        return "*"
    if match := re.fullmatch(r"<([\w-]+)>(.*)", arn):
        kind, rest = match.groups()
        return "object" if kind == "bucket" and rest.startswith("/") else kind
    parts = arn.split(":", 5)
    if parts[2] == "s3":
        return "object" if "/" in parts[5] else "bucket"
    return re.split(r"[/:]", parts[5])[0]


def grants(synth: Synthesized, stage: str) -> set[tuple[str, str]]:
    """(action, resource type) of every Allow in the stage role's policies."""
    role = f"{stage}FunctionRole"
    found = set()
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            targets = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                for target in [targets] if not isinstance(targets, list) else targets:
                    found.add((action, resource_type(_render(target, synth.resources))))
    return found


def required(stage_calls: set[str], *, keys: bool) -> dict[str, tuple[str, ...]]:
    needed: dict[str, set[str]] = {}
    for call in stage_calls:
        row = CALLS[call]
        for action, types in {**row.actions, **(row.when_keys if keys else {})}.items():
            needed.setdefault(action, set()).update(types)
    return {action: tuple(sorted(types)) for action, types in needed.items()}


SPECS = {spec.stage: spec for spec in interface.EVERY_FUNCTION}


def runtime_actions(synth: Synthesized, stage: str) -> dict[str, tuple[str, ...]]:
    """What the role holds besides its calls: its logs and traces, and the sending to its
    dead-letter queue when it has one."""
    function = synth.properties(f"{stage}Function")
    return {**RUNTIME_ACTIONS, **(DEAD_LETTER_ACTIONS if "DeadLetterConfig" in function else {})}


@pytest.fixture(scope="module")
def calls() -> dict[str, set[str]]:
    return {stage: calls_of(spec.handler) for stage, spec in SPECS.items()}


def test_the_calls_found_in_the_code_are_the_deployer_s_calls(calls: dict[str, set[str]]) -> None:
    assert calls["Validate"] >= {"sagemaker:DescribeModelPackage", "s3:GetObject"}
    assert calls["Configure"] >= {"sagemaker:CreateModel", "sagemaker:CreateEndpointConfig"}
    assert calls["Deploy"] >= {"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"}
    assert calls["Describe"] >= {"sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpointConfig"}
    assert calls["Notify"] == {"events:PutEvents", "sns:Publish"}
    assert calls["Start"] == {"states:StartExecution", "states:DescribeExecution"}


@pytest.mark.parametrize("stage", list(SPECS))
def test_every_call_has_a_row_in_the_authorization_table(
    calls: dict[str, set[str]], stage: str
) -> None:
    assert sorted(calls[stage] - set(CALLS)) == []


@pytest.mark.parametrize("stage", list(SPECS))
def test_the_role_covers_every_call_on_a_resource_of_the_right_type(
    synth: Synthesized, calls: dict[str, set[str]], stage: str
) -> None:
    granted = grants(synth, stage)
    missing = []
    for action, types in required(calls[stage], keys=False).items():
        have = {kind for pattern, kind in granted if fnmatch.fnmatchcase(action, pattern)}
        wanted = set(types) or {"*"}
        if action in ANY_OF_ITS_TYPES:
            covered = bool(wanted & have) and have <= wanted
        else:
            covered = wanted <= have
        if not covered:
            missing.append(f"{action} on {sorted(wanted - have)}")
    assert missing == []


@pytest.mark.parametrize("stage", list(SPECS))
def test_the_role_grants_nothing_no_call_needs(
    synth: Synthesized, calls: dict[str, set[str]], stage: str
) -> None:
    needed = {**required(calls[stage], keys=False), **runtime_actions(synth, stage)}
    extra = sorted({action for action, _ in grants(synth, stage) if action not in needed})
    assert extra == []


@pytest.mark.parametrize("stage", list(SPECS))
def test_the_role_grants_all_resources_only_where_no_resource_level_permission_exists(
    synth: Synthesized, calls: dict[str, set[str]], stage: str
) -> None:
    needed = {**required(calls[stage], keys=False), **runtime_actions(synth, stage)}
    starred = sorted(action for action, kind in grants(synth, stage) if kind == "*")
    assert [action for action in starred if needed.get(action)] == []
