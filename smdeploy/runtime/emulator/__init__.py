"""What moto lacks to run smdeploy offline: a package, one module per concern.

moto (pinned exactly) provides SageMaker, Step Functions with a real ASL interpreter, Lambda,
EventBridge, DynamoDB and the rest in-process. The modules here add, through the hooks listed
in :mod:`.hooks` (one table; each row carries its replacement, made by the concern's module;
every row is checked against moto, pinned in :mod:`.pin`, before any is installed), what the
deployer needs and moto does not do:

- :mod:`.scheduler`: the simulated clock and the scheduler of timed changes on it (a small
  discrete-event simulation: while every running execution is parked on a task token, time
  jumps to the next scheduled change); :mod:`.clock` hooks moto's time onto it;
- :mod:`.state`: what every concern shares (data only);
- :mod:`.awslambda`: Lambda functions run their real handlers in-process;
- :mod:`.sagemaker` (models and responses): endpoints and endpoint configs with AWS's
  lifecycle, and the endpoint events SageMaker emits at each change; and the inference
  component API (components), whose copies are placed on the variants' instances;
- :mod:`.applicationautoscaling`: scalable targets of SageMaker variants, their instance
  counts, and the updates SageMaker refuses for them; :mod:`.cloudwatch`: the alarms that
  roll an update back (both observe the endpoint store: :mod:`.sagemaker.endpoints`);
- :mod:`.sagemakerruntime`: InvokeEndpoint as SageMaker answers it;
- :mod:`.events`: EventBridge delivery to state machines and Lambda functions;
- :mod:`.schedules`: EventBridge Scheduler's rate-based schedules invoke their Lambda targets
  on the simulated clock (the sweep of lost endpoint events);
- :mod:`.registry`: Model Registry approval events;
- :mod:`.stepfunctions`: each state machine definition parsed once per process, and one
  Lambda client per region for a run of the engine;
- :mod:`.speed`: what moto recomputes at every request or makes and never uses, made once or
  when first needed (the same answers, for less work);
- :mod:`.core`: the :class:`Emulator` that installs them all (:func:`.hooks.install`) around
  a running moto mock, and removes them;
- fault injection lives in :mod:`smdeploy.runtime.faults`.
"""

from smdeploy.runtime.emulator.awslambda import LambdaContext
from smdeploy.runtime.emulator.core import Emulator
from smdeploy.runtime.emulator.events import aws_event, target_input
from smdeploy.runtime.emulator.hooks import HOOKS
from smdeploy.runtime.emulator.pin import MotoChanged
from smdeploy.runtime.emulator.registry import package_event_detail, update_package
from smdeploy.runtime.emulator.sagemaker.exceptions import ThrottlingError
from smdeploy.runtime.emulator.sagemaker.models import Counters, EndpointStore
from smdeploy.runtime.emulator.scheduler import Scheduler, SimClock
from smdeploy.runtime.emulator.state import Delivery
from smdeploy.runtime.faults import Faults

__all__ = [
    "HOOKS",
    "Counters",
    "Delivery",
    "Emulator",
    "EndpointStore",
    "Faults",
    "LambdaContext",
    "MotoChanged",
    "Scheduler",
    "SimClock",
    "ThrottlingError",
    "aws_event",
    "package_event_detail",
    "target_input",
    "update_package",
]
