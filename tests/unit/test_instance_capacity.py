"""The instance capacity table (functions/deployer/request/instance_capacity.json): made again from
botocore's enum of hosting instance types and EC2's data as moto ships it, it is the checked-in
file; and it says what EC2 says of the types the inference component rules check."""

from deployer.request import instance_capacity, shapes


def test_the_checked_in_table_is_what_the_generator_writes():
    # if this fails, a newer botocore or moto changed the data: run
    # PYTHONPATH=functions python -m deployer.request.instance_capacity --write
    expected = instance_capacity.render(instance_capacity.build())

    assert instance_capacity.TABLE.read_text(encoding="utf-8") == expected


def test_every_hosting_type_ec2_describes_is_in_the_table_and_nothing_else():
    enum = set(shapes.service_model().shape_for("ProductionVariantInstanceType").metadata["enum"])
    table = instance_capacity.table()

    assert set(table) <= enum
    # types EC2's data (in the pinned moto) does not describe: never checked
    assert {"ml.p3.2xlarge", "ml.p2.xlarge", "ml.dl1.24xlarge"} <= enum - set(table)
    assert instance_capacity.capacity("ml.p3.2xlarge") is None


def test_a_gpu_a_neuron_and_a_cpu_type():
    g5 = instance_capacity.capacity("ml.g5.12xlarge")
    inf2 = instance_capacity.capacity("ml.inf2.48xlarge")
    m5 = instance_capacity.capacity("ml.m5.large")

    assert g5 == {"vcpus": 48, "memory_mib": 196608, "gpus": 4}
    assert inf2 is not None and m5 is not None
    assert (inf2["neuron_devices"], inf2["neuron_cores"]) == (12, 24)
    assert m5 == {"vcpus": 2, "memory_mib": 8192}
    assert instance_capacity.accelerators(g5) == (4, "4 GPUs")
    # NeuronCores: the larger count, so that neither reading of "accelerator" is refused
    assert instance_capacity.accelerators(inf2)[0] == 24
    assert instance_capacity.accelerators(m5) == (0, "")


def test_the_generator_writes_the_file_it_is_asked_to(tmp_path, monkeypatch, capsys):
    target = tmp_path / "instance_capacity.json"
    monkeypatch.setattr(instance_capacity, "TABLE", target)

    assert instance_capacity.main(["--write"]) == 0

    assert target.read_text(encoding="utf-8") == instance_capacity.render(instance_capacity.build())
    assert "instance types" in capsys.readouterr().out
