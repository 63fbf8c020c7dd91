"""boto3 sessions that read botocore's service models through one loader per process.

A botocore session made afresh reads every service model it needs from disk again, and the
endpoint rules of every Region (``endpoints.json``, 1 MB of JSON) with them: about 0.2 s for a
handful of clients. smdeploy makes several sessions in one process (the emulator's account,
its server, the CLI's), so each is given the process's one loader, the deployer's
(:func:`deployer.aws.clients.botocore_session`), which keeps each model it has read. A
session keeps its own configuration, credentials and Region; only the reading of botocore's
data files is shared. That loader searches ``AWS_DATA_PATH`` and botocore's own data, as
botocore's does, but not a ``data_path`` of the AWS config file.
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore.loaders
import botocore.session

from deployer.aws import clients


def models() -> botocore.loaders.Loader:
    """The process's one loader of botocore's data files."""
    loader: botocore.loaders.Loader = clients.botocore_session().get_component("data_loader")
    return loader


def boto3_session(**settings: Any) -> boto3.session.Session:
    """``boto3.session.Session(**settings)``, reading the service models with :func:`models`."""
    core = botocore.session.Session()
    core.register_component("data_loader", models())
    return boto3.session.Session(botocore_session=core, **settings)
