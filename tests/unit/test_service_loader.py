"""The clients' loader (``deployer.aws.clients.ServiceLoader``) finds a service model in the
service's own folder instead of listing every service first, and decodes it into plain dicts
(or loads its decoded twin, where the Lambda asset has one): it returns what botocore's own
loader returns (the same keys and values, in the same order), for every kind of model the
clients read, and fails as botocore's does. On the Lambda-runtime tier (Python 3.13, the
asset's tree) the models come from their twins, so the comparisons below check those too."""

import ast
import inspect
import json
import marshal
import sys
from pathlib import Path

import botocore.loaders
import pytest
from botocore.exceptions import DataNotFoundError, UnknownServiceError

from deployer.aws import clients


@pytest.mark.parametrize("service", clients.SERVICES)
@pytest.mark.parametrize("type_name", ["service-2", "endpoint-rule-set-1"])
def test_same_model_as_botocore(service: str, type_name: str) -> None:
    ours = clients.create_loader(None).load_service_model(service, type_name)
    theirs = botocore.loaders.create_loader().load_service_model(service, type_name)
    assert ours == theirs
    assert json.dumps(ours) == json.dumps(theirs)  # the same order too


@pytest.mark.parametrize("name", ["endpoints", "partitions", "sdk-default-configuration"])
def test_same_data_as_botocore(name: str) -> None:
    ours = clients.create_loader(None).load_data(name)
    theirs = botocore.loaders.create_loader().load_data(name)
    assert json.dumps(ours) == json.dumps(theirs)


def test_named_api_version() -> None:
    version = botocore.loaders.create_loader().determine_latest_version("sagemaker", "service-2")
    model = clients.create_loader(None).load_service_model("sagemaker", "service-2", version)
    assert model["metadata"]["apiVersion"] == version


def test_unknown_service_is_botocore_error() -> None:
    with pytest.raises(UnknownServiceError, match="sagemaker"):  # botocore names the known ones
        clients.create_loader(None).load_service_model("no-such-service", "service-2")


def test_unknown_api_version() -> None:
    with pytest.raises(DataNotFoundError):
        clients.create_loader(None).load_service_model("sagemaker", "service-2", "1999-01-01")


def test_data_path_searched_first(tmp_path: Path) -> None:
    folder = tmp_path / "sagemaker" / "2999-01-01"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text('{"metadata": {"apiVersion": "2999-01-01"}}')
    model = clients.create_loader(str(tmp_path)).load_service_model("sagemaker", "service-2")
    assert model["metadata"]["apiVersion"] == "2999-01-01"


def test_session_uses_it() -> None:
    loader = clients.botocore_session().get_component("data_loader")
    assert isinstance(loader, clients.ServiceLoader)
    assert clients.botocore_session().get_service_model("sagemaker").service_name == "sagemaker"


def test_services_names_every_service_a_client_is_made_for() -> None:
    """The asset decodes the models of ``SERVICES`` ahead: a client of another service would
    still work, from the JSON, but pay for decoding it at every cold start."""
    made = {
        node.args[0].value
        for node in ast.walk(ast.parse(inspect.getsource(clients)))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "_client"
        and isinstance(node.args[0], ast.Constant)
    }
    assert made == set(clients.SERVICES)


def _model_with_twin(root: Path, twin_tag: str | None) -> Path:
    folder = root / "sagemaker" / "2999-01-01"
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text('{"metadata": {"apiVersion": "from the json"}}')
    if twin_tag is not None:
        twin = folder / f"service-2.{twin_tag}.marshal"
        twin.write_bytes(marshal.dumps({"metadata": {"apiVersion": "from the twin"}}))
    return root


def test_a_model_s_twin_for_this_interpreter_is_what_is_loaded(tmp_path: Path) -> None:
    loader = clients.create_loader(str(_model_with_twin(tmp_path, sys.implementation.cache_tag)))
    model = loader.load_service_model("sagemaker", "service-2")
    assert model == {"metadata": {"apiVersion": "from the twin"}}


@pytest.mark.parametrize("twin_tag", [None, "cpython-299"])
def test_without_a_twin_for_this_interpreter_the_json_is_loaded(
    tmp_path: Path, twin_tag: str | None
) -> None:
    loader = clients.create_loader(str(_model_with_twin(tmp_path, twin_tag)))
    model = loader.load_service_model("sagemaker", "service-2")
    assert model == {"metadata": {"apiVersion": "from the json"}}
