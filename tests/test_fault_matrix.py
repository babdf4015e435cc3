"""Every Azure call the tool makes, under every fault the fake service can inject.

Each cell runs `adlstrace activity --format json` in-process against FakeAzure with one fault
queued on one route, then checks the exit code, stderr and report. The observed outcome of
each cell goes into the matrix in docs/reliability.md when ADLSTRACE_WRITE_RELIABILITY=1:

    ADLSTRACE_WRITE_RELIABILITY=1 python -m pytest tests/test_fault_matrix.py

Retry waits are recorded instead of slept, so the matrix costs no backoff time; only the
hang cells wait for a real read timeout.
"""

from __future__ import annotations

import enum
import functools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from adlstrace.errors import ExitCode
from adlstrace.sources.retry import RetryPolicy
from tests import scenarios
from tests.fakeazure import FakeAzure, Scenario, activity_error, activity_run, job_related, pipeline_run, usql_job
from tests.harness import FakeCredential, LiveHarness, Result
from tests.reliability_doc import markdown_table, replace_section, writing_enabled

# Read timeout for the hang cells, in seconds. The fake delays a hung request by HANG_SECONDS.
HANG_TIMEOUT = "0.3"
HANG_SECONDS = 2.0


class Expect(enum.Enum):
    """What a cell must end in."""

    RETRIED = "report after a logged retry"
    EXHAUSTED = "exit 5 after 4 attempts, naming the call and resource"
    AUTH = "exit 4 with an identity or role hint"
    NOT_FOUND = "exit 3 naming the missing resource"
    NOTE = "report (exit 0) with a note"
    BAD_BODY = "exit 5 naming the call and the bad body"
    COMPLETE = "report (exit 0), paging ended"
    ENDS = "paging ended with a documented exit"


@dataclass(frozen=True)
class RouteCase:
    """One Azure call: its name in messages, the resource it names, and how the CLI reaches it."""

    call: str
    resource: str
    pipeline_run_given: bool = True
    strategy: str = "job-id"
    adla: bool = False


ROUTES: dict[str, RouteCase] = {
    "get_pipeline_run": RouteCase("get pipeline run", "pipeline run {pipeline_run_id} in factory df-sales"),
    "query_pipeline_runs": RouteCase("query pipeline runs", "factory df-sales", pipeline_run_given=False),
    "query_activity_runs": RouteCase("query activity runs", "pipeline run {pipeline_run_id} in factory df-sales"),
    "get_linked_service": RouteCase("get linked service", "linked service LS_ADLA in factory df-sales"),
    "get_job": RouteCase("get ADLA job", "job {job_id} in account contosoadla", adla=True),
    "list_jobs": RouteCase("list ADLA jobs", "account contosoadla", strategy="related-run-id", adla=True),
}
PAGED = ("query_pipeline_runs", "query_activity_runs", "list_jobs")


@dataclass(frozen=True)
class FaultCase:
    """One row of the matrix: a fault, how often it fires, and the outcome per route."""

    label: str
    kind: str
    times: int | None
    params: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Expect] = field(default_factory=dict)
    hang: bool = False


def every_route(outcome: Expect) -> dict[str, Expect]:
    return {route: outcome for route in ROUTES}


def adf_then_adla(adf: Expect, adla: Expect) -> dict[str, Expect]:
    return {route: adla if case.adla else adf for route, case in ROUTES.items()}


