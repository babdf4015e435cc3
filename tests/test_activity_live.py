"""`adlstrace activity`, `pipeline` and `job` end to end: real SDK clients against the fake service."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from adlstrace.errors import ExitCode
from tests import scenarios
from tests.harness import LiveHarness

JOB_HOST = "https://contosoadla.azuredatalakeanalytics.net/jobLink/"


def test_activity_with_pipeline_run_id(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert JOB_HOST + str(built.job_id) in result.stdout
    assert "E_CSC_USER_SYNTAXERROR at line 14" in result.stdout
    assert "> 14 |     SELEC date" in result.stdout
    assert "Matched by strategy job-id." in result.stdout


def test_activity_scan_without_pipeline_run(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id)
    assert result.exit_code == 0, result.stderr
    assert JOB_HOST + str(built.job_id) in result.stdout


def test_activity_on_later_page(live: LiveHarness) -> None:
    built = scenarios.many_runs(count=12, activities_per_run=3)
    live.fake.scenario = built.scenario
    live.fake.page_size = 2
    result = live.run("activity", built.activity_run_id, "--concurrency", "3")
    assert result.exit_code == 0, result.stderr
    assert JOB_HOST + built.activity_run_id in result.stdout
    pages = [r for r in live.fake.requests if r.path.lower().endswith("/querypipelineruns")]
    assert len(pages) == 6


def test_activity_on_later_activity_page(live: LiveHarness) -> None:
    built = scenarios.many_runs(count=4, activities_per_run=5)
    live.fake.scenario = built.scenario
    live.fake.page_size = 2
    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert "Transform" not in result.stderr
    assert JOB_HOST + built.activity_run_id in result.stdout


def test_job_matched_by_related_run_id(live: LiveHarness) -> None:
    built = scenarios.syntax_error(strategy="related-run-id")
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["match"]["strategy"] == "related-run-id"
    assert report["ids"]["job_id"] == built.job_id
    assert next(a["outcome"] for a in report["match"]["attempts"]) == "no match"


def test_job_matched_by_submit_window(live: LiveHarness) -> None:
    built = scenarios.syntax_error(strategy="submit-window")
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["match"]["strategy"] == "submit-window"


def test_throttled_then_served(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    live.fake.faults.add("get_pipeline_run", "status", status=429, retry_after=1)
    live.fake.faults.add("get_job", "status", status=503)
    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert "HTTP 429" in result.stderr
    assert "retry 1 of 3" in result.stderr
    assert "HTTP 503" in result.stderr
    assert JOB_HOST + str(built.job_id) in result.stdout


def test_pre_submission_failure_2705(live: LiveHarness) -> None:
    built = scenarios.pre_submission("2705")
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert "before or at job submission" in result.stdout
    assert "2705" in result.stdout
    assert "Owner:" in result.stdout
    assert not [r for r in live.fake.requests if "/adla/" in r.path]


def test_job_gone_from_history(live: LiveHarness) -> None:
    built = scenarios.job_gone()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--since", "3d")
    assert result.exit_code == 0, result.stderr
    assert "may have aged out" in result.stdout
    assert "No strategy matched." in result.stdout
    assert "Pipeline run ID  " + built.pipeline_run_id in result.stdout
    # With no job, the error ID quoted in ADF's message still finds its known cause.
    assert "String value longer than the U-SQL limit" in result.stdout


def test_retired_account_keeps_adf_side(live: LiveHarness) -> None:
    built = scenarios.embedded_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id)
    assert result.exit_code == 0, result.stderr
    assert "did not respond" in result.stdout
    assert "E_CSC_USER_INVALIDCOLUMNTYPE at line 7" in result.stdout
    assert "Appendix: stack traces" in result.stdout
    assert "(stack trace moved to appendix A1)" in result.stdout


def test_malformed_run_id(live: LiveHarness) -> None:
    result = live.run("activity", "not-a-guid")
    assert result.exit_code == ExitCode.USAGE
    assert "Invalid activity run ID 'not-a-guid'" in result.stderr
    assert "Traceback" not in result.stderr
    assert live.fake.requests == []


def test_unknown_run_id(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", "00000000-1111-4222-8333-444444444444")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "searched 1 pipeline run " in result.stderr
    assert "pipeline run ID" in result.stderr
    assert "debug run" in result.stderr


def test_pipeline_run_id_given_as_activity(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert "is a pipeline run ID, not an activity run ID" in result.stdout
    assert JOB_HOST + str(built.job_id) in result.stdout


def test_execute_pipeline_chain(live: LiveHarness) -> None:
    built = scenarios.execute_pipeline_chain()
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    chain = [(link["pipeline_name"], link["activity_type"]) for link in report["chain"]]
    assert chain == [
        ("PL_Master", "ExecutePipeline"),
        ("PL_Region", "ExecutePipeline"),
        ("PL_Load", "DataLakeAnalyticsU-SQL"),
    ]
    assert report["ids"]["activity_run_id"] == built.extra["leaf"]
    assert report["ids"]["job_url"] == JOB_HOST + built.extra["leaf"]
    assert report["job_errors"][0]["error_id"] == "E_CSC_USER_SYNTAXERROR"


def test_pipeline_command_chain(live: LiveHarness) -> None:
    built = scenarios.execute_pipeline_chain()
    live.fake.scenario = built.scenario
    result = live.run("pipeline", built.pipeline_run_id)
    assert result.exit_code == 0, result.stderr
    assert "root cause in activity Transform orders" in result.stdout
    assert JOB_HOST + built.extra["leaf"] in result.stdout


def test_foreach_failed_iteration(live: LiveHarness) -> None:
    built = scenarios.foreach_iterations(successes=50)
    live.fake.scenario = built.scenario
    result = live.run("activity", built.activity_run_id, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ids"]["activity_run_id"] == built.extra["failed"]
    assert report["chain"][0]["activity_type"] == "ForEach"
    assert report["chain"][1]["iteration_hash"] == "deadbeef" * 4
    assert any("51 times (1 failed, 50 succeeded)" in note for note in report["notes"])
    assert report["related"][0]["label"] == "wrapper error of For each region"


def test_studio_url_input(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    factory_id = (
        f"/subscriptions/{scenarios.SUBSCRIPTION}/resourceGroups/{scenarios.RESOURCE_GROUP}"
        f"/providers/Microsoft.DataFactory/factories/{scenarios.FACTORY}"
    )
    url = (
        f"https://adf.azure.com/en/monitoring/pipelineruns/{built.pipeline_run_id}?factory={quote(factory_id, safe='')}"
    )
    result = live.run_plain("pipeline", url)
    assert result.exit_code == 0, result.stderr
    assert JOB_HOST + str(built.job_id) in result.stdout


def test_job_link_input(live: LiveHarness) -> None:
    built = scenarios.runtime_error()
    live.fake.scenario = built.scenario
    result = live.run_plain("job", JOB_HOST + str(built.job_id))
    assert result.exit_code == 0, result.stderr
    assert "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR" in result.stdout.splitlines()[1]
    assert "pass it to `adlstrace activity`" in result.stdout


def test_job_by_account_and_id_unknown(live: LiveHarness) -> None:
    built = scenarios.runtime_error()
    live.fake.scenario = built.scenario
    result = live.run_plain("job", "contosoadla", "11111111-2222-4333-8444-555555555555")
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "was not found in account contosoadla" in result.stderr


def test_markdown_output_file(live: LiveHarness, tmp_path: Path) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    target = tmp_path / "ticket.md"
    result = live.run("activity", built.activity_run_id, "--output", str(target))
    assert result.exit_code == 0, result.stderr
    text = target.read_text()
    assert text.startswith("# ADF activity failure: Transform orders")
    assert "| ADLA job URL" in text
    assert [p.name for p in tmp_path.iterdir()] == ["ticket.md"]


def test_credential_scopes(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    assert live.run("activity", built.activity_run_id).exit_code == 0
    assert "https://management.azure.com/.default" in live.credential.scopes
    assert "https://datalake.azure.net/.default" in live.credential.scopes


def test_no_credential_is_auth_error(live: LiveHarness, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from azure.core.exceptions import ClientAuthenticationError

    class NoCredential:
        def get_token(self, *scopes: str, **kwargs: object) -> None:
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr("adlstrace.sources.live.source.build_credential", lambda kind: NoCredential())
    result = live.run("activity", "3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13")
    assert result.exit_code == ExitCode.AUTH
    assert "Could not get an Azure token" in result.stderr
    assert "az login" in result.stderr
    assert live.fake.requests == []


def test_factory_id_with_bad_subscription(live: LiveHarness) -> None:
    factory_id = "/subscriptions/6f1c2a4e/resourceGroups/rg-data/providers/Microsoft.DataFactory/factories/df-sales"
    result = live.run_plain("activity", "3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13", "--factory", factory_id)
    assert result.exit_code == ExitCode.USAGE
    assert "Invalid subscription ID '6f1c2a4e'" in result.stderr


def test_adla_forbidden_keeps_adf_side(live: LiveHarness, tmp_path: Path) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    live.fake.faults.add("get_job", "status", times=None, status=403)
    target = tmp_path / "ticket.md"

    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id, "-o", str(target))

    assert result.exit_code == ExitCode.AUTH, result.stderr
    assert "error: get ADLA job" in result.stderr
    text = target.read_text()
    assert built.activity_run_id in text
    assert "The ADLA job lookup failed, so this report holds the ADF side only" in text
    assert "2703" in text


def test_pipeline_missing_factory_named(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    factory = ["--factory", "df-missing", "--resource-group", scenarios.RESOURCE_GROUP]

    result = live.run_plain("pipeline", built.pipeline_run_id, *factory, "--subscription", scenarios.SUBSCRIPTION)

    assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
    assert "error: Factory df-missing in resource group" in result.stderr
    assert "was not found (ResourceNotFound)" in result.stderr


def test_job_unknown_account_named(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    result = live.run_plain("job", "nosuchadla", built.job_id)

    assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
    assert "error: ADLA account nosuchadla was not found (AccountNotFound)." in result.stderr
