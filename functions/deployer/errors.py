"""The deployer's own errors.

The Lambda Python runtime reports an unhandled exception as ``type(e).__name__``, and
Step Functions matches that exact string in ``Retry``/``Catch`` ``ErrorEquals``. So every
class name below is part of the state machine's contract (statemachine/deployer.asl.json):
rename one and the ASL must change with it. ``tests/unit/test_asl.py`` checks that every
retried name exists here.
"""

from __future__ import annotations

from deployer.request.violations import Violation


class DeployerError(Exception):
    """Base class: anything the deployer reports on purpose. How often each is retried is
    said by the state machine's Retry blocks, not here."""


class Transient(DeployerError):
    """An error AWS documents as retryable (throttling, a conditional write that lost a race):
    the state machine retries it until the deployment's deadline, not a number of times. Met
    after the deadline, a stage raises :class:`DeploymentTimedOut` instead (see
    :func:`deployer.decide.deadline.give_up`)."""


# --- Validate ---------------------------------------------------------------------------


class RequestInvalid(DeployerError):
    """The deployment request breaks one or more rules; nothing was created.

    ``problems`` holds one ``"path: message"`` line per broken rule; ``violations`` holds the
    same findings structured (path, rule, message, value). Either may be given: lines given
    alone become violations of rule ``invalid``.
    """

    # The message becomes the execution's Cause, which Step Functions cuts at 32,768
    # characters once Lambda has wrapped it in JSON with a stack trace: the lines listed in it
    # stop well before, and say how many more there are.
    MESSAGE_BUDGET = 16_000

    def __init__(self, problems: list[str], violations: list[Violation] | None = None) -> None:
        if violations is None:
            violations = [
                Violation(path, "invalid", message.strip())
                for path, _, message in (p.partition(":") for p in problems)
            ]
        self.problems = problems
        self.violations = violations
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines: list[str] = []
        size = 0
        for problem in problems:
            size += len(problem) + 3
            if size > self.MESSAGE_BUDGET:
                left = count - len(lines)
                lines.append(f"- ... and {left} more (smdeploy validate lists them all)")
                break
            lines.append(f"- {problem}")
        listed = "\n".join(lines)
        super().__init__(f"{count} {noun} in the deployment request:\n{listed}")

    @classmethod
    def of(cls, violations: list[Violation]) -> RequestInvalid:
        """The error that lists these violations."""
        return cls([str(v) for v in violations], violations)


class ProfileInvalid(DeployerError):
    """The deployment profiles (stack configuration or local profiles file) break a rule."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"invalid deployment profiles:\n{lines}")


class NoDeploymentProfile(DeployerError):
    """An approval or rejection names a model package group that has no deployment profile."""


class ModelPackageNotFound(DeployerError):
    """The model package named by the event does not exist (any more)."""


class NoRollbackTarget(DeployerError):
    """A rejected version serves (or is being rolled out) and nothing can replace it: no other
    Approved version to roll back to, or no config that served before to put back."""


class ManifestNotFound(DeployerError):
    """The S3 manifest named by the event cannot be read (deleted, or no access)."""


# --- Configure --------------------------------------------------------------------------


class ModelNotFound(DeployerError):
    """A production variant names a model that neither exists nor is created by the request."""


class ModelConflict(DeployerError):
    """A model of that name exists with a different definition (models are immutable)."""


class EndpointConfigConflict(DeployerError):
    """An endpoint config of that name exists with a different content (configs are immutable)."""


# --- Deploy -----------------------------------------------------------------------------


class EndpointConfigNotVisible(DeployerError):
    """SageMaker does not see the new endpoint config yet (its store is eventually consistent).

    Retried by the state machine with backoff and jitter.
    """


class EndpointConfigMissing(DeployerError):
    """The endpoint config is not there: deleted (by a person, or another tool) after
    Configure saw it, or still not found once the visibility window of a new config has passed
    (deleted, or never created). Not retried: it will not appear by waiting."""


class EndpointBusy(DeployerError):
    """The endpoint is being created or updated by someone else; wait and try again.

    Retried by the state machine with a long backoff.
    """


class EndpointCreateRace(DeployerError):
    """The endpoint appeared between DescribeEndpoint and CreateEndpoint.

    Retried once by the state machine: the next attempt takes the update path.
    """


class EndpointNotUpdatable(DeployerError):
    """The endpoint is in a status from which SageMaker allows no update (Failed, Deleting...)."""


class EndpointReplacing(DeployerError):
    """A Failed endpoint the deployer created is being deleted so that it can be created again.

    Retried by the state machine until SageMaker has deleted it; the next attempt creates it.
    """


# --- the lease (the deployer's table) ----------------------------------------------------


class LeaseContention(Transient):
    """Another execution wrote the endpoint's record meanwhile (the conditional write failed),
    or DynamoDB throttled the call: retried by the state machine at once, with jitter."""


class LeaseLost(DeployerError):
    """This execution no longer holds the endpoint's lease: it outlived its time limit and a
    newer deployment took the endpoint over. Nothing more is changed."""


# --- any stage that calls SageMaker ----------------------------------------------------


class SageMakerThrottled(Transient):
    """SageMaker answered ThrottlingException; retried by the state machine."""


class SageMakerRejected(DeployerError):
    """SageMaker rejected a call (ValidationException); the message is SageMaker's own."""


