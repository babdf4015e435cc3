"""Unit tests of the resolver's small parts: windows, times, OData filters, scan order, matching."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from adlstrace.errors import AuthError
from adlstrace.resolver.activity_run import WINDOW_PADDING, pipeline_run_window, scan_order
from adlstrace.resolver.adla_account import AdlaAccount
from adlstrace.resolver.job_match import find_job, related_run_filter, submit_window_filter
from adlstrace.sources.base import Json, ResourceMissing
from adlstrace.sources.live.credentials import MsrestTokenAdapter
from adlstrace.timeutil import parse_utc
from tests.harness import FakeCredential

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
RUN_ID = "3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13"
ACCOUNT = AdlaAccount("contosoadla", "azuredatalakeanalytics.net", "LS_ADLA", "linked service LS_ADLA")


def test_window_pads_finished_run() -> None:
    run = {"runStart": "2026-12-04T08:00:00Z", "runEnd": "2026-12-04T09:00:00Z"}

    start, end = pipeline_run_window(run, NOW)

    assert start == datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc) - WINDOW_PADDING
    assert end == datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc) + WINDOW_PADDING


def test_window_of_running_run_ends_now() -> None:
    run = {"runStart": "2026-12-04T11:50:00Z", "runEnd": None}

    _, end = pipeline_run_window(run, NOW)

    assert end == NOW


def test_utc_seven_fractional_digits() -> None:
    parsed = parse_utc("2026-12-04T10:20:30.1234567Z")

    assert parsed == datetime(2026, 12, 4, 10, 20, 30, 123456, tzinfo=timezone.utc)


def test_utc_offset_converted() -> None:
    assert parse_utc("2026-12-04T12:20:30+02:00") == datetime(2026, 12, 4, 10, 20, 30, tzinfo=timezone.utc)


def test_utc_without_offset_is_utc() -> None:
    assert parse_utc("2026-12-04T10:20:30").tzinfo == timezone.utc


def test_related_run_filter_text() -> None:
    assert related_run_filter(RUN_ID) == f"related/runId eq guid'{RUN_ID}'"


def test_submit_window_filter_text() -> None:
    start = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)

    text = submit_window_filter(start, start + timedelta(hours=1))

    assert text == (
        "submitTime ge datetimeoffset'2026-12-04T07:50:00.0000000Z' and "
        "submitTime le datetimeoffset'2026-12-04T09:10:00.0000000Z'"
    )


def test_scan_order_failed_then_newest() -> None:
    runs = [
        {"runId": "old-ok", "status": "Succeeded", "runStart": "2026-12-04T01:00:00Z"},
        {"runId": "new-ok", "status": "Succeeded", "runStart": "2026-12-04T05:00:00Z"},
        {"runId": "old-failed", "status": "Failed", "runStart": "2026-12-04T02:00:00Z"},
        {"runId": "new-failed", "status": "Failed", "runStart": "2026-12-04T04:00:00Z"},
    ]

    assert [run["runId"] for run in scan_order(runs)] == ["new-failed", "old-failed", "new-ok", "old-ok"]


class JobSource:
    """A job source that serves jobs from dicts and records each call in order."""

    def __init__(self, jobs: dict[str, Json], listed: dict[str, list[Json]], fail: Exception | None = None) -> None:
        self.jobs = jobs
        self.listed = listed
        self.fail = fail
        self.calls: list[str] = []

    def get_job(self, account: str, job_id: str) -> Json:
        self.calls.append(f"get {job_id}")
        if self.fail is not None:
            raise self.fail
        if job_id not in self.jobs:
            raise ResourceMissing("get ADLA job", f"job {job_id}", "JobNotFound")
        return self.jobs[job_id]

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]:
        self.calls.append(f"list {odata_filter.split(' ')[0]}")
        return self.listed.get(odata_filter.split(" ")[0], [])


WINDOW = (NOW - timedelta(hours=1), NOW)


def test_find_job_falls_through_to_related() -> None:
    job = {"jobId": "a1b2c3d4-0000-4000-8000-000000000001", "related": {"runId": RUN_ID}}
    source = JobSource({job["jobId"]: job}, {"related/runId": [job]})

    lookup = find_job(source, ACCOUNT, RUN_ID, WINDOW)  # type: ignore[arg-type]

    assert lookup.strategy == "related-run-id"
    assert lookup.job is job
    assert source.calls == [f"get {RUN_ID}", "list related/runId", f"get {job['jobId']}"]
    assert lookup.attempts[0].outcome == "no match"


def test_find_job_ignores_unrelated_listing() -> None:
    other = {"jobId": "a1b2c3d4-0000-4000-8000-000000000002", "name": "someone else's job"}
    source = JobSource({}, {"related/runId": [other], "submitTime": [other]})

    lookup = find_job(source, ACCOUNT, RUN_ID, WINDOW)  # type: ignore[arg-type]

    assert lookup.job is None
    assert len(lookup.attempts) == 3


def test_find_job_auth_error_raised_without_partial() -> None:
    source = JobSource({}, {}, fail=AuthError("forbidden"))

    with pytest.raises(AuthError):
        find_job(source, ACCOUNT, RUN_ID, WINDOW)  # type: ignore[arg-type]


def test_find_job_auth_error_kept_as_partial() -> None:
    source = JobSource({}, {}, fail=AuthError("forbidden"))
    partial: list[Any] = []

    lookup = find_job(source, ACCOUNT, RUN_ID, WINDOW, partial)  # type: ignore[arg-type]

    assert lookup.failed == "forbidden"
    assert len(partial) == 1


def test_msrest_adapter_signs_with_scope() -> None:
    credential = FakeCredential()
    adapter = MsrestTokenAdapter(credential, "https://datalake.azure.net/.default")

    first = adapter.signed_session()
    adapter.signed_session()

    assert first.headers["Authorization"] == "Bearer fake-token-for-tests"
    assert credential.scopes == ["https://datalake.azure.net/.default"]
