"""The deployer's decisions, pure functions of data (no AWS calls), tested table-driven:
Configure's comparisons and lookups, the plan of Deploy, the order of intents and the
endpoint's lease, the outcome of a deployment and its deadline, the differences between a
request and a description, the wake decision of the event-driven wait, what retention
deletes, and the guardrails' steps.
"""
