"""Saved evidence: replays match live runs, samples work offline, start-up stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adlstrace.cli.app import app
from adlstrace.errors import ExitCode
from tests import scenarios
from tests.harness import LiveHarness

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
REPO = SAMPLES.parent


def _without_origin(report: dict) -> dict:
    report = dict(report)
    report.pop("origin")
    return report


@pytest.mark.parametrize(
    "build", [scenarios.syntax_error, scenarios.runtime_error, scenarios.execute_pipeline_chain, scenarios.job_gone]
)
def test_replay_equals_live(live: LiveHarness, tmp_path: Path, build: object) -> None:
    built = build()  # type: ignore[operator]
    live.fake.scenario = built.scenario
    evidence = tmp_path / "run.evidence.json"
    live_run = live.run("activity", built.activity_run_id, "--format", "json", "--save-evidence", str(evidence))
    assert live_run.exit_code == 0, live_run.stderr
    served = len(live.fake.requests)
    replay = CliRunner().invoke(app, ["activity", "--evidence", str(evidence), "--format", "json"])
    assert replay.exit_code == 0, replay.stderr
    assert len(live.fake.requests) == served
    assert _without_origin(json.loads(replay.stdout)) == _without_origin(json.loads(live_run.stdout))
    assert json.loads(replay.stdout)["origin"].startswith("evidence file run.evidence.json")


def test_pipeline_replay_equals_live(live: LiveHarness, tmp_path: Path) -> None:
    built = scenarios.foreach_iterations(successes=5)
    live.fake.scenario = built.scenario
    evidence = tmp_path / "pipeline.evidence.json"
    live_run = live.run("pipeline", built.pipeline_run_id, "--format", "json", "--save-evidence", str(evidence))
    assert live_run.exit_code == 0, live_run.stderr
    replay = CliRunner().invoke(app, ["pipeline", "--evidence", str(evidence), "--format", "json"])
    assert replay.exit_code == 0, replay.stderr
    assert _without_origin(json.loads(replay.stdout)) == _without_origin(json.loads(live_run.stdout))


def test_evidence_records_raw_answers(live: LiveHarness, tmp_path: Path) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    evidence = tmp_path / "e.json"
    assert live.run("activity", built.activity_run_id, "--save-evidence", str(evidence)).exit_code == 0
    bundle = json.loads(evidence.read_text())
    assert bundle["format"] == "adlstrace-evidence" and bundle["version"] == 1
    calls = {exchange["call"] for exchange in bundle["exchanges"]}
    assert {"get_pipeline_run", "query_pipeline_runs", "query_activity_runs", "get_linked_service", "get_job"} <= calls
    job = next(e for e in bundle["exchanges"] if e["call"] == "get_job" and e["outcome"] == "ok")
    assert job["body"]["errorMessage"][0]["errorId"] == "E_CSC_USER_SYNTAXERROR"
    service = next(e for e in bundle["exchanges"] if e["call"] == "get_linked_service")
    assert service["body"]["properties"]["typeProperties"]["servicePrincipalKey"]["value"] == "[REDACTED]"


@pytest.mark.parametrize(
    ("sample", "root_error"),
    [
        ("usql-syntax-error.evidence.json", "E_CSC_USER_SYNTAXERROR at line 14"),
        ("usql-runtime-error.evidence.json", "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR"),
    ],
)
def test_sample_replays_offline(sample: str, root_error: str) -> None:
    result = CliRunner().invoke(app, ["activity", "--evidence", str(SAMPLES / sample)])
    assert result.exit_code == 0, result.stderr
    assert f"Root error: {root_error}" in result.stdout
    assert "https://contosoadla.azuredatalakeanalytics.net/jobLink/" in result.stdout


def test_replay_rejects_other_run_id() -> None:
    result = CliRunner().invoke(
        app,
        [
            "activity",
            "11111111-2222-4333-8444-555555555555",
            "--evidence",
            str(SAMPLES / "usql-syntax-error.evidence.json"),
        ],
    )
    assert result.exit_code == ExitCode.USAGE
    assert "was recorded for activity run ID 3f2b8c1e" in result.stderr


def test_replay_wrong_command() -> None:
    result = CliRunner().invoke(app, ["pipeline", "--evidence", str(SAMPLES / "usql-syntax-error.evidence.json")])
    assert result.exit_code == ExitCode.EVIDENCE
    assert "adlstrace activity --evidence" in result.stderr


def _imported_modules(*args: str) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['adlstrace', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('adlstrace', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return set(done.stderr.split())


def test_help_imports_no_azure_sdk() -> None:
    modules = _imported_modules("--help")
    assert not any(name.startswith(("azure", "msrest")) for name in modules)


def test_replay_imports_no_azure_sdk() -> None:
    modules = _imported_modules("activity", "--evidence", str(SAMPLES / "usql-syntax-error.evidence.json"))
    assert "adlstrace.render.text" in modules
    assert not any(name.startswith(("azure", "msrest")) for name in modules)


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "adlstrace", "--version"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0
    assert done.stdout.startswith("adlstrace ")
