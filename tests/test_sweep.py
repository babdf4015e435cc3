"""`adlstrace sweep` end to end through the CLI against the fake Azure service."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adlstrace.errors import AzureCallError
from adlstrace.sources.base import ResourceMissing
from adlstrace.sources.cache import CachingSource
from adlstrace.sweep.state import STATE_FILE
from tests.fakeazure import (
    FakeAzure,
    Scenario,
    activity_error,
    activity_run,
    invoked_by,
    job_related,
    parse_time,
    pipeline_run,
    usql_error,
    usql_job,
)
from tests.harness import LiveHarness
from tests.scenarios import ACCOUNT, FACTORY, LINKED_SERVICE, RESOURCE_GROUP, SUBSCRIPTION, base, recent

FILLER_RUNS = 15


@dataclass
class Seeded:
    """The failures a sweep must find: activity run ID -> (pipeline, activity)."""

    scenario: Scenario
    reported: dict[str, tuple[str, str]] = field(default_factory=dict)
    wrappers: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def _usql(scenario: Scenario, run: dict, name: str, start_offset: timedelta = timedelta(seconds=10), **kw: Any) -> dict:
    start = parse_time(run["runStart"]) + start_offset
    activity = activity_run(
        run,
        name,
        linked_service_name=LINKED_SERVICE,
        activity_run_start=start,
        error=activity_error("2703", f"Job failed in {name}: E_CSC_USER_SYNTAXERROR.", "UserError", name),
        **kw,
    )
    scenario.adla_account(ACCOUNT).add_job(
        usql_job(
            job_id=activity["activityRunId"],
            name=name,
            submit_time=start + timedelta(seconds=5),
            related=job_related(activity["activityRunId"]),
            errors=[usql_error("E_CSC_USER_SYNTAXERROR", "syntax error.", line_number=2)],
        )
    )
    return activity


def seed() -> Seeded:
    """Failures of every kind the sweep handles, among succeeded runs spread over the day."""
    scenario, factory = base()
    seeded = Seeded(scenario)

    # A U-SQL activity retried twice: one failure, the latest attempt reported.
    daily = factory.add_pipeline_run(
        pipeline_run("PL_DailyOrders", run_start=recent(2), duration=timedelta(minutes=20))
    )
    attempts = [
        _usql(scenario, daily, "Transform orders", timedelta(minutes=minutes), retry_attempt=attempt)
        for minutes, attempt in ((1, None), (4, 1), (7, 2))
    ]
    for attempt in attempts:
        factory.add_activity_run(attempt)
    seeded.reported[attempts[-1]["activityRunId"]] = ("PL_DailyOrders", "Transform orders")
    seeded.ids["retry_1"], seeded.ids["retry_2"] = attempts[0]["activityRunId"], attempts[1]["activityRunId"]

    # A Copy iteration failed inside a ForEach of a pipeline that succeeded (on-failure path).
    regions = factory.add_pipeline_run(pipeline_run("PL_Regions", status="Succeeded", run_start=recent(3)))
    loop_start = parse_time(regions["runStart"]) + timedelta(seconds=5)
    factory.add_activity_run(
        activity_run(
            regions,
            "For each region",
            "ForEach",
            activity_run_start=loop_start,
            duration=timedelta(minutes=3),
            error=activity_error("ActivityFailed", "Activity failed because an inner activity failed", "UserError"),
        )
    )
    copy_failed = activity_run(
        regions,
        "Copy region",
        "Copy",
        activity_run_start=loop_start + timedelta(seconds=10),
        iteration_hash="h1",
        error=activity_error("2200", "ErrorCode=UserErrorFileNotFound,'File /raw/eu.csv not found.'", "UserError"),
    )
    factory.add_activity_run(copy_failed)
    factory.add_activity_run(
        activity_run(
            regions, "Copy region", "Copy", status="Succeeded", activity_run_start=loop_start, iteration_hash="h2"
        )
    )
    factory.add_activity_run(
        activity_run(regions, "Log failure", "WebActivity", status="Succeeded", activity_run_start=loop_start)
    )
    seeded.reported[copy_failed["activityRunId"]] = ("PL_Regions", "Copy region")

    # A rerun group: the first attempt is superseded, the rerun is reported with it listed.
    first = factory.add_pipeline_run(pipeline_run("PL_Nightly", run_start=recent(6), is_latest=False))
    rerun = factory.add_pipeline_run(pipeline_run("PL_Nightly", run_start=recent(4), run_group_id=first["runId"]))
    factory.add_activity_run(_usql(scenario, first, "Aggregate sales"))
    latest = factory.add_activity_run(_usql(scenario, rerun, "Aggregate sales"))
    seeded.reported[latest["activityRunId"]] = ("PL_Nightly", "Aggregate sales")
    seeded.ids["first_attempt"] = first["runId"]

    # An Execute Pipeline parent whose child run is in the sweep: the child's leaf is reported once.
    parent = factory.add_pipeline_run(pipeline_run("PL_Parent", run_start=recent(5)))
    invoked = invoked_by("Run child", "PipelineActivity", pipeline_name="PL_Parent", pipeline_run_id=parent["runId"])
    child = factory.add_pipeline_run(
        pipeline_run("PL_Child", run_start=parse_time(parent["runStart"]) + timedelta(seconds=30), invoked=invoked)
    )
    wrapper = factory.add_activity_run(
        activity_run(
            parent,
            "Run child",
            "ExecutePipeline",
            output={"pipelineRunId": child["runId"]},
            error=activity_error("2011", "Operation on target Call API failed", "UserError"),
        )
    )
    call = factory.add_activity_run(
        activity_run(
            child,
            "Call API",
            "WebActivity",
            activity_run_start=parse_time(child["runStart"]) + timedelta(seconds=5),
            error=activity_error("2108", "Invoking the web endpoint failed with HTTP 500.", "UserError"),
        )
    )
    seeded.reported[call["activityRunId"]] = ("PL_Child", "Call API")
    seeded.wrappers[wrapper["activityRunId"]] = child["runId"]

    # Succeeded runs, then the oldest failure, which the listing returns on its last page.
    for hour in range(FILLER_RUNS):
        filler = factory.add_pipeline_run(pipeline_run("PL_Filler", status="Succeeded", run_start=recent(7 + hour / 2)))
        factory.add_activity_run(activity_run(filler, "Wait", "Wait", status="Succeeded"))
    archive = factory.add_pipeline_run(pipeline_run("PL_Archive", run_start=recent(20)))
    old = factory.add_activity_run(_usql(scenario, archive, "Archive"))
    seeded.reported[old["activityRunId"]] = ("PL_Archive", "Archive")
    return seeded


ALL_RUNS = 6 + FILLER_RUNS + 1
SCANNED_RUNS = ALL_RUNS - 1  # the superseded first attempt is never scanned


@pytest.fixture
def seeded(live: LiveHarness) -> Seeded:
    built = seed()
    live.fake.scenario = built.scenario
    live.fake.page_size = 4
    return built


def sweep(live: LiveHarness, out: Path, *extra: str) -> Any:
    return live.run("sweep", "--since", "24h", "--out", str(out), *extra)


def load_index(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "index.json").read_text())["failures"]


def report_files(out: Path) -> set[str]:
    return {path.name for path in out.glob("*.md") if path.name != "index.md"}


def rerun_group_queries(live: LiveHarness) -> int:
    listings = [r.json for r in live.fake.requests if r.route == "query_pipeline_runs"]
    return sum(1 for body in listings if any(f["operand"] == "RunGroupId" for f in body.get("filters") or []))


def request_signature(request: Any) -> str:
    return json.dumps([request.method, request.path.lower(), sorted(request.query.items()), request.json])


def test_sweep_finds_every_seeded_failure(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = sweep(live, tmp_path)
    assert result.exit_code == 0, result.stderr

    rows = load_index(tmp_path)
    by_id = {row["activity_run_id"]: row for row in rows}
    assert set(by_id) == set(seeded.reported) | set(seeded.wrappers)
    for run_id, (pipeline, activity) in seeded.reported.items():
        assert by_id[run_id]["status"] == "reported"
        assert by_id[run_id]["pipeline"] == pipeline
        assert by_id[run_id]["activity"] == activity
    assert report_files(tmp_path) == {by_id[run_id]["report"] for run_id in seeded.reported}
    assert live.fake.count("query_activity_runs") == SCANNED_RUNS


def test_sweep_reads_every_page(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    listing = [r for r in live.fake.requests if r.route == "query_pipeline_runs" and not r.json.get("filters")]
    assert len(listing) == -(-ALL_RUNS // 4)
    assert "PL_Archive" in {row["pipeline"] for row in load_index(tmp_path)}


def test_sweep_folds_retries_and_reruns(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    rows = {row["activity"]: row for row in load_index(tmp_path)}

    orders = (tmp_path / rows["Transform orders"]["report"]).read_text()
    assert "earlier attempt (first run)" in orders
    assert "earlier attempt (retry 1)" in orders
    assert "(retry 2)" not in orders
    assert seeded.ids["retry_1"] in orders
    assert seeded.ids["retry_2"] in orders
    assert sum(1 for row in load_index(tmp_path) if row["activity"] == "Transform orders") == 1

    nightly = (tmp_path / rows["Aggregate sales"]["report"]).read_text()
    assert "earlier attempt (rerun)" in nightly
    assert seeded.ids["first_attempt"] in nightly
    assert sum(1 for row in load_index(tmp_path) if row["pipeline"] == "PL_Nightly") == 1
    assert rerun_group_queries(live) == 0


def test_sweep_queries_rerun_group_outside_window(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = live.run("sweep", "--since", "5h", "--pipeline", "PL_Nightly", "--out", str(tmp_path))
    assert result.exit_code == 0, result.stderr

    rows = load_index(tmp_path)
    assert [row["activity"] for row in rows] == ["Aggregate sales"]
    nightly = (tmp_path / rows[0]["report"]).read_text()
    assert seeded.ids["first_attempt"] in nightly
    assert rerun_group_queries(live) == 1


def test_sweep_reports_by_activity_type(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    rows = {row["activity"]: row for row in load_index(tmp_path)}

    copy_report = (tmp_path / rows["Copy region"]["report"]).read_text()
    assert "resolves no compute job for Copy activities" in copy_report
    assert "UserErrorFileNotFound" in copy_report

    usql = rows["Archive"]
    assert usql["job_url"] == f"https://{ACCOUNT}.azuredatalakeanalytics.net/jobLink/{usql['activity_run_id']}"
    assert usql["root_error"].startswith("E_CSC_USER_SYNTAXERROR at line 2")
    assert "E_CSC_USER_SYNTAXERROR" in (tmp_path / usql["report"]).read_text()


def test_sweep_points_wrapper_at_child(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    rows = {row["activity"]: row for row in load_index(tmp_path)}
    wrapper = rows["Run child"]
    assert wrapper["status"] == "wrapper"
    assert wrapper["report"] == rows["Call API"]["report"]
    assert "PL_Parent" not in " ".join(report_files(tmp_path))
    assert live.fake.count("get_pipeline_run") == 0


def test_sweep_index_files(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["counts"] == {"failures": 6, "reported": 5, "unresolved": 0, "wrapper": 1}
    assert index["last_sweep"]["complete"] is True

    with (tmp_path / "index.csv").open(newline="") as stream:
        csv_rows = list(csv.DictReader(stream))
    assert [row["activity_run_id"] for row in csv_rows] == [row["activity_run_id"] for row in index["failures"]]
    assert {"pipeline", "activity", "activity_type", "time", "error_code", "root_error", "job_url", "report"} <= set(
        csv_rows[0]
    )

    markdown = (tmp_path / "index.md").read_text()
    for row in index["failures"]:
        if row["status"] == "reported":
            assert f"]({row['report']})" in markdown
    assert "| Status" in markdown


def test_sweep_sends_no_duplicate_request(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    signatures = [request_signature(request) for request in live.fake.requests]
    repeated = {signature for signature in signatures if signatures.count(signature) > 1}
    assert repeated == set()
    assert live.fake.count("get_linked_service") == 1
    assert live.fake.count("get_job") == 3


def test_sweep_rerun_is_idempotent(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    first = {path.name: path.stat().st_mtime_ns for path in tmp_path.glob("*.md") if path.name != "index.md"}
    live.fake.clear_requests()

    assert sweep(live, tmp_path).exit_code == 0
    second = {path.name: path.stat().st_mtime_ns for path in tmp_path.glob("*.md") if path.name != "index.md"}
    assert second == first
    assert live.fake.count("get_job") == 0
    assert len(load_index(tmp_path)) == 6


def test_sweep_resumes_after_kill(
    live: LiveHarness, seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adlstrace.sweep.run as sweep_run

    real_write = sweep_run.atomic_write
    written: list[str] = []
    lock = threading.Lock()

    def write_then_die(path: Path, text: str) -> None:
        with lock:
            if len(written) >= 2:
                raise KeyboardInterrupt
            real_write(path, text)
            written.append(path.name)

    monkeypatch.setattr(sweep_run, "atomic_write", write_then_die)
    killed = sweep(live, tmp_path)
    assert killed.exit_code == 130
    assert report_files(tmp_path) == set(written)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert {entry["report"] for entry in state["failures"].values()} == set(written)

    monkeypatch.setattr(sweep_run, "atomic_write", real_write)
    resumed = sweep(live, tmp_path)
    assert resumed.exit_code == 0, resumed.stderr
    rewritten = [line for line in resumed.stderr.splitlines() if line.startswith("sweep: wrote ")]
    assert len(rewritten) == 3
    rows = load_index(tmp_path)
    assert {row["activity_run_id"] for row in rows} == set(seeded.reported) | set(seeded.wrappers)
    assert report_files(tmp_path) == {row["report"] for row in rows if row["status"] == "reported"}


# The sweep in a child process: the same loopback guard and injected credential as the suite.
_CHILD = """
import sys
from tests import conftest
from tests.harness import FakeCredential
import adlstrace.sources.live.source as live_source
from adlstrace.cli.app import app

