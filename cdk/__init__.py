"""The CDK stack that installs smdeploy in an AWS account (see app.py and cdk.json)."""

from cdk import paths as paths  # first: puts functions/ on sys.path for deployer.*
