"""The emulator's port check (``smdeploy.runtime.server.check_port``) says what its server's
own bind would say: a port only closed connections hold is free, a listening one is in use."""

from __future__ import annotations

import socket

import pytest

from smdeploy.runtime.server import HOST, PortInUse, check_port


def test_a_port_another_socket_listens_on_is_in_use() -> None:
    with socket.create_server((HOST, 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(PortInUse, match=f"{HOST}:{port} is in use"):
            check_port(port)


def test_a_port_left_in_time_wait_by_its_server_is_free() -> None:
    # a server that closes its connection first keeps that side in TIME_WAIT on its port,
    # as the emulator's connections do when it stops
    with socket.create_server((HOST, 0)) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection((HOST, port)) as client:
            accepted, _ = listener.accept()
            accepted.close()
            assert client.recv(1) == b""  # the server's close has arrived
    check_port(port)  # no PortInUse


def test_port_zero_is_always_free() -> None:
    check_port(0)
