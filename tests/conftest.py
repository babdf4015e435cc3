"""Test-wide guards: sockets may reach loopback only, and no real Azure credential is built."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

pytest_plugins = ["tests.harness"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        raise OSError(f"test suite blocked a connection to {address[0]!r}: only loopback is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test suite blocked name lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def _no_real_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if code under test builds an azure-identity credential itself."""

    def refuse(kind: str) -> Any:
        raise AssertionError(f"test tried to build a real {kind!r} credential; inject FakeCredential")

    monkeypatch.setattr("adlstrace.sources.live.credentials.build_credential", refuse)
    monkeypatch.setattr("adlstrace.sources.live.source.build_credential", refuse, raising=False)
    for name in (
        "ADLSTRACE_FACTORY",
        "ADLSTRACE_RESOURCE_GROUP",
        "AZURE_SUBSCRIPTION_ID",
        "ADLSTRACE_CREDENTIAL",
        "ADLSTRACE_ARM_ENDPOINT",
        "ADLSTRACE_ADLA_JOB_ENDPOINT",
        "REQUESTS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
