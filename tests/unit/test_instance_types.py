"""deployer.request.instance_types: the instance types with local (NVMe instance-store) storage,
read by family from botocore's model."""

import pytest

from deployer.request import instance_types, shapes


@pytest.mark.parametrize(
    "instance_type",
    ["ml.m5d.large", "ml.c5d.xlarge", "ml.r5d.2xlarge", "ml.g4dn.xlarge", "ml.p4d.24xlarge",
     "ml.p4de.24xlarge", "ml.m6gd.large", "ml.r7gd.medium", "ml.g5.xlarge", "ml.g6.xlarge",
     "ml.g6e.xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge", "ml.dl1.24xlarge"],
)  # fmt: skip
def test_local_storage_instance_types(instance_type):
    assert instance_types.has_local_storage(instance_type)
    assert instance_type in instance_types.local_storage_instance_types()


@pytest.mark.parametrize(
    "instance_type",
    ["ml.m5.large", "ml.c5.xlarge", "ml.c6gn.large", "ml.c6in.large", "ml.inf1.xlarge",
     "ml.inf2.xlarge", "ml.p3.2xlarge", "ml.t2.medium", "ml.g7e.2xlarge", "bogus"],
)  # fmt: skip
def test_instance_types_without_local_storage(instance_type):
    assert not instance_types.has_local_storage(instance_type)
    assert instance_type not in instance_types.local_storage_instance_types()


def test_local_storage_is_read_by_family_so_a_new_size_needs_no_change():
    assert instance_types.has_local_storage("ml.g4dn.64xlarge")
    assert instance_types.has_local_storage("ml.c9d.large")
    enum = shapes.service_model().shape_for("ProductionVariantInstanceType").metadata["enum"]
    local = set(instance_types.local_storage_instance_types())
    families = {instance_types.instance_family(t) for t in local}
    # the families of the pinned model with NVMe instance storage, each with every size
    assert families == {
        "c5d", "c6gd", "dl1", "g4dn", "g5", "g6", "g6e", "m5d", "m6gd", "p4d", "p4de", "p5",
        "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200", "r5d", "r6gd", "r7gd", "trn1",
        "trn1n", "trn2",
    }  # fmt: skip
    assert local == {t for t in enum if instance_types.instance_family(t) in families}
