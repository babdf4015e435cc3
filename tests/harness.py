"""Run the adlstrace CLI in-process against a FakeAzure, with an injected credential."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
from typer.testing import CliRunner

from adlstrace.cli.app import app
from tests.fakeazure import FakeAzure, Scenario
from tests.scenarios import FACTORY, RESOURCE_GROUP, SUBSCRIPTION


class FakeCredential:
    """An azure-identity look-alike that hands out a fixed token and records the scopes asked."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken("fake-token-for-tests", int(time.time()) + 3600)


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class LiveHarness:
    def __init__(self, fake: FakeAzure, credential: FakeCredential) -> None:
        self.fake = fake
        self.credential = credential
        self.runner = CliRunner()

    def run(self, *args: str, factory: bool = True) -> Result:
        argv = list(args)
        if factory:
            argv += ["--factory", FACTORY, "--resource-group", RESOURCE_GROUP, "--subscription", SUBSCRIPTION]
        result = self.runner.invoke(app, argv, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    def run_plain(self, *args: str) -> Result:
        return self.run(*args, factory=False)


@pytest.fixture
def fake() -> Iterator[FakeAzure]:
    with FakeAzure(Scenario()) as server:
        yield server


@pytest.fixture(scope="module")
def module_fake() -> Iterator[FakeAzure]:
    """One fake server for a whole test module, for modules that run hundreds of cases."""
    with FakeAzure(Scenario()) as server:
        yield server


def point_cli_at(fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> LiveHarness:
    """Send the CLI's Azure calls to `fake` with an injected credential, for one test."""
    credential = FakeCredential()
    monkeypatch.setattr("adlstrace.sources.live.source.build_credential", lambda kind: credential)
    monkeypatch.setenv("ADLSTRACE_ARM_ENDPOINT", fake.arm_endpoint)
    monkeypatch.setenv("ADLSTRACE_ADLA_JOB_ENDPOINT", fake.adla_endpoint_template)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_bundle))
    return LiveHarness(fake, credential)


def reuse_fake(fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> LiveHarness:
    """Like point_cli_at, for a server that a module shares: faults and request log start empty."""
    fake.faults.clear()
    fake.clear_requests()
    return point_cli_at(fake, monkeypatch)


@pytest.fixture
def live(fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> LiveHarness:
    monkeypatch.setenv("ADLSTRACE_TIMEOUT", "3")
    return point_cli_at(fake, monkeypatch)


@pytest.fixture
def untrusted_ca_bundle(live: LiveHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point REQUESTS_CA_BUNDLE at a CA that did not sign the fake's certificate.

    It takes `live` so that it runs after the harness has set the trusted bundle.
    """
    bundle = tmp_path / "other-ca.pem"
    bundle.write_bytes(trustme.CA().cert_pem.bytes())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return bundle