class SageMakerLimitExceeded(DeployerError):
    """ResourceLimitExceeded: an account quota (often instances of a type) is too low."""


# --- Wait -------------------------------------------------------------------------------


class EndpointFailed(DeployerError):
    """The endpoint ended Failed (or went OutOfService / Deleting) during the deployment."""


class EndpointUpdateRolledBack(DeployerError):
    """The update did not take: the endpoint is InService on its previous config."""


class EndpointUpdateRollbackFailed(DeployerError):
    """Both the update and its automatic rollback failed: an operator must step in."""


class DeploymentTimedOut(DeployerError):
    """The deployment's deadline passed (counted from the execution's start, the wait for the
    lease included): the endpoint did not reach a final status, or a transient error (its
    cause) still stood, or the endpoint's lease was still held by an older deployment."""


class ComponentFailed(DeployerError):
    """An inference component of the request did not deploy: Failed (its FailureReason),
    rolled back to its previous specification, or hosted by another endpoint."""


# --- Guardrails -------------------------------------------------------------------------


class GuardrailThrottled(Transient):
    """Application Auto Scaling, CloudWatch or InvokeEndpoint throttled a guardrail's call;
    retried by the state machine."""


class GuardrailCallFailed(DeployerError):
    """Application Auto Scaling or CloudWatch refused a guardrail's call (the message is
    theirs): the guardrail could not be put in place."""


class SmokeTestFailed(DeployerError):
    """The endpoint is InService on the new config but did not answer the profile's sample
    request as expected (the message has the answer); on an update the endpoint was first put
    back on the config it served before."""


# --- Notify -----------------------------------------------------------------------------


class NotificationFailed(DeployerError):
    """Publishing the outcome to EventBridge or SNS failed; retried by the state machine."""


# --- Start (the function the trigger rules invoke) --------------------------------------
# Raised out of an asynchronous invocation: Lambda retries it twice, then sends the event to
# the trigger dead-letter queue (its alarm goes off).
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html


class StartThrottled(DeployerError):
    """Step Functions throttled StartExecution or DescribeExecution, or the account's limit of
    running executions was reached: the invocation fails, and Lambda retries it (not the state
    machine: no execution is running yet)."""


class StartRefused(DeployerError):
    """Step Functions refused to start the execution (its message): no such state machine,
    no permission, an input it does not accept."""


class ExecutionNameTaken(DeployerError):
    """An execution of the name derived from this event exists with another input: two
    different events were given one name. Nothing was started."""
