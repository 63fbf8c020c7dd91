"""The instance types of a variant: their family, and which have local (NVMe instance-store)
storage."""

from __future__ import annotations

import re
from functools import cache

from deployer.request import shapes

# CreateEndpointConfig, KmsKeyId: "Certain Nitro-based instances include local storage... You
# can't request a KmsKeyId when using an instance type with local storage. If you specify a
# value for KmsKeyId when using any nitro-based instances with local storage, the call to
# CreateEndpointConfig fails. For a list of instance types that support local instance
# storage, see Instance Store Volumes." (the API reference as published in the AWS SDKs'
# documentation; the model text of botocore 1.44.5 only says the key "does not encrypt
# instance local storage", and the refusal is what deployments have met.)
#
# The list is the EC2 instance-store table (Instance store volume limits for EC2 instances),
# read by family from the model's own enum of instance types, so that a new size of a known
# family comes with a newer botocore: an EC2 family whose attribute letters include "d"
# (m5d, c5d, r5d, g4dn, p4d, p4de, m6gd, c6gd, r6gd, r7gd) has NVMe instance storage, and so
# do these accelerated families without the letter. Families the table does not list (g7,
# g7e at the time of writing) are left out: a request is never refused on a guess.
NVME_FAMILIES_WITHOUT_D = frozenset(
    {
        "dl1",
        "g5",
        "g6",
        "g6e",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "p6-b300",
        "p6e-gb200",
        "trn1",
        "trn1n",
        "trn2",
    }
)
_FAMILY = re.compile(
    r"ml\.(?P<family>(?P<kind>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z0-9-]*))\."
)


def instance_family(instance_type: str) -> str | None:
    """``g4dn`` for ``ml.g4dn.xlarge``; None for anything else."""
    found = _FAMILY.match(instance_type)
    return found.group("family") if found else None


def has_local_storage(instance_type: str) -> bool:
    found = _FAMILY.match(instance_type)
    if not found:
        return False
    return "d" in found.group("attributes") or found.group("family") in NVME_FAMILIES_WITHOUT_D


@cache
def local_storage_instance_types() -> tuple[str, ...]:
    """The hosting instance types of botocore's model that have local NVMe storage."""
    shape = shapes.service_model().shape_for("ProductionVariantInstanceType")
    enum: list[str] = shape.metadata["enum"]
    return tuple(t for t in enum if has_local_storage(t))
