"""The CDK stack that installs smdeploy in an AWS account (see app.py and cdk.json)."""
