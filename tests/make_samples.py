"""Regenerate samples/ by recording scenarios from the fake Azure service.

Run `python -m tests.make_samples`. Each bundle is what `--save-evidence` writes for the
scenario, so the samples always match the current evidence format.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner

from adlstrace.cli.app import app
from tests import scenarios
from tests.fakeazure import FakeAzure
from tests.harness import FakeCredential

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

BUNDLES = {
    "usql-syntax-error.evidence.json": scenarios.syntax_error,
    "usql-runtime-error.evidence.json": scenarios.runtime_error,
}


def record(name: str, build: object) -> None:
    built = build()  # type: ignore[operator]
    with FakeAzure(built.scenario) as fake:
        env = {
            "ADLSTRACE_ARM_ENDPOINT": fake.arm_endpoint,
            "ADLSTRACE_ADLA_JOB_ENDPOINT": fake.adla_endpoint_template,
            "REQUESTS_CA_BUNDLE": str(fake.ca_bundle),
        }
        credential = FakeCredential()
        with (
            mock.patch.dict(os.environ, env),
            mock.patch("adlstrace.sources.live.source.build_credential", lambda kind: credential),
        ):
            result = CliRunner().invoke(
                app,
                [
                    "activity",
                    built.activity_run_id,
                    "--factory",
                    scenarios.FACTORY,
                    "--resource-group",
                    scenarios.RESOURCE_GROUP,
                    "--subscription",
                    scenarios.SUBSCRIPTION,
                    "--save-evidence",
                    str(SAMPLES / name),
                    "--output",
                    os.devnull,
                ],
            )
    if result.exit_code != 0:
        sys.exit(f"recording {name} failed: {result.output}")
    print(f"wrote samples/{name}")


def main() -> None:
    for name, build in BUNDLES.items():
        record(name, build)


if __name__ == "__main__":
    main()
