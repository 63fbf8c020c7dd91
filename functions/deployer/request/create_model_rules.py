"""The documented rules of ``Models``, the CreateModel requests: their names, their
containers, their environment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from deployer.request.reading import as_items, as_object, as_str
from deployer.request.violations import Violation, join, render

# ContainerDefinition.Environment: "The maximum length of all keys and values in the map,
# combined, is 32 KB. If you pass multiple containers ... all of their maps, combined."
ENVIRONMENT_BYTES = 32_768
_ARN_RESOURCE = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:(?P<resource>[a-z\-]*)/"
)


def models(raw: dict[str, Any]) -> Iterator[Violation]:
    """``Models`` are CreateModel requests: each carries a container, either PrimaryContainer
    or Containers (an inference pipeline), each container an Image or a ModelPackageName
    (a model package name or ARN: arn:aws:sagemaker:<region>:<account>:model-package/...).
    Model names are unique (SageMaker's names ignore case); an inference pipeline names all
    its containers or none ("If you specify a value for the ContainerHostName for any
    ContainerDefinition that is part of an inference pipeline, you must specify a value for
    the ContainerHostName parameter of every ContainerDefinition in that pipeline"); the
    environment of all containers together is at most 32 KB."""
    seen: dict[str, tuple[str, str]] = {}
    for i, model in enumerate(as_items(raw.get("Models"))):
        if not isinstance(model, dict):
            continue
        path = join("Models", i)
        name = as_str(model.get("ModelName"))
        if name is not None:
            if name.lower() in seen:
                message = (
                    f"must be unique within Models (names ignore case); "
                    f"{seen[name.lower()][0]} is {render(seen[name.lower()][1])}"
                )
                yield Violation(join(path, "ModelName"), "unique-model-names", message, name)
            else:
                seen[name.lower()] = (join(path, "ModelName"), name)
        yield from _model_containers(path, model)


def _model_containers(path: str, model: dict[str, Any]) -> Iterator[Violation]:
    primary, listed = model.get("PrimaryContainer"), model.get("Containers")
    if primary is None and not listed:
        message = (
            "needs PrimaryContainer or Containers (a container image, "
            "or a ModelPackageName from the model registry)"
        )
        yield Violation(path, "model-container", message)
    elif primary is not None and listed is not None:
        yield Violation(path, "model-container", "give PrimaryContainer or Containers, not both")
    containers = [(join(path, "PrimaryContainer"), primary)] if primary is not None else []
    containers += [(join(join(path, "Containers"), j), c) for j, c in enumerate(as_items(listed))]
    environment = 0
    for at, container in containers:
        if not isinstance(container, dict):
            continue
        if "Image" not in container and "ModelPackageName" not in container:
            message = (
                "needs Image (a container image) "
                "or ModelPackageName (a model package from the registry)"
            )
            yield Violation(at, "model-container", message)
        package = as_str(container.get("ModelPackageName"))
        if package and package.startswith("arn:"):
            found = _ARN_RESOURCE.match(package)
            if found and found.group("resource") != "model-package":
                message = (
                    "must be a model package ARN "
                    "(arn:aws:sagemaker:<region>:<account>:model-package/<name>[/<version>]), "
                    f"got {render(package)}, whose resource type is {found.group('resource')}"
                )
                yield Violation(join(at, "ModelPackageName"), "model-package-arn", message, package)
        for key, value in as_object(container.get("Environment")).items():
            environment += len(str(key).encode()) + len(str(value).encode())
    if environment > ENVIRONMENT_BYTES:
        message = (
            f"the Environment maps of the model's containers hold {environment} bytes "
            f"together; at most {ENVIRONMENT_BYTES} (32 KB)"
        )
        yield Violation(path, "environment-size", message, environment)
    pipeline = [c for c in as_items(listed) if isinstance(c, dict)]
    named = [c for c in pipeline if "ContainerHostname" in c]
    if named and len(named) != len(pipeline):
        message = (
            "every container of an inference pipeline needs a ContainerHostname when one has it"
        )
        yield Violation(join(path, "Containers"), "container-hostname", message)
