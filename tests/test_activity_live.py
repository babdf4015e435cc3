"""`adlstrace activity` end to end: real SDK clients against the fake Azure service."""

from __future__ import annotations

from tests import scenarios
from tests.harness import LiveHarness


def test_activity_with_pipeline_run_id(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert f"https://contosoadla.azuredatalakeanalytics.net/jobLink/{built.job_id}" in result.stdout
    assert "E_CSC_USER_SYNTAXERROR" in result.stdout
    assert ">" in result.stdout and "SELEC date" in result.stdout
