"""The deployment request (stage 1, Validate): every door into the deployer (a direct request,
a model package approval or rejection, an S3 manifest) turned into one
:class:`~deployer.request.deployment.DeploymentRequest` with a profile; the JSON accepted; every
rule of the SageMaker APIs, read from botocore's model (:mod:`~deployer.request.shapes`) or
documented (:mod:`~deployer.request.rules`); and the violations and their wording.
"""