FAULTS: list[FaultCase] = [
    FaultCase("429 once, Retry-After: 1", "status", 1, {"status": 429, "retry_after": 1}, every_route(Expect.RETRIED)),
    FaultCase("429 once, no Retry-After", "status", 1, {"status": 429}, every_route(Expect.RETRIED)),
    FaultCase("500 once", "status", 1, {"status": 500}, every_route(Expect.RETRIED)),
    FaultCase("502 once", "status", 1, {"status": 502}, every_route(Expect.RETRIED)),
    FaultCase("503 once", "status", 1, {"status": 503}, every_route(Expect.RETRIED)),
    FaultCase("504 once", "status", 1, {"status": 504}, every_route(Expect.RETRIED)),
    FaultCase("connection reset once", "reset", 1, {}, every_route(Expect.RETRIED)),
    FaultCase("no answer once (read timeout)", "hang", 1, {"seconds": HANG_SECONDS}, every_route(Expect.RETRIED), True),
    FaultCase(
        "429 always, Retry-After: 1", "status", None, {"status": 429, "retry_after": 1}, every_route(Expect.EXHAUSTED)
    ),
    FaultCase("503 always", "status", None, {"status": 503}, every_route(Expect.EXHAUSTED)),
    FaultCase("connection reset always", "reset", None, {}, adf_then_adla(Expect.EXHAUSTED, Expect.NOTE)),
    FaultCase(
        "no answer always (read timeout)",
        "hang",
        None,
        {"seconds": HANG_SECONDS},
        adf_then_adla(Expect.EXHAUSTED, Expect.NOTE),
        True,
    ),
    FaultCase("malformed JSON", "malformed_json", None, {}, every_route(Expect.BAD_BODY)),
    FaultCase("JSON of the wrong shape", "wrong_shape", None, {}, every_route(Expect.BAD_BODY)),
    FaultCase("401", "status", None, {"status": 401}, every_route(Expect.AUTH)),
    FaultCase("403", "status", None, {"status": 403}, every_route(Expect.AUTH)),
    FaultCase(
        "404",
        "status",
        None,
        {"status": 404},
        {
            "get_pipeline_run": Expect.NOT_FOUND,
            "query_pipeline_runs": Expect.NOT_FOUND,
            "query_activity_runs": Expect.NOT_FOUND,
            "get_linked_service": Expect.NOTE,
            "get_job": Expect.NOTE,
            "list_jobs": Expect.NOTE,
        },
    ),
    FaultCase("continuation token repeats", "repeat_token", None, {}, {route: Expect.COMPLETE for route in PAGED}),
    FaultCase("empty page with a token, once", "empty_page_with_token", 1, {}, {r: Expect.COMPLETE for r in PAGED}),
    FaultCase("empty page with a token, always", "empty_page_with_token", None, {}, {r: Expect.ENDS for r in PAGED}),
]

# The note each route's ADLA-side or linked-service miss leaves in the report.
NOTES = {
    "get_linked_service": "Linked service LS_ADLA was not found in factory df-sales",
    "get_job": "ADLA account contosoadla",
    "list_jobs": "ADLA account contosoadla",
}

CELLS = [(fault, route) for fault in FAULTS for route in ROUTES if route in fault.expect]


@dataclass
class Waits:
    """Retry waits the tool requested, in seconds, recorded instead of slept."""

    backoff: list[float] = field(default_factory=list)
    retry_after: list[float] = field(default_factory=list)


@dataclass
class Observed:
    exit_code: int
    attempts: int
    retries: int
    note: bool
    report: bool


def outcome_label(observed: Observed) -> str:
    """Describe a cell for the matrix: exit code, then what the report or message showed."""
    if observed.exit_code == 0:
        label = "report"
        if observed.retries:
            label += ", 1 retry" if observed.retries == 1 else f", {observed.retries} retries"
        if observed.note:
            label += " + note"
        return label
    name = ExitCode(observed.exit_code).name
    label = f"exit {observed.exit_code} {name}, {observed.attempts} attempt" + ("" if observed.attempts == 1 else "s")
    return f"ADF-side report + {label}" if observed.report else label


@pytest.fixture(scope="module")
def matrix_fake() -> Iterator[FakeAzure]:
    with FakeAzure(Scenario()) as server:
        yield server


@pytest.fixture
def matrix_live(matrix_fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveHarness, Waits]]:
    """A harness on the module's server, with retry waits recorded rather than slept."""
    credential = FakeCredential()
    monkeypatch.setattr("adlstrace.sources.live.source.build_credential", lambda kind: credential)
    monkeypatch.setenv("ADLSTRACE_ARM_ENDPOINT", matrix_fake.arm_endpoint)
    monkeypatch.setenv("ADLSTRACE_ADLA_JOB_ENDPOINT", matrix_fake.adla_endpoint_template)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(matrix_fake.ca_bundle))
    monkeypatch.setenv("ADLSTRACE_TIMEOUT", "3")
    waits = Waits()
    monkeypatch.setattr(
        "adlstrace.sources.live.source.RetryPolicy", functools.partial(RetryPolicy, sleep=waits.backoff.append)
    )
    monkeypatch.setattr(
        "adlstrace.sources.retry.time", SimpleNamespace(sleep=waits.retry_after.append, monotonic=time.monotonic)
    )
    matrix_fake.faults.clear()
    matrix_fake.clear_requests()
    yield LiveHarness(matrix_fake, credential), waits
    matrix_fake.faults.clear()


@pytest.fixture(scope="module")
def matrix_results() -> Iterator[dict[tuple[str, str], str]]:
    """Collect each cell's observed outcome, and write the matrix to the doc when enabled."""
    results: dict[tuple[str, str], str] = {}
    yield results
    if writing_enabled() and len(results) == len(CELLS):
        rows = [[fault.label] + [results.get((fault.label, route), "n/a") for route in ROUTES] for fault in FAULTS]
        replace_section("fault-matrix", markdown_table(["Fault"] + [f"`{r}`" for r in ROUTES], rows))


