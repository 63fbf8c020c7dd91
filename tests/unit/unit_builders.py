"""Builders of deployment requests shared by the unit tests."""

import json

ENDPOINT = "churn-predictor"


def variant(name="AllTraffic", model="churn-xgboost-v1", **extra):
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1,
        **extra,
    }


def request(**fields):
    body = {"EndpointName": ENDPOINT, "ProductionVariants": [variant()]}
    body.update(fields)
    return body


IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
# Environment values of this many characters, this many to a model: within every documented
# limit (1024 characters a value, 100 entries and 32 KB a model), so padding is valid.
PAD_VALUE, PAD_ENTRIES = 500, 25


def payload_size(raw):
    """The size Step Functions counts: UTF-8 bytes of the compact JSON."""
    return len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())


def padded(raw, char="x", count=0, size=None):
    """``raw`` with extra (valid) models whose container environments hold ``count`` copies
    of ``char``; or, given ``size``, exactly as many ASCII characters as make the request that
    many bytes."""
    body = {**raw, "Models": list(raw.get("Models", []))}
    models = body["Models"]
    env = {}

    def add(value):
        nonlocal env
        if not env or len(env) == PAD_ENTRIES:
            env = {}
            container = {"Image": IMAGE, "Environment": env}
            models.append({"ModelName": f"pad{len(models)}", "PrimaryContainer": container})
        env[f"PAD{len(env)}"] = value

    if size is None:
        while count > 0:
            add(char * min(PAD_VALUE, count))
            count -= PAD_VALUE
        return body
    while payload_size(body) + 2 * PAD_VALUE < size:
        add("x" * PAD_VALUE)
    add("")
    key = next(reversed(env))
    env[key] = "x" * (size - payload_size(body))
    return body
