"""The embedded AWS as a local endpoint: ``smdeploy emulator``.

:class:`EmulatorServer` serves moto on ``http://127.0.0.1:PORT`` (its threaded server, in
this process), configured to run state machines and to run Lambda functions without
Docker, adds the :mod:`~smdeploy.runtime.emulator` hooks, and installs the deployer
(:func:`~smdeploy.runtime.install.install_deployer`). Any AWS client pointed at the URL, the
AWS CLI included, then works as against AWS: approving a model package deploys it, a
manifest copied to the bucket deploys it, ``stepfunctions start-execution`` deploys a request.

The deployer's functions run in this process and call the same URL (``AWS_ENDPOINT_URL``
in their environment), as a Lambda function would call AWS.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import urllib.request
from typing import Any

from moto.server import ThreadedMotoServer
from werkzeug.serving import BaseWSGIServer

from smdeploy.runtime.emulator import Emulator, Faults
from smdeploy.runtime.install import Installation, install_deployer
from smdeploy.runtime.local import REGION, LocalDeployment
from smdeploy.sessions import boto3_session

HOST = "127.0.0.1"
# What the server's own clients sign with; moto accepts any credentials.
ACCESS_KEY = SECRET_KEY = "smdeploy"


class PortInUse(OSError):
    """The port asked for is taken."""


def check_port(port: int, host: str = HOST) -> None:
    """Raise PortInUse when moto's server could not listen on ``host:port`` (it would hang).

    The probe binds and listens as that server's socket will: werkzeug's ``BaseWSGIServer``
    sets ``allow_reuse_address``, so ``socketserver.TCPServer.server_bind`` sets
    ``SO_REUSEADDR`` before it binds (https://docs.python.org/3/library/socketserver.html,
    ``allow_reuse_address``). On Linux and macOS, that option lets a socket bind a port that
    only closed connections (TIME_WAIT) still hold, as the emulator's own port does just after
    it stopped, while a port another socket listens on still refuses it (socket(7);
    https://docs.python.org/3/library/socket.html, ``SO_REUSEADDR``).
    """
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if BaseWSGIServer.allow_reuse_address and hasattr(socket, "SO_REUSEADDR"):
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen()
        except OSError as error:
            raise PortInUse(f"{host}:{port} is in use ({error.strerror})") from None


class EmulatorServer:
    """A local AWS endpoint with the deployer installed. Use as a context manager.

    ``port`` 0 picks a free port; :attr:`endpoint_url` says which, once entered.
    """

    def __init__(
        self,
        port: int = 4566,
        profiles: dict[str, Any] | None = None,
        faults: Faults | None = None,
        seed: int | None = None,
        deadline_seconds: int | None = None,
        config_retention: int | None = None,
    ) -> None:
        self.port = port
        self.profiles = profiles
        self.deadline_seconds = deadline_seconds
        self.config_retention = config_retention
        # its clients act outside executions too: an endpoint change they make ends on its own
        self.emulator = Emulator(faults or Faults(), seed, settle_when_idle=True)
        self.endpoint_url = ""
        self.installation: Installation | None = None
        self._server: ThreadedMotoServer | None = None
        self._saved_port: str | None = None

    def __enter__(self) -> EmulatorServer:
        check_port(self.port)
        LocalDeployment.claim(self)
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        # werkzeug logs every request at INFO; the user's client shows what matters
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=HOST, port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        # the Step Functions interpreter's own clients call localhost:MOTO_PORT
        self._saved_port = os.environ.get("MOTO_PORT")
        os.environ["MOTO_PORT"] = str(port)
        settings = {
            "stepfunctions": {"execute_state_machine": True},
            "lambda": {"use_docker": False},
        }
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/config",
            data=json.dumps(settings).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass
        self.emulator.__enter__()
        session = boto3_session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
        )

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]

        self.installation = install_deployer(
            client,
            self.profiles,
            deadline_seconds=self.deadline_seconds,
            config_retention=self.config_retention,
            functions_endpoint_url=self.endpoint_url,
        )

    def __exit__(self, *exc: object) -> None:
        try:
            self.emulator.__exit__(*exc)
            if self._server is not None:
                self._server.stop()
                self._server = None
            if self._saved_port is None:
                os.environ.pop("MOTO_PORT", None)
            else:
                os.environ["MOTO_PORT"] = self._saved_port
        finally:
            LocalDeployment.release()