conftest.pytest_configure(None)
credential = FakeCredential()
live_source.build_credential = lambda kind: credential
app(sys.argv[1:])
"""


def start_sweep_process(live: LiveHarness, out: Path) -> subprocess.Popen[bytes]:
    """Start a sweep in a child process and return once it has written its first report."""
    live.fake.latency = 0.15  # slow enough that a signal lands between two reports
    env = dict(
        os.environ,
        ADLSTRACE_ARM_ENDPOINT=live.fake.arm_endpoint,
        ADLSTRACE_ADLA_JOB_ENDPOINT=live.fake.adla_endpoint_template,
        REQUESTS_CA_BUNDLE=str(live.fake.ca_bundle),
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    argv = ["sweep", "--since", "24h", "--out", str(out), "--concurrency", "1", "--quiet"]
    argv += ["--factory", FACTORY, "--resource-group", RESOURCE_GROUP, "--subscription", SUBSCRIPTION]
    child = subprocess.Popen([sys.executable, "-c", _CHILD, *argv], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not report_files(out) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return child


def assert_resumed_completely(live: LiveHarness, seeded: Seeded, out: Path, before: set[str]) -> None:
    live.fake.latency = 0.0
    resumed = sweep(live, out)

    assert resumed.exit_code == 0, resumed.stderr
    rows = load_index(out)
    ids = [row["activity_run_id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(seeded.reported) | set(seeded.wrappers)
    assert report_files(out) == {row["report"] for row in rows if row["status"] == "reported"}
    assert before <= report_files(out)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_sweep_survives_sigkill(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    child = start_sweep_process(live, tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before_kill = report_files(tmp_path)

    assert child.returncode == -signal.SIGKILL
    assert 0 < len(before_kill) < len(seeded.reported)
    assert_resumed_completely(live, seeded, tmp_path, before_kill)


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM handling is POSIX")
def test_sweep_sigterm_saves_state(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    child = start_sweep_process(live, tmp_path)
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=60)
    before_stop = report_files(tmp_path)

    assert child.returncode == 130, stderr
    assert b"error: interrupted" in stderr
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert {entry["report"] for entry in state["failures"].values()} == before_stop
    assert (tmp_path / "index.md").is_file()
    assert_resumed_completely(live, seeded, tmp_path, before_stop)


def test_sweep_unknown_factory(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "reports"

    result = live.run_plain(
        "sweep", "--since", "24h", "--out", str(out), "--quiet",
        "--factory", "df-other", "--resource-group", RESOURCE_GROUP, "--subscription", SUBSCRIPTION,
    )  # fmt: skip

    assert result.exit_code == 3, result.stderr
    assert "error: " in result.stderr
    assert "df-other" in result.stderr
    assert not out.exists()


def test_sweep_quiet_still_warns(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    live.fake.faults.add("query_activity_runs", "status", times=None, status=403)

    result = sweep(live, tmp_path, "--quiet")

    assert result.exit_code == 11
    assert "sweep: incomplete: " in result.stderr
    assert "sweeping factory" not in result.stderr


def test_sweep_out_is_file(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    target = tmp_path / "reports"
    target.write_text("not a folder\n")

    result = sweep(live, target)

    assert result.exit_code == 7
    assert f"Cannot use {target} as the output folder: it is a file." in result.stderr
    assert live.fake.requests == []


def test_sweep_honours_retry_after(
    live: LiveHarness, seeded: Seeded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrivals: list[tuple[float, str | None, int]] = []
    real_record = live.fake._record

    def timed_record(request: Any) -> None:
        arrivals.append((time.monotonic(), request.route, len(arrivals)))
        real_record(request)

    monkeypatch.setattr(live.fake, "_record", timed_record)
    live.fake.faults.add("query_activity_runs", "status", times=2, status=429, retry_after=1)

    started = time.monotonic()
    result = sweep(live, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started >= 1.0
    assert "HTTP 429" in result.stderr
    assert len(report_files(tmp_path)) == 5

    throttled_at = next(moment for moment, route, _ in arrivals if route == "query_activity_runs")
    during_hold = [route for moment, route, _ in arrivals if throttled_at + 0.3 < moment < throttled_at + 0.9]
    assert during_hold == []


def test_sweep_exit_code_failures_found(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = sweep(live, tmp_path, "--fail-on-failures", "--quiet")
    assert result.exit_code == 10
    assert result.stderr == ""


def test_sweep_exit_code_clean_window(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = sweep(live, tmp_path, "--fail-on-failures", "--pipeline", "PL_Filler")
    assert result.exit_code == 0, result.stderr
    assert load_index(tmp_path) == []


def test_sweep_unresolved_failures(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    live.fake.faults.add("get_linked_service", "status", times=None, status=403)
    result = sweep(live, tmp_path)
    assert result.exit_code == 11

    rows = load_index(tmp_path)
    unresolved = [row for row in rows if row["status"] == "unresolved"]
    assert {row["activity"] for row in unresolved} == {"Transform orders", "Aggregate sales", "Archive"}
    assert all("forbidden" in row["reason"] for row in unresolved)
    assert "## Unresolved" in (tmp_path / "index.md").read_text()

    live.fake.faults.clear()
    retried = sweep(live, tmp_path)
    assert retried.exit_code == 0, retried.stderr
    assert {row["status"] for row in load_index(tmp_path)} == {"reported", "wrapper"}


def test_sweep_unscanned_run_is_incomplete(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    live.fake.faults.add("query_activity_runs", "status", times=1, status=403)
    result = sweep(live, tmp_path)
    assert result.exit_code == 11
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["last_sweep"]["complete"] is False
    assert "was not scanned" in index["last_sweep"]["errors"][0]
    assert "incomplete" in (tmp_path / "index.md").read_text()


def test_sweep_filters(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = sweep(live, tmp_path / "usql", "--activity-type", "DataLakeAnalyticsU-SQL", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = load_index(tmp_path / "usql")
    assert {row["activity"] for row in rows} == {"Transform orders", "Aggregate sales", "Archive"}
    assert all(row["report"].endswith(".json") for row in rows)
    report = json.loads((tmp_path / "usql" / rows[0]["report"]).read_text())
    assert report["schema"] == "adlstrace-report/1"

    result = sweep(live, tmp_path / "daily", "--pipeline", "PL_DailyOrders")
    assert result.exit_code == 0, result.stderr
    assert [row["pipeline"] for row in load_index(tmp_path / "daily")] == ["PL_DailyOrders"]


def test_sweep_rejects_other_factory_folder(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    assert sweep(live, tmp_path).exit_code == 0
    state = json.loads((tmp_path / STATE_FILE).read_text())
    state["factory"] = state["factory"].replace("df-sales", "df-other")
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    result = sweep(live, tmp_path)
    assert result.exit_code == 2
    assert "contains a sweep of factory" in result.stderr


def test_sweep_window_options(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    both = live.run("sweep", "--since", "24h", "--from", "2026-11-01T00:00Z", "--out", str(tmp_path))
    assert both.exit_code == 2
    backwards = live.run("sweep", "--from", "2026-11-02T00:00Z", "--to", "2026-11-01T00:00Z", "--out", str(tmp_path))
    assert backwards.exit_code == 2
    assert "window is empty" in backwards.stderr


class _SlowSource:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def get_job(self, account: str, job_id: str) -> dict:
        with self.lock:
            self.calls.append((account, job_id))
        time.sleep(0.2)
        if job_id == "missing":
            raise ResourceMissing("get ADLA job", f"job {job_id}")
        if job_id == "broken":
            raise AzureCallError("get ADLA job failed")
        return {"jobId": job_id}


def test_cache_single_flight_for_concurrent_calls() -> None:
    inner = _SlowSource()
    cache = CachingSource(inner)  # type: ignore[arg-type]
    answers: list[Any] = []

    def ask(job_id: str) -> None:
        try:
            answers.append(cache.get_job("contosoadla", job_id))
        except (ResourceMissing, AzureCallError) as error:
            answers.append(type(error).__name__)

    threads = [threading.Thread(target=ask, args=(job_id,)) for job_id in ["a"] * 6 + ["missing"] * 3 + ["A"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(inner.calls) == [("contosoadla", "a"), ("contosoadla", "missing")]
    assert answers.count("ResourceMissing") == 3
    with pytest.raises(ResourceMissing):
        cache.get_job("contosoadla", "missing")
    assert len(inner.calls) == 2
    assert cache.stats.sent == {"get_job": 2}


def test_cache_evicts_least_recent() -> None:
    inner = _SlowSource()
    cache = CachingSource(inner, max_entries=2)  # type: ignore[arg-type]
    for job_id in ("x", "y", "x", "z", "x", "y"):
        cache.get_job("acct", job_id)
    assert [job for _, job in inner.calls] == ["x", "y", "z", "y"]


def test_fake_handles_concurrent_requests() -> None:
    with FakeAzure(Scenario(), latency=0.3) as fake:
        import ssl
        import urllib.request

        context = ssl.create_default_context(cafile=fake.ca_bundle)
        url = f"{fake.arm_endpoint}/subscriptions/s/resourceGroups/g/providers/Microsoft.DataFactory/factories/f"

        def get() -> None:
            request = urllib.request.Request(url + "/pipelineruns/x?api-version=2018-06-01")
            request.add_header("Authorization", "Bearer t")
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, context=context, timeout=5)

        threads = [threading.Thread(target=get) for _ in range(8)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 1.5


def test_rich_progress_bars_complete() -> None:
    from adlstrace.sweep.progress import RichProgress

    progress = RichProgress()
    progress.listed(3)
    progress.skipped(1)  # a superseded attempt: listed, never scanned
    progress.found(2)
    progress.scanned()
    progress.scanned()
    progress.reported("a.md")
    progress.settled()  # a wrapper that points at another report
    progress.close()

    runs, reports = progress._progress.tasks
    assert (runs.completed, runs.total) == (2, 2)
    assert (reports.completed, reports.total) == (2, 2)


@pytest.mark.usefixtures("untrusted_ca_bundle")
def test_sweep_untrusted_certificate(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "reports"

    result = sweep(live, out, "--quiet")

    assert result.exit_code == 5, result.stderr
    assert "TLS certificate could not be verified (certificate verify failed:" in result.stderr
    assert not out.exists()


def test_sweep_quiet_keeps_history_warning(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    result = live.run("sweep", "--since", "60d", "--out", str(tmp_path), "--quiet")

    assert result.exit_code == 0, result.stderr
    assert "warning: the window starts before ADF's 45-day run history" in result.stderr


def test_sweep_incomplete_lines_capped(live: LiveHarness, seeded: Seeded, tmp_path: Path) -> None:
    live.fake.faults.add("query_activity_runs", "status", times=None, status=403)

    result = sweep(live, tmp_path, "--quiet")

    incomplete = [line for line in result.stderr.splitlines() if line.startswith("sweep: incomplete: ")]
    assert result.exit_code == 11
    assert len(incomplete) == 6
    assert incomplete[-1].endswith("more; index.md lists them all")
