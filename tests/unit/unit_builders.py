"""Builders of deployment requests shared by the unit tests."""

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
