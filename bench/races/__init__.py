"""Races: deployments that meet, run many times on fresh emulated accounts with seeded jitter.

Each scenario runs in a fresh :class:`~smdeploy.runtime.local.LocalDeployment` whose emulator
delays every Lambda invocation by a random real 0 to ``JITTER`` seconds (``Faults
.invocation_jitter``, drawn from the run's seed), so concurrent executions interleave
differently from one seed to the next, and the same seed draws the same delays. A run waits
for every execution to end, then measures the account:

- **correct**: the endpoint is InService, without a FailureReason, on the config the scenario
  expects (the newest intent: the last approval, the last execution started; never a
  version rejected while it was being deployed);
- **failed**: executions that ended FAILED; ``expected_failed`` of them are the scenario's
  own injected fault (the first attempt of a crash or of a Failed endpoint);
- **failed by transient errors**: executions FAILED with an error AWS documents as
  retryable (throttling, a lost conditional write: :class:`deployer.errors.Transient`), which
  the state machine retries until the deadline, so never before it;
- **false alarms**: executions FAILED with ``EndpointUpdateRolledBack``,
  ``EndpointConfigNotVisible`` or ``EndpointBusy`` although no scenario injects a rollback or
  a visibility lag: a deployment overtaken by another, reported as a failure;
- **left over**: endpoint configs of the endpoint beyond the retention (when it is set), but
  those another endpoint serves;
- **orphans**: models that no endpoint config references;
- **deleted while referenced**: configs that an endpoint of the account serves or rolls out,
  and models such a config uses, that no longer exist (retention must never delete them:
  SageMaker cannot patch or scale out such an endpoint).

``python -m bench`` prints them as a table (:func:`bench.races.table.race_rows`);
tests/e2e/test_races.py runs each scenario for a few seeds and asserts the target: every run
correct, no unexpected FAILED, no false alarms, nothing left over, no orphans, nothing deleted
while referenced.

The modules: ``actions`` (what the users of an emulated account do, and the waits), ``checks``
(the final state each scenario expects), ``deployments`` and ``rejections`` (what each scenario
does), ``scenarios`` (the list the table and the tests run), ``measure`` (one run, measured)
and ``table`` (the rows ``python -m bench`` prints).
"""