def run_cell(live: LiveHarness, route: str, *extra: str) -> tuple[Result, Any, scenarios.Built]:
    case = ROUTES[route]
    built = scenarios.syntax_error(strategy=case.strategy)
    live.fake.scenario = built.scenario
    args = ["activity", built.activity_run_id, "--format", "json", *extra]
    if case.pipeline_run_given:
        args += ["--pipeline-run-id", built.pipeline_run_id]
    result = live.run(*args)
    # A failed ADLA lookup still prints the report's ADF side before its error line.
    report = json.loads(result.stdout) if result.stdout.strip() else None
    return result, report, built


@pytest.mark.parametrize(
    ("fault", "route"), CELLS, ids=[f"{route}-{fault.label}".replace(" ", "_") for fault, route in CELLS]
)
def test_fault_cell(
    fault: FaultCase,
    route: str,
    matrix_live: tuple[LiveHarness, Waits],
    matrix_results: dict[tuple[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live, waits = matrix_live
    case = ROUTES[route]
    if fault.hang:
        monkeypatch.setenv("ADLSTRACE_TIMEOUT", HANG_TIMEOUT)
    live.fake.faults.add(route, fault.kind, times=fault.times, **fault.params)

    result, report, built = run_cell(live, route)

    expect = fault.expect[route]
    resource = case.resource.format(pipeline_run_id=built.pipeline_run_id, job_id=built.job_id)
    notes = report["notes"] if report is not None else []
    observed = Observed(
        exit_code=result.exit_code,
        attempts=live.fake.count(route),
        retries=result.stderr.count("; retry "),
        note=any(NOTES.get(route, "\0") in note for note in notes),
        report=report is not None,
    )
    matrix_results[(fault.label, route)] = outcome_label(observed)

    assert "Traceback" not in result.stderr
    if expect in (Expect.EXHAUSTED, Expect.AUTH, Expect.BAD_BODY):
        # Only an ADLA failure keeps the report: the ADF side is complete without the job.
        assert observed.report is case.adla, result.stdout
        if case.adla:
            assert any("The ADLA job lookup failed" in note for note in notes), notes
            assert report["ids"]["activity_run_id"] == built.activity_run_id
    if expect is Expect.RETRIED:
        assert result.exit_code == 0, result.stderr
        assert f"{case.call} ({resource}) failed with" in result.stderr
        assert "retry 1 of 3" in result.stderr
        assert report["ids"]["job_id"] == built.job_id
    elif expect is Expect.EXHAUSTED:
        assert result.exit_code == ExitCode.AZURE, result.stderr
        assert f"error: {case.call} ({resource}) failed after 4 attempts" in result.stderr
        assert "hint: " in result.stderr
        assert observed.attempts == 4
    elif expect is Expect.AUTH:
        assert result.exit_code == ExitCode.AUTH, result.stderr
        assert f"error: {case.call} on {resource}" in result.stderr
        assert "hint: " in result.stderr
        assert "the identity of credential 'default'" in result.stderr
    elif expect is Expect.NOT_FOUND:
        assert result.exit_code == ExitCode.NOT_FOUND, result.stderr
        assert result.stderr.startswith("error: ")
        assert "hint: " in result.stderr
    elif expect is Expect.NOTE:
        assert result.exit_code == 0, result.stderr
        assert observed.note, notes
        assert report["ids"]["activity_run_id"] == built.activity_run_id
    elif expect is Expect.BAD_BODY:
        assert result.exit_code == ExitCode.AZURE, result.stderr
        assert f"error: {case.call} on {resource} returned a body of the wrong shape" in result.stderr
        assert observed.attempts == 1
    elif expect is Expect.COMPLETE:
        assert result.exit_code == 0, result.stderr
        assert report["ids"]["job_id"] == built.job_id
    else:
        assert result.exit_code in (0, ExitCode.NOT_FOUND), result.stderr
        # Each listing reads the empty first page and one more whose token repeats. The job
        # lookup lists twice (related-run-id, then submit-window).
        assert observed.attempts <= (4 if case.adla else 2)

    if fault.label == "429 once, Retry-After: 1":
        assert max(waits.retry_after) == pytest.approx(1.0, abs=0.1)
        assert waits.backoff == []
    if fault.label == "429 once, no Retry-After":
        assert len(waits.backoff) == 1
        assert 0.375 <= waits.backoff[0] <= 0.625


def test_debug_shows_traceback(matrix_live: tuple[LiveHarness, Waits]) -> None:
    live, _ = matrix_live
    live.fake.faults.add("get_pipeline_run", "status", times=None, status=503)

    result, _, _ = run_cell(live, "get_pipeline_run", "--debug")

    assert result.exit_code == ExitCode.AZURE
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-2].startswith("error: get pipeline run")


def test_missing_factory_named(matrix_live: tuple[LiveHarness, Waits]) -> None:
    live, _ = matrix_live
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    result = live.run_plain(
        "activity",
        built.activity_run_id,
        "--factory",
        "df-missing",
        "--resource-group",
        scenarios.RESOURCE_GROUP,
        "--subscription",
        scenarios.SUBSCRIPTION,
    )

    assert result.exit_code == ExitCode.NOT_FOUND
    assert "df-missing" in result.stderr
    assert "hint: " in result.stderr


def test_repeated_token_counts_once(matrix_live: tuple[LiveHarness, Waits]) -> None:
    live, _ = matrix_live
    built = scenarios.foreach_iterations(successes=3)
    live.fake.scenario = built.scenario
    live.fake.faults.add("query_activity_runs", "repeat_token", times=None)

    result = live.run("activity", built.activity_run_id, "--format", "json")

    assert result.exit_code == 0, result.stderr
    assert "repeated a continuation token" in result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert any("4 times (1 failed, 3 succeeded)" in note for note in notes), notes


def sweep_scenario() -> tuple[Scenario, dict[str, str]]:
    """Two failed U-SQL activities with their jobs and one failed Copy activity, each in its own run."""
    scenario, factory = scenarios.base()
    names: dict[str, str] = {}
    for hours, name in ((2, "Load orders"), (3, "Load returns")):
        run = factory.add_pipeline_run(pipeline_run(f"PL_{name.replace(' ', '')}", run_start=scenarios.recent(hours)))
        activity = factory.add_activity_run(
            activity_run(
                run,
                name,
                linked_service_name=scenarios.LINKED_SERVICE,
                error=activity_error("2703", f"Job failed in {name}.", "UserError", name),
            )
        )
        scenario.adla_account(scenarios.ACCOUNT).add_job(
            usql_job(
                job_id=activity["activityRunId"],
                name=name,
                submit_time=scenarios.recent(hours - 0.01),
                related=job_related(activity["activityRunId"]),
            )
        )
        names[name] = activity["activityRunId"]
    run = factory.add_pipeline_run(pipeline_run("PL_Export", run_start=scenarios.recent(4)))
    error = activity_error("2200", "Copy failed: sink is full.", "UserError")
    copy = factory.add_activity_run(activity_run(run, "Copy export", "Copy", error=error))
    names["Copy export"] = copy["activityRunId"]
    return scenario, names


def sweep_rows(live: LiveHarness, out: Path) -> tuple[Result, dict[str, dict[str, str]]]:
    result = live.run("sweep", "--since", "24h", "--out", str(out), "--concurrency", "1", "--format", "json")
    rows = json.loads((out / "index.json").read_text())["failures"]
    return result, {row["activity"]: row for row in rows}


def test_sweep_adla_forbidden(matrix_live: tuple[LiveHarness, Waits], tmp_path: Path) -> None:
    live, _ = matrix_live
    live.fake.scenario, _ = sweep_scenario()
    live.fake.faults.add("get_job", "status", times=None, status=403)

    result, rows = sweep_rows(live, tmp_path)

    assert result.exit_code == ExitCode.SWEEP_INCOMPLETE, result.stderr
    assert "Traceback" not in result.stderr
    assert rows["Copy export"]["status"] == "reported"
    assert (tmp_path / rows["Copy export"]["report"]).is_file()
    for name in ("Load orders", "Load returns"):
        assert rows[name]["status"] == "unresolved"
        assert "get ADLA job" in rows[name]["reason"]
        assert "forbidden (HTTP 403" in rows[name]["reason"]


def test_sweep_adla_throttled_once(matrix_live: tuple[LiveHarness, Waits], tmp_path: Path) -> None:
    live, _ = matrix_live
    live.fake.scenario, _ = sweep_scenario()
    # Four 503s use up every attempt of the first job lookup; the next lookups succeed.
    live.fake.faults.add("get_job", "status", times=4, status=503)

    result, rows = sweep_rows(live, tmp_path)

    assert result.exit_code == ExitCode.SWEEP_INCOMPLETE, result.stderr
    statuses = sorted(row["status"] for row in rows.values())
    assert statuses == ["reported", "reported", "unresolved"]
    unresolved = [row for row in rows.values() if row["status"] == "unresolved"]
    assert "failed after 4 attempts: HTTP 503" in unresolved[0]["reason"]
    assert unresolved[0]["activity"] in ("Load orders", "Load returns")
