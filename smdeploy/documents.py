"""What each command prints with ``--json``: one registry of output documents, declared here and
nowhere else.

Every command prints exactly one JSON document with ``--json``, its keys in the casing of the
AWS APIs (PascalCase: ``EndpointName``, ``ExecutionArn``, ``Status``), as the SageMaker and
Step Functions API references spell their members
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
Each command's ``--help`` lists its document's keys (generated from :data:`DOCUMENTS` by
:class:`smdeploy.helptext.Command`), docs/reference/outputs.md shows an example of each, and
``tests/unit/test_output_documents.py`` and ``tests/e2e/test_json_documents.py`` compare the
three with what the commands print.

A key is named by its path in the document: ``Errors[].Path`` is the ``Path`` of each object of
the list ``Errors``; ``Stats.DescribeCalls`` the ``DescribeCalls`` of the object ``Stats``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One key of a document: its name, what it holds, and the keys of the object it holds
    (of each object, for a list of objects: ``items``)."""

    name: str
    meaning: str
    keys: tuple[Key, ...] = ()
    items: bool = False  # a list of objects, each with ``keys``
    # the command whose document's keys ``keys`` are: the help names it instead of listing
    # them again
    keys_of: str | None = None


@dataclass(frozen=True)
class Document:
    """A command's ``--json`` document: one object, or one array of objects (``array``)."""

    command: str
    summary: str
    keys: tuple[Key, ...]
    array: bool = False

    def paths(self, expand: bool = True) -> list[str]:
        """Every key's path, in order (``Errors``, ``Errors[].Path``, ...); without
        ``expand``, not those of a key that holds another command's document."""
        return [path for path, _ in self.meanings(expand)]

    def meanings(self, expand: bool = True) -> list[tuple[str, str]]:
        """(path, meaning) of every key, in order (see :meth:`paths`)."""
        return list(_meanings(self.keys, "", expand))


def _meanings(keys: tuple[Key, ...], prefix: str, expand: bool) -> Iterator[tuple[str, str]]:
    for key in keys:
        path = f"{prefix}{key.name}"
        if key.keys_of and not expand:
            yield path, f"{key.meaning}; its keys are {key.keys_of} --json's"
            continue
        yield path, key.meaning
        yield from _meanings(key.keys, f"{path}[]." if key.items else f"{path}.", expand)


