"""The data that passes between the deployer's states: the one owner of every shared shape.

``statemachine/deployer.asl.json`` moves data between the stages; this package says what that
data is, in four modules: :mod:`~deployer.payloads.events`, for each Lambda stage the event its
Task's ``Parameters`` build (``...Event``); :mod:`~deployer.payloads.results`, the result each
returns; :mod:`~deployer.payloads.execution`, :class:`ExecutionState` (the execution's data as
the stages add to it: each Task's ``ResultPath`` names one of its fields), :class:`Deployed`,
:class:`NothingDeployed` and :class:`SupersededOutcome` (the three outputs of a successful
execution) and :data:`RESULTS` (state by state, what each Task and each shaping Pass state
hands on); and :mod:`~deployer.payloads.pieces`, what several stages carry (the base
:class:`Payload`, the trigger, a caught error, Deploy's :class:`Action`, a step).

Everyone reads these models and nothing else: the handlers (they parse their event and return
their result through them), the Notify function's detail, the CLI's ``--wait``/``watch``/
``status`` (which read an execution's history through the Step Functions API) and the local
runtime. ``tests/unit/test_payloads_asl.py`` walks the ASL and checks that every Task's
``Parameters``, every path and every Choice's variable match these models; the functional
tests check that each handler's answer is exactly its declared result, and after every
end-to-end test every execution's history is checked the same way. The lease's own shapes
(:class:`~deployer.decide.lease_record.Order`, :class:`~deployer.decide.lease_record.Claim`)
are the lease's, carried here as they are; AWS's events (EventBridge's, read by
:mod:`deployer.decide.wake` and :mod:`deployer.request.triggers`) are AWS's.

Every payload carries ``Execution`` (the execution name): the logs' correlation id.
Field names keep SageMaker's and Step Functions' casing, as the ASL paths do.
"""
