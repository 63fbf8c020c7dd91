"""The documented rule that an inference component (IC) fits the instances that host it: what
one copy needs (InferenceComponentComputeResourceRequirements) against one instance of its
instance type (:mod:`deployer.request.instance_capacity`), and the accelerator partition it
takes. A rule of :mod:`deployer.request.inference_component_rules`' set, listed in
:mod:`deployer.request.rules`.

Sources: InferenceComponentComputeResourceRequirements
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html)
and the Developer Guide on deploying to GPU partitions
(https://docs.aws.amazon.com/sagemaker/latest/dg/inference-components-accelerator-partitioning-deploy.html).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from deployer.request import instance_capacity
from deployer.request.inference_components import hosting_variant, items, specifications
from deployer.request.reading import as_int, as_items, as_number, as_object, as_str, variants
from deployer.request.violations import Violation, join, render


def production(raw: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Production variant name -> (its path, the variant), the first of each name."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, variant in variants(dict(raw)):
        if (name := as_str(variant.get("VariantName"))) is not None:
            found.setdefault(name, (path, variant))
    return found


def ic_capacity(raw: dict[str, Any]) -> Iterator[Violation]:
    """InferenceComponentComputeResourceRequirements: "The compute resources allocated to run
    the model" on the endpoint's instances, so what one copy needs fits one instance of its
    instance type (the specification's InstanceType, else the hosting variant's): its CPU cores,
    memory (MaxMemoryRequiredInMb, "The maximum MB of memory", at least the minimum) and
    accelerators ("Accelerators include GPUs and Amazon Web Services Inferentia"), by EC2's
    description of the type (:mod:`deployer.request.instance_capacity`; a type it lacks is not
    checked). AcceleratorPartitionType: "It must be one of the partition profiles declared in
    the target endpoint's accelerator partition layout, and when set,
    NumberOfAcceleratorDevicesRequired must be 1. This field is required when the endpoint's
    production variant has an accelerator partition layout. For endpoints without a layout,
    omit this field"."""
    hosts = production(raw)
    for path, ic in items(raw):
        host = hosting_variant(raw, ic)
        hosting = hosts.get(host) if host is not None else None
        for at, spec in specifications(path, ic):
            compute = spec.get("ComputeResourceRequirements")
            if not isinstance(compute, dict):
                continue
            where = join(at, "ComputeResourceRequirements")
            low = as_int(compute.get("MinMemoryRequiredInMb"))
            high = as_int(compute.get("MaxMemoryRequiredInMb"))
            if low is not None and high is not None and high < low:
                message = f"must not be below MinMemoryRequiredInMb ({low}), got {high}"
                yield Violation(join(where, "MaxMemoryRequiredInMb"), "ic-memory", message, high)
            kind = as_str(spec.get("InstanceType"))
            if kind is None and hosting is not None:
                kind = as_str(hosting[1].get("InstanceType"))
            if kind is not None:
                yield from _fits(where, compute, kind)
            yield from _partition(where, compute, hosting)


def _fits(where: str, compute: dict[str, Any], kind: str) -> Iterator[Violation]:
    found = instance_capacity.capacity(kind)
    if found is None:
        return
    rule = "ic-capacity"
    cores = compute.get("NumberOfCpuCoresRequired")
    if (as_number(cores) or 0) > found["vcpus"]:
        message = f"must fit one {kind} instance ({found['vcpus']} vCPUs), got {render(cores)}"
        yield Violation(join(where, "NumberOfCpuCoresRequired"), rule, message, cores)
    for member in ("MinMemoryRequiredInMb", "MaxMemoryRequiredInMb"):
        memory = as_int(compute.get(member))
        if memory is not None and memory > found["memory_mib"]:
            message = (
                f"must fit one {kind} instance ({found['memory_mib']} MiB of memory), got {memory}"
            )
            yield Violation(join(where, member), rule, message, memory)
    devices = compute.get("NumberOfAcceleratorDevicesRequired")
    if as_number(devices) is None:
        return
    count, counted = instance_capacity.accelerators(found)
    at = join(where, "NumberOfAcceleratorDevicesRequired")
    if count == 0:
        message = (
            f"must be left out: {kind} has no accelerators (GPUs, AWS Inferentia or Trainium), "
            f"got {render(devices)}"
        )
        yield Violation(at, rule, message, devices)
    elif (as_number(devices) or 0) > count:
        message = f"must fit one {kind} instance ({counted}), got {render(devices)}"
        yield Violation(at, rule, message, devices)


def _partition(
    where: str, compute: dict[str, Any], hosting: tuple[str, dict[str, Any]] | None
) -> Iterator[Violation]:
    rule = "ic-partition"
    at = join(where, "AcceleratorPartitionType")
    given = as_str(compute.get("AcceleratorPartitionType"))
    devices = compute.get("NumberOfAcceleratorDevicesRequired")
    if given is not None and as_number(devices) not in (None, 1):
        message = "must be 1 with AcceleratorPartitionType (a copy takes one partition), got "
        at_devices = join(where, "NumberOfAcceleratorDevicesRequired")
        yield Violation(at_devices, rule, f"{message}{render(devices)}", devices)
    if hosting is None:
        return
    path, variant = hosting
    layouts = as_items(variant.get("AcceleratorPartitionLayouts"))
    declared = sorted(
        {
            kind
            for layout in layouts
            for kind in as_items(as_object(layout).get("AcceleratorPartitionTypes"))
            if isinstance(kind, str)
        }
    )
    if given is not None and "AcceleratorPartitionLayouts" not in variant:
        message = (
            f"must be left out: {path} has no AcceleratorPartitionLayouts, so the inference "
            f"component takes whole accelerators, got {render(given)}"
        )
        yield Violation(at, rule, message, given)
    elif given is not None and declared and given not in declared:
        message = (
            f"must be one of the partition types {path} declares ({', '.join(declared)}), got "
            f"{render(given)}"
        )
        yield Violation(at, rule, message, given)
    elif "AcceleratorPartitionType" not in compute and layouts:
        message = (
            f"required: {path} partitions its accelerators (AcceleratorPartitionLayouts); name "
            f"the partition type a copy takes ({', '.join(declared) or 'none declared'})"
        )
        yield Violation(at, rule, message)
