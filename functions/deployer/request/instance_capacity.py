"""What one instance of each hosting instance type holds: vCPUs, memory and accelerators, for the
check that an inference component's ComputeResourceRequirements fit one instance of the
variant that hosts it (:mod:`deployer.request.inference_component_rules`).

The table is ``instance_capacity.json`` beside this module, read once per process. It is made
from EC2's DescribeInstanceTypes data (an ``ml.X.Y`` SageMaker type is EC2's ``X.Y``), as the
pinned moto ships it (``moto/ec2/resources/instance_types.json.gz``), for every type of
botocore's ``ProductionVariantInstanceType`` enum that the data has. The Lambda functions never
import moto: the table is written beforehand, by

    PYTHONPATH=functions python -m deployer.request.instance_capacity --write

and ``tests/unit/test_instance_capacity.py`` makes it again and checks that it equals the
checked-in file (a newer botocore or moto that changes it fails the test until it is written
again). A type the data does not have (``ml.p2``, ``ml.p3``, ``ml.dl1``... at the time of
writing) has no entry, and nothing is checked against it: a request is never refused on a
guess.

Each entry holds ``vcpus`` and ``memory_mib``; an accelerated type also ``gpus`` (NVIDIA GPUs) or
``neuron_devices`` and ``neuron_cores`` (AWS Inferentia and Trainium). The API reference
says only that "Accelerators include GPUs and Amazon Web Services Inferentia"
(InferenceComponentComputeResourceRequirements.NumberOfAcceleratorDevicesRequired,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html),
not whether a Neuron accelerator is a device or a NeuronCore: :func:`accelerators` counts the
NeuronCores, the larger number, so that neither reading is refused.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

TABLE = Path(__file__).with_name("instance_capacity.json")
SOURCE = (
    "EC2 DescribeInstanceTypes (VCpuInfo, MemoryInfo, GpuInfo, NeuronInfo), as moto ships it "
    "in moto/ec2/resources/instance_types.json.gz; an ml.X.Y type is EC2's X.Y"
)
ML_PREFIX = "ml."


class Capacity(TypedDict, total=False):
    """One instance of a type: what an inference component's requirements must fit."""

    vcpus: int
    memory_mib: int
    gpus: int
    neuron_devices: int
    neuron_cores: int


@cache
def table() -> dict[str, Capacity]:
    """Instance type (``ml.g5.12xlarge``) -> its capacity, for the types the data has."""
    types: dict[str, Capacity] = json.loads(TABLE.read_text(encoding="utf-8"))["types"]
    return types


def capacity(instance_type: str) -> Capacity | None:
    """The capacity of one ``instance_type`` instance, or None when the table lacks it."""
    return table().get(instance_type)


def accelerators(found: Capacity) -> tuple[int, str]:
    """(how many accelerators one instance has, how they are counted): GPUs, or NeuronCores
    (see the module's note), or (0, "") for a type without accelerators."""
    if found.get("gpus"):
        count = found["gpus"]
        return count, f"{count} GPU{'s' if count != 1 else ''}"
    if found.get("neuron_cores"):
        devices, cores = found.get("neuron_devices", 0), found["neuron_cores"]
        return cores, f"{devices} AWS Neuron devices, {cores} NeuronCores"
    return 0, ""


# --- the generator (not used at run time) -------------------------------------------------


def _moto_data() -> dict[str, Any]:
    """EC2's instance types as moto ships them, found without importing moto."""
    import gzip  # the generator's alone: not on a function's cold start
    import importlib.util

    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("moto is not installed: the table is made from its EC2 data")
    root = Path(next(iter(spec.submodule_search_locations)))
    with gzip.open(root / "ec2" / "resources" / "instance_types.json.gz", "rt") as opened:
        data: dict[str, Any] = json.load(opened)
    return data


def _entry(described: dict[str, Any]) -> Capacity:
    entry = Capacity(
        vcpus=int(described["VCpuInfo"]["DefaultVCpus"]),
        memory_mib=int(described["MemoryInfo"]["SizeInMiB"]),
    )
    gpus = sum(int(g["Count"]) for g in (described.get("GpuInfo") or {}).get("Gpus", []))
    if gpus:
        entry["gpus"] = gpus
    neuron = (described.get("NeuronInfo") or {}).get("NeuronDevices", [])
    if neuron:
        entry["neuron_devices"] = sum(int(d["Count"]) for d in neuron)
        entry["neuron_cores"] = sum(int(d["Count"]) * int(d["CoreInfo"]["Count"]) for d in neuron)
    return entry


def build() -> dict[str, Capacity]:
    """The table, made again from botocore's enum and moto's EC2 data."""
    from deployer.request import shapes  # the generator's only use of the model

    enum: list[str] = (
        shapes.service_model().shape_for("ProductionVariantInstanceType").metadata["enum"]
    )
    data = _moto_data()
    return {
        kind: _entry(data[kind.removeprefix(ML_PREFIX)])
        for kind in sorted(enum)
        if kind.removeprefix(ML_PREFIX) in data
    }


def render(types: dict[str, Capacity]) -> str:
    """The file's text: one type a line, so that a change reads as a one-line diff."""
    lines = [f"    {json.dumps(kind)}: {json.dumps(entry)}" for kind, entry in types.items()]
    body = ",\n".join(lines)
    return f'{{\n  "source": {json.dumps(SOURCE)},\n  "types": {{\n{body}\n  }}\n}}\n'


def main(argv: list[str] | None = None) -> int:
    import argparse  # the generator's alone

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"write {TABLE.name}")
    args = parser.parse_args(argv)
    text = render(build())
    if args.write:
        TABLE.write_text(text, encoding="utf-8")
        print(f"wrote {TABLE} ({text.count(chr(10)) - 5} instance types)")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