def paths_of(value: object, prefix: str = "", opaque: frozenset[str] = frozenset()) -> set[str]:
    """The key paths a printed document has (``opaque``: paths whose content is not listed)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= paths_of(item, prefix, opaque)
    elif isinstance(value, dict):
        for name, held in value.items():
            path = f"{prefix}{name}"
            found.add(path)
            if path in opaque:
                continue
            inner = f"{path}[]." if isinstance(held, list) else f"{path}."
            found |= paths_of(held, inner, opaque)
    return found


# --- the pieces more than one document holds --------------------------------------------------

ERRORS = Key(
    "Errors",
    "every problem of the request, validate's (empty when it is valid)",
    (
        Key("Path", "the field's JSON path (ProductionVariants[0].InstanceType)"),
        Key("Message", "the rule it breaks and the offending value"),
    ),
    items=True,
)
SERVING_INSTANCES = Key(
    "ServingInstances",
    "the instances that serve, as DescribeEndpoint tells: per variant and instance type "
    "(an instance pool's type that SageMaker provisioned); empty when it does not tell",
    (
        Key("VariantName", "the production variant"),
        Key("InstanceType", "the instance type (null: DescribeEndpoint does not say)"),
        Key("CurrentInstanceCount", "how many instances of it serve"),
    ),
    items=True,
)
# Opaque: the execution output's Trigger is the deployer's own object (its keys are the
# deployer's, documented with the execution's output).
TRIGGER = Key("Trigger", "what started the deployment, as the execution's output says")

# the request's inference components as the Components stage's last look saw them
INFERENCE_COMPONENTS = Key(
    "InferenceComponents",
    "the request's inference components at the last look (null: none looked at)",
    (
        Key("InferenceComponentName", "the IC"),
        Key("Act", "what the look did or found: CREATE, UPDATE, SCALE, DELETE, WAIT, DONE"),
        Key("Status", "its InferenceComponentStatus (null: none yet)"),
        Key("Message", "the look's sentence about it"),
        Key("DesiredCopyCount", "its desired copies"),
        Key("CurrentCopyCount", "its current copies"),
    ),
    items=True,
)

STATUS_KEYS: tuple[Key, ...] = (
    Key("ExecutionArn", "the execution"),
    Key("StateMachineArn", "the deployer's state machine"),
    Key("Name", "the execution's name"),
    Key("Status", "Step Functions' status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED"),
    Key("Stage", "the state the execution is in, or ended in"),
    Key("EndpointName", "the endpoint"),
    Key("EndpointConfigName", "the config deployed (or to deploy)"),
    Key("EndpointStatus", "the last EndpointStatus a stage reported"),
    SERVING_INSTANCES,
    Key("ModelPackageArn", "the package an approval or rejection deployed"),
    TRIGGER,
    Key("Skip", "why nothing was deployed"),
    Key("Action", "CREATE, UPDATE, REPLACE, RETAG, NONE, SKIPPED or SUPERSEDED"),
    Key("Message", "the output's message: what the deployment did, or why not"),
    Key(
        "WaitingFor",
        "while it waits for the endpoint: the deployment that holds it",
        (
            Key("ExecutionArn", "the execution holding the endpoint"),
            Key("EndpointConfigName", "the config it deploys"),
            Key("Phase", "CONFIGURING or DEPLOYING"),
            Key("Since", "when this execution began to wait"),
            Key("Until", "its deadline: it waits no longer"),
        ),
    ),
    Key("Progress", "the deployment steps SageMaker reported while it was parked"),
    INFERENCE_COMPONENTS,
    Key(
        "Retries",
        "the retried attempts of its stages (a retry is not a failure)",
        (
            Key("Stage", "the state retried"),
            Key("Retry", "which retry of the stage it is (1: the first)"),
            Key("MaxAttempts", "the retries the state machine allows (null: until the deadline)"),
            Key("Error", "the error retried"),
            Key("Cause", "its message"),
        ),
        items=True,
    ),
    Key("SupersededBy", "the execution that superseded this one"),
    Key("StartDate", "when the execution started"),
    Key("StopDate", "when it ended (null: running)"),
    Key("Error", "the error it failed with"),
    Key("Cause", "the error's message"),
)

OUTCOME_KEYS: tuple[Key, ...] = (
    Key("Request", "the request file"),
    Key("Status", "SUCCEEDED, SUPERSEDED or FAILED"),
    Key("ExecutionArn", "the execution that deployed it"),
    Key("EndpointName", "the endpoint"),
    Key("EndpointArn", "its ARN"),
    Key("EndpointConfigName", "the config the endpoint serves"),
    Key("EndpointConfigArn", "its ARN"),
    Key("EndpointStatus", "the endpoint's status"),
    SERVING_INSTANCES,
    INFERENCE_COMPONENTS,
    Key("Error", "the error the deployment failed with"),
    Key("Cause", "its message"),
    Key(
        "Stats",
        "what the deployment cost",
        (
            Key("DescribeCalls", "DescribeEndpoint calls"),
            Key("StateTransitions", "state transitions"),
            Key("LambdaInvocations", "Lambda invocations"),
            Key("SimulatedSeconds", "simulated seconds from start to end"),
            Key("DetectionLagSeconds", "simulated seconds from the endpoint settling to its end"),
            Key("WallSeconds", "real seconds"),
        ),
    ),
)

VALIDATE = Document(
    "validate",
    "one object",
    (
        Key("Valid", "whether the request is valid"),
        ERRORS,
        Key("Traffic", "each production variant's share of the traffic, from 0 to 1"),
    ),
)

PLAN = Document(
    "plan",
    "one object",
    (
        Key("Valid", "whether the request is valid"),
        ERRORS,
        Key("ModelPackageArn", "with --approval: the package"),
        Key("ModelApprovalStatus", "with --approval: its status now"),
        Key("EndpointName", "the endpoint"),
        Key("EndpointConfigName", "the config to deploy"),
        Key("Action", "the deployer's action: CREATE, UPDATE, REPLACE, RETAG, NONE, ..."),
        Key("Reason", "the action's sentence"),
        Key(
            "Blocked",
            "the error the deployment would stop on (null: none)",
            (
                Key("Error", "its name"),
                Key("Message", "its message"),
                Key("Retryable", "whether the deployment would wait and try again"),
            ),
        ),
        Key(
            "Serving",
            "what the endpoint serves now (null: no endpoint)",
            (
                Key("EndpointConfigName", "the config it serves"),
                Key("EndpointStatus", "its status"),
            ),
        ),
        Key("Differences", "what changes from the config served, one sentence each"),
        Key("EndpointConfigAction", "create or reuse the config"),
        Key("ModelsToCreate", "the models Configure would create"),
        Key("ModelsToReuse", "the models it would reuse"),
        Key("UpdatePolicy", "the update policy (null unless the action is UPDATE)"),
        Key(
            "Retention",
            "what the clean-up would delete",
            (
                Key("Keep", "the configs kept per endpoint (0: all)"),
                Key("DeleteEndpointConfigs", "the configs it would delete"),
                Key("DeleteModels", "the models it would delete"),
            ),
        ),
        Key(
            "InferenceComponents",
            "each IC of the request, bases first (empty: none)",
            (
                Key("InferenceComponentName", "its name"),
                Key("Action", "CREATE, UPDATE, SCALE, DELETE, WAIT, NONE or BLOCKED"),
                Key("Reason", "the action's sentence"),
                Key("Differences", "what changes from its live specification, one each"),
            ),
        ),
        Key("Changes", "whether anything in the account would change"),
    ),
)

STATUS = Document("status", "one object", STATUS_KEYS)

EXECUTION = Key(
    "Execution",
    "with --wait: the execution at its end (null without)",
    STATUS_KEYS,
    keys_of="status",
)

START = Document(
    "start",
    "one object",
    (
        Key("ExecutionArn", "the request's execution"),
        Key("Name", "its name"),
        Key("Started", "whether this command started it (false: submitted before)"),
        Key("Attempt", "its attempt at the request (1, 2, ...)"),
        Key(
            "PreviousAttempt",
            "the attempt before, which ended without deploying (null: none)",
            (Key("Name", "its execution's name"), Key("Status", "how it ended")),
        ),
        EXECUTION,
    ),
)

WATCH = Document(
    "watch",
    "one object",
    (
        Key("ModelPackageArn", "the approved package"),
        Key("ExecutionArn", "the execution its approval started"),
        Key(
            "Execution",
            "the execution at its end",
            STATUS_KEYS,
            keys_of="status",
        ),
    ),
)

LOCAL = Document("local", "one array, one object per request", OUTCOME_KEYS, array=True)
DEMO = Document("demo", "one array, one object per deployment", OUTCOME_KEYS, array=True)

EMULATOR = Document(
    "emulator",
    "one object, on one line, once the emulator serves",
    (
        Key("EndpointUrl", "the URL to give --endpoint-url"),
        Key("Region", "the Region"),
        Key("Account", "the account ID"),
        Key("Credentials", "which credentials it accepts"),
        Key("StateMachineArn", "the deployer's state machine"),
        Key("Bucket", "the manifest bucket"),
        Key("ManifestPrefix", "where in it a manifest deploys"),
        Key("TopicArn", "the outcome topic"),
        Key("TableName", "the deployer's DynamoDB table"),
        Key("ModelPackageGroups", "the groups whose approvals deploy"),
        Key("RollbackGroups", "those whose rejection rolls back"),
        Key("ModelRoleArn", "the SageMaker execution role of models made from packages"),
    ),
)

DOCTOR = Document(
    "doctor",
    "one object",
    (
        Key("StateMachineArn", "the deployer checked"),
        Key("Healthy", "whether every check passed"),
        Key(
            "Checks",
            "each check, in the order printed",
            (
                Key("Name", "what was checked"),
                Key("Ok", "whether it passed"),
                Key("Detail", "what was found"),
                Key("Fix", "how to fix it (null when it passed)"),
            ),
            items=True,
        ),
    ),
)

DOCUMENTS: dict[str, Document] = {
    document.command: document
    for document in (VALIDATE, LOCAL, EMULATOR, START, STATUS, PLAN, WATCH, DEMO, DOCTOR)
}

# the paths whose content a document does not list (its keys are another's)
OPAQUE = frozenset({"Trigger", "Execution.Trigger", "Traffic", "Progress"})
