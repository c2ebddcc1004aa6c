"""Tests never reach beyond loopback: pytest-socket (`--allow-hosts` in pyproject.toml) refuses any other connect()."""

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_a_connection_beyond_loopback_is_refused_inside_tests():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): refused before a packet is sent.
    with pytest.raises(SocketConnectBlockedError), pytest.warns(UserWarning, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_loopback_stays_reachable():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
