"""Where an endpoint's inference component copies fit: each instance of a variant holds as
many copies as its CPU cores, memory and accelerator devices allow.

An inference component (IC) says what one copy needs, its ``ComputeResourceRequirements``
(CPU cores, memory in MiB, accelerator devices: "Accelerators include GPUs and Amazon Web
Services Inferentia",
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html);
SageMaker places the copies on the variant's instances, adding instances up to
``ManagedInstanceScaling.MaxInstanceCount`` when the variant has managed instance scaling
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html).

An instance's capacity is EC2's for the same type (``ml.g5.xlarge`` is EC2's ``g5.xlarge``),
from the DescribeInstanceTypes data moto ships: ``VCpuInfo.DefaultVCpus`` cores,
``MemoryInfo.SizeInMiB``, and as accelerator devices its GPUs, else its Neuron (Inferentia,
Trainium) devices, else its inference accelerators. AWS documents no share of an instance
that SageMaker keeps for itself, so the whole instance counts. Copies are placed first fit,
in the order given (the components of the variant, oldest first, then the one placed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.ec2.models.instance_types import INSTANCE_TYPES


@dataclass(frozen=True)
class Resources:
    """CPU cores, memory (MiB) and accelerator devices: of an instance, or needed by a copy."""

    cores: float = 0.0
    memory: float = 0.0
    accelerators: float = 0.0

    def fits_in(self, free: Resources) -> bool:
        return (
            self.cores <= free.cores
            and self.memory <= free.memory
            and self.accelerators <= free.accelerators
        )

    def minus(self, used: Resources) -> Resources:
        return Resources(
            self.cores - used.cores,
            self.memory - used.memory,
            self.accelerators - used.accelerators,
        )

    def described(self) -> str:
        return (
            f"{self.cores:g} CPU cores, {self.memory:g} MiB of memory, "
            f"{self.accelerators:g} accelerator devices"
        )


def instance_resources(instance_type: str) -> Resources | None:
    """What one instance of the SageMaker ``instance_type`` offers (None: EC2's data has no
    such type)."""
    data = INSTANCE_TYPES.get(instance_type.removeprefix("ml."))
    if data is None:
        return None
    gpus = sum(int(g.get("Count", 0)) for g in (data.get("GpuInfo") or {}).get("Gpus", []))
    neuron = sum(
        int(d.get("Count", 0)) for d in (data.get("NeuronInfo") or {}).get("NeuronDevices", [])
    )
    inference = sum(
        int(a.get("Count", 0))
        for a in (data.get("InferenceAcceleratorInfo") or {}).get("Accelerators", [])
    )
    return Resources(
        float(data["VCpuInfo"]["DefaultVCpus"]),
        float(data["MemoryInfo"]["SizeInMiB"]),
        float(gpus or neuron or inference),
    )


def copy_needs(requirements: dict[str, Any]) -> Resources:
    """What one copy needs, from its ComputeResourceRequirements (a member left out: none of
    it; memory: ``MinMemoryRequiredInMb``, what SageMaker must reserve)."""
    return Resources(
        float(requirements.get("NumberOfCpuCoresRequired", 0)),
        float(requirements.get("MinMemoryRequiredInMb", 0)),
        float(requirements.get("NumberOfAcceleratorDevicesRequired", 0)),
    )


@dataclass(frozen=True)
class Placement:
    """How many copies of each demand found room, and on how many instances."""

    placed: tuple[int, ...]  # per demand, in the order given
    instances: int  # instances holding at least one copy


def place(instance: Resources, instances: int, demands: list[tuple[Resources, int]]) -> Placement:
    """Place each demand's copies (needs, count), in order, first fit on ``instances``
    instances of capacity ``instance``; a copy that fits nowhere is not placed."""
    free: list[Resources] = []
    placed: list[int] = []
    for needs, count in demands:
        done = 0
        for _ in range(max(0, count)):
            slot = next((i for i, room in enumerate(free) if needs.fits_in(room)), None)
            if slot is None and len(free) < instances and needs.fits_in(instance):
                free.append(instance)
                slot = len(free) - 1
            if slot is None:
                break
            free[slot] = free[slot].minus(needs)
            done += 1
        placed.append(done)
    return Placement(tuple(placed), len(free))


def instance_pool(variant: dict[str, Any]) -> tuple[int, int]:
    """The instances a variant keeps at least, and may have at most: with managed instance
    scaling ENABLED, MinInstanceCount to MaxInstanceCount (SageMaker adds instances for the
    copies, and may scale in to MinInstanceCount, 0 included:
    https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html);
    otherwise its InitialInstanceCount, fixed."""
    initial = int(variant.get("InitialInstanceCount", 1))
    scaling = variant.get("ManagedInstanceScaling") or {}
    if scaling.get("Status") != "ENABLED":
        return initial, initial
    low = int(scaling.get("MinInstanceCount", initial))
    return low, max(low, int(scaling.get("MaxInstanceCount", initial)))
