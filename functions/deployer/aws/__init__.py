"""The adapters to AWS: the only modules that call an AWS API and read botocore's
``ClientError``, each translating the few errors it expects into the deployer's own
(:mod:`deployer.errors`): SageMaker (:mod:`~deployer.aws.sagemaker`), the lease table and Step
Functions (:mod:`~deployer.aws.lease_table`), the guardrails' services
(:mod:`~deployer.aws.guardrails`); the clients are made once in :mod:`~deployer.aws.clients`.
"""
