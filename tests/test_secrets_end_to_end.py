"""No corpus secret survives a run of `adlstrace activity`, in any format or output.

Each case of tests/secret_corpus.py goes into every customer-controlled field a scenario
serves (see PLACES). The CLI runs with --debug and --save-evidence in each format, and every
sink is searched for any 12-character piece of the secret. A plain marker travels with the
secret in each field, so a field that never reaches any output cannot make a case pass.
The counts go to docs/reliability.md when ADLSTRACE_WRITE_RELIABILITY=1 is set.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adlstrace.errors import ExitCode
from adlstrace.scrub import REDACTED
from tests import scenarios
from tests.fakeazure import FakeAzure, activity_error, activity_run, pipeline_run, usql_error, usql_job
from tests.harness import LiveHarness, reuse_fake
from tests.reliability_doc import markdown_table, replace_section, writing_enabled
from tests.secret_corpus import ORDINARY_TEXTS, SECRET_CASES, SecretCase, leaked_fragments

CASE_IDS = [case.name for case in SECRET_CASES]
FORMATS = ("text", "markdown", "json")
# Where a secret is placed, and the marker that travels with it.
PLACES = {
    "ADF error message": "marker-adf-message",
    "pipeline parameter": "marker-pipeline-parameter",
    "ADLA error description": "marker-adla-description",
    "ADLA error details": "marker-adla-details",
    "U-SQL DECLARE line": "marker_usql_declare",
    "job name": "marker-job-name",
}
# Places whose text the report itself shows; the others reach only the evidence file.
REPORTED_PLACES = ("ADF error message", "ADLA error description", "ADLA error details", "U-SQL DECLARE line")
SINKS = ("stdout", "stderr", "report", "evidence")


def secret_scenario(text: str) -> scenarios.Built:
    """A failed U-SQL activity whose job is found by its ID, with `text` in every place."""
    scenario, factory = scenarios.base()
    start = scenarios.recent()
    run = factory.add_pipeline_run(
        pipeline_run(
            "PL_Secrets",
            run_start=start,
            parameters={"runDate": "2026-12-03", "note": f"{PLACES['pipeline parameter']} {text}"},
        )
    )
    activity = factory.add_activity_run(
        activity_run(
            run,
            "Transform orders",
            linked_service_name=scenarios.LINKED_SERVICE,
            error=activity_error("2703", f"{PLACES['ADF error message']} {text}", "UserError"),
        )
    )
    script_lines = [
        "// Daily orders roll-up",
        f'DECLARE @{PLACES["U-SQL DECLARE line"]} string = "{text}";',
        "@orders = EXTRACT OrderId int FROM @in USING Extractors.Csv();",
    ]
    job = usql_job(
        job_id=activity["activityRunId"],
        name=f"{PLACES['job name']} {text}",
        submit_time=start + timedelta(seconds=20),
        script="\n".join(script_lines),
        errors=[
            usql_error(
                "E_CSC_USER_SYNTAXERROR",
                "syntax error. Expected one of: ALL DISTINCT SELECT",
                description=f"{PLACES['ADLA error description']} {text}",
                details=f"{PLACES['ADLA error details']} {text}",
                line_number=2,
            )
        ],
    )
    scenario.adla_account(scenarios.ACCOUNT).add_job(job)
    return scenarios.Built(scenario, activity["activityRunId"], run["runId"], job["jobId"])


def string_values(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from string_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from string_values(item)


def readable_forms(text: str) -> str:
    """Return `text` plus the forms a reader sees: JSON strings decoded, Markdown cells unescaped."""
    forms = [text, text.replace("\\|", "|").replace("<br>", "\n")]
    with contextlib.suppress(ValueError):
        forms.extend(string_values(json.loads(text)))
    return "\n".join(forms)


def assert_no_leak(secret: str, sinks: dict[str, str]) -> None:
    for sink, text in sinks.items():
        assert leaked_fragments(secret, readable_forms(text)) == [], sink


@pytest.fixture
def live(module_fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> LiveHarness:
    return reuse_fake(module_fake, monkeypatch)


@pytest.fixture(scope="module")
def checks() -> Iterator[dict[str, int]]:
    """Count the (case, format, sink) checks that ran, and write the counts to the doc when enabled."""
    counts = {"report runs": 0, "report sinks": 0, "error runs": 0, "error sinks": 0, "ordinary texts": 0}
    yield counts
    complete = counts["report runs"] == len(SECRET_CASES) * len(FORMATS)
    if writing_enabled() and complete and counts["ordinary texts"] == len(ORDINARY_TEXTS):
        rows = [
            [
                "`activity` report runs",
                f"{len(SECRET_CASES)} cases x {len(FORMATS)} formats x {len(SINKS)} sinks",
                str(counts["report sinks"]),
            ],
            [
                "error paths (403 body, invalid run ID)",
                f"{len(SECRET_CASES)} cases x 2 paths x 2 sinks",
                str(counts["error sinks"]),
            ],
            [
                "ordinary texts kept unmasked in the report",
                f"{len(ORDINARY_TEXTS)} texts",
                str(counts["ordinary texts"]),
            ],
        ]
        table = markdown_table(["What", "Runs", "Checks"], rows)
        places = ", ".join(PLACES)
        replace_section("secret-counts", f"{table}\nSecret places per run: {places}.\n")


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_report_loses_secret(case: SecretCase, live: LiveHarness, tmp_path: Path, checks: dict[str, int]) -> None:
    built = secret_scenario(case.text)
    live.fake.scenario = built.scenario

    for format in FORMATS:
        report_path = tmp_path / f"report.{format}"
        evidence_path = tmp_path / f"evidence.{format}.json"
        to_file = format != "text"
        args = ["activity", built.activity_run_id, "--format", format, "--debug", "--save-evidence", str(evidence_path)]
        if to_file:
            args += ["--output", str(report_path)]

        result = live.run(*args)

        assert result.exit_code == 0, result.stderr
        report = report_path.read_text() if to_file else result.stdout
        evidence = evidence_path.read_text()
        sinks = {"stdout": result.stdout, "stderr": result.stderr, "report": report, "evidence": evidence}
        assert_no_leak(case.secret, sinks)
        for place in REPORTED_PLACES:
            assert PLACES[place] in report, (format, place)
        for place, marker in PLACES.items():
            assert marker in evidence, (format, place)
        assert "DEBUG" in result.stderr
        checks["report runs"] += 1
        checks["report sinks"] += len(sinks)


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_error_loses_secret(case: SecretCase, live: LiveHarness, checks: dict[str, int]) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    live.fake.faults.add("get_linked_service", "status", times=None, status=403, message=f"Denied: {case.text}")

    forbidden = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id, "--debug")
    invalid = live.run("activity", case.text)

    assert forbidden.exit_code == ExitCode.AUTH, forbidden.stderr
    assert "Denied: " in forbidden.stderr
    assert invalid.exit_code == ExitCode.USAGE, invalid.stderr
    # A URL-shaped secret is read as a Studio link and rejected for that; either way one error line.
    assert invalid.stderr.startswith("error: ")
    for result in (forbidden, invalid):
        assert_no_leak(case.secret, {"stdout": result.stdout, "stderr": result.stderr})
    checks["error runs"] += 2
    checks["error sinks"] += 4


def test_ordinary_text_kept(live: LiveHarness, checks: dict[str, int]) -> None:
    for text in ORDINARY_TEXTS:
        built = secret_scenario(text)
        live.fake.scenario = built.scenario

        result = live.run("activity", built.activity_run_id, "--format", "json")

        assert result.exit_code == 0, result.stderr
        report = json.loads(result.stdout)
        details = report["job_errors"][0]["details"]
        assert details == f"{PLACES['ADLA error details']} {text}"
        assert REDACTED not in result.stdout
        assert report["scrubbed_values"] == 0
        checks["ordinary texts"] += 1
