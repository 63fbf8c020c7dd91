"""The rows of the emulator's hook table that change no answer, only its cost
(smdeploy.runtime.emulator.speed): moto answers as it would without them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from moto import mock_aws
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.core.serialize import XFormedAttributePicker
from moto.kms.models import kms_backends
from moto.sagemaker.responses import SageMakerResponse

from smdeploy.runtime.emulator import speed
from smdeploy.runtime.install import TABLE_NAME

REGION, ACCOUNT = "us-east-1", "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/smdeploy-test"


def test_a_response_class_lists_the_methods_moto_lists(aws):
    listed = moto_responses.method_names_from_class
    assert listed is not moto_utils.method_names_from_class  # the emulator's row is in place
    names = listed(SageMakerResponse)
    assert names == moto_utils.method_names_from_class(SageMakerResponse)
    # the emulator's own operations (UpdateEndpoint, added by its SageMaker rows) among them
    assert {"update_endpoint", "describe_endpoint"} <= set(names)
    assert listed(SageMakerResponse) is names  # listed once


def test_a_symmetric_key_never_makes_the_key_pair_it_never_uses(aws):
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"lease")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"lease"
    key = kms_backends[ACCOUNT][REGION].keys[key_id]
    assert key.private_key._key is None


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256"])
def test_an_asymmetric_key_signs_verifies_and_keeps_its_one_key_pair(aws, spec):
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec=spec)["KeyMetadata"]["KeyId"]
    algorithm = "RSASSA_PSS_SHA_256" if spec.startswith("RSA") else "ECDSA_SHA_256"
    signed = kms.sign(KeyId=key_id, Message=b"v2", SigningAlgorithm=algorithm)["Signature"]
    verified = kms.verify(KeyId=key_id, Message=b"v2", Signature=signed, SigningAlgorithm=algorithm)
    assert verified["SignatureValid"] is True
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == public  # one key pair
    # the public key it gives checks the signature it made, outside KMS too
    key = serialization.load_der_public_key(public)
    if isinstance(key, rsa.RSAPublicKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        key.verify(signed, b"v2", pss, hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(signed, b"v2", ec.ECDSA(hashes.SHA256()))


def test_the_lease_table_is_encrypted_under_a_kms_key(aws):
    described = aws.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    assert described["SSEDescription"]["Status"] == "ENABLED"
    assert described["SSEDescription"]["SSEType"] == "KMS"


def test_a_response_member_is_looked_up_under_the_names_moto_would_try(monkeypatch):
    # every lookup moto's serializer makes for a few real responses (no emulator installed)
    original = vars(XFormedAttributePicker)["get_possible_keys"]
    assert original.__module__ == "moto.core.serialize"
    asked: list[tuple[Any, Any]] = []

    def recording(picker: Any, context: Any) -> Iterator[str]:
        asked.append((picker, context))
        return original(picker, context)

    monkeypatch.setattr(XFormedAttributePicker, "get_possible_keys", recording)
    with mock_aws():
        sm = boto3.client("sagemaker", region_name=REGION)
        container = {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}
        sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer=container)
        sm.describe_model(ModelName="m")
        sfn = boto3.client("stepfunctions", region_name=REGION)
        definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
        arn = sfn.create_state_machine(name="s", definition=definition, roleArn=ROLE)[
            "stateMachineArn"
        ]
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.list_state_machines()
    assert len(asked) > 20

    found = speed.possible_keys(None, original)  # type: ignore[arg-type]
    for picker, context in asked:
        moto_names = list(original(picker, context))
        assert list(found(picker, context)) == moto_names  # computed
        assert list(found(picker, context)) == moto_names  # kept
