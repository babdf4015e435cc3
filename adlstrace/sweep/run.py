"""Run a sweep: list pipeline runs, scan their activity runs, write one report per failure.

The listing streams: each pipeline run goes to a worker as soon as its page arrives. A
worker reads the run's activity runs and writes the reports of its failures before it takes
the next run, so memory contains a bounded number of runs and reports at any time.

Decisions that need the whole listing wait until it ends:
- an attempt superseded by a rerun (`isLatest: false`) is skipped when a later attempt of
  its group was listed, and scanned otherwise;
- a failed Execute Pipeline activity whose child run has a failure in this sweep becomes an
  index entry that points at the child's report, and is resolved as usual otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from adlstrace.counts import plural
from adlstrace.errors import AdlstraceError, ExitCode, OutputError
from adlstrace.ids import FactoryRef
from adlstrace.output import atomic_write, render_scrubbed
from adlstrace.render import renderer
from adlstrace.report.model import RelatedRun, Report
from adlstrace.resolver.activity_run import FoundActivity, read_activity_runs
from adlstrace.resolver.context import ResolveContext
from adlstrace.resolver.resolve import report_for_found
from adlstrace.sources.base import AzureSource, Json, member
from adlstrace.sources.cache import CachingSource
from adlstrace.sweep.index import write_index
from adlstrace.sweep.plan import (
    Failure,
    SweepWindow,
    attempt_rows,
    find_failures,
    group_id_of,
    is_latest,
    is_rerun_group_member,
    iter_pipeline_runs,
    listed_group_is_complete,
    query_rerun_group,
    retry_rows,
    run_id_of,
)
from adlstrace.sweep.progress import SweepProgress
from adlstrace.sweep.state import (
    REPORTED,
    UNRESOLVED,
    WRAPPER,
    Entry,
    RunRecord,
    SweepState,
    report_file_name,
)
from adlstrace.timeutil import format_utc, parse_optional_utc, utc_now

logger = logging.getLogger("adlstrace.sweep")


class SweepSetupError(AdlstraceError):
    """The factory's pipeline runs could not be listed at all; carries the cause's exit code."""

    def __init__(self, cause: AdlstraceError) -> None:
        super().__init__(cause.message, cause.hint)
        self.exit_code = cause.exit_code


@dataclass
class SweepRequest:
    factory: FactoryRef
    window: SweepWindow
    out_dir: Path
    format: str = "markdown"
    pipelines: tuple[str, ...] = ()
    activity_types: tuple[str, ...] = ()
    concurrency: int = 8


@dataclass
class SweepResult:
    """Counts of one sweep. `failures` counts every failure found in its window."""

    runs_listed: int = 0
    runs_scanned: int = 0
    superseded: int = 0
    failures: int = 0
    reported: int = 0
    already_reported: int = 0
    wrappers: int = 0
    unresolved: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors and not self.unresolved

    def exit_code(self, fail_on_failures: bool) -> ExitCode:
        if not self.complete:
            return ExitCode.SWEEP_INCOMPLETE
        if fail_on_failures and self.failures:
            return ExitCode.FAILURES_FOUND
        return ExitCode.OK


class _Workers:
    """A thread pool that blocks the submitter when 2 x `concurrency` tasks are queued.

    The first exception a task raises (other than what the task handles itself) stops the
    sweep: later tasks return at once and `check()` re-raises it on the main thread.
    """

    def __init__(self, concurrency: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="adlstrace-sweep")
        self._slots = threading.BoundedSemaphore(concurrency * 2)
        self._idle = threading.Condition()
        self._pending = 0
        self._error: BaseException | None = None
        self._aborted = threading.Event()

    def submit(self, task: Callable[..., None], *args: Any) -> None:
        self.check()
        self._slots.acquire()
        with self._idle:
            self._pending += 1
        self._pool.submit(self._run, task, args)

    def _run(self, task: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            if not self._aborted.is_set():
                task(*args)
        except BaseException as error:
            with self._idle:
                if self._error is None:
                    self._error = error
            self._aborted.set()
        finally:
            self._slots.release()
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def drain(self) -> None:
        with self._idle:
            while self._pending:
                # A timeout keeps the main thread responsive to Ctrl-C.
                self._idle.wait(0.5)
        self.check()

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._aborted.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _ActivityFields(TypedDict):
    """The index columns that come from the failed activity itself."""

    pipeline: str
    pipeline_run_id: str
    activity: str
    activity_run_id: str
    activity_type: str
    time: str


def _activity_fields(failure: Failure) -> _ActivityFields:
    activity, run = failure.activity, failure.pipeline_run
    start = parse_optional_utc(activity.get("activityRunStart"))
    return {
        "pipeline": str(activity.get("pipelineName") or run.get("pipelineName") or ""),
        "pipeline_run_id": str(activity.get("pipelineRunId") or run.get("runId") or "").lower(),
        "activity": str(activity.get("activityName") or ""),
        "activity_run_id": failure.key,
        "activity_type": str(activity.get("activityType") or ""),
        "time": format_utc(start) if start else "",
    }


def _adf_error(activity: Json) -> tuple[str, str]:
    error = member(activity, "error")
    message = str(error.get("message") or "").strip()
    return str(error.get("errorCode") or ""), (message.splitlines()[0] if message else "")


class _Sweep:
    def __init__(self, ctx: ResolveContext, state: SweepState, request: SweepRequest, progress: SweepProgress) -> None:
        self.ctx = ctx
        self.state = state
        self.request = request
        self.progress = progress
        self.render = renderer(request.format)
        self.result = SweepResult()
        self._lock = threading.Lock()
        self._seen_runs: set[str] = set()
        self._latest_groups: set[str] = set()
        self._superseded: dict[str, list[Json]] = {}
        self._group_runs: dict[str, list[Json]] = {}
        self._latest_reruns: list[Json] = []
        self._deferred: list[Failure] = []
        self._failed_runs: set[str] = set()
        self._rerun_rows: dict[str, tuple[list[RelatedRun], str | None]] = {}

    def run(self) -> None:
        workers = _Workers(self.request.concurrency)
        try:
            self._list_and_scan(workers)
            self._scan_rerun_groups(workers)
            workers.drain()
            self._settle_wrappers(workers)
            workers.drain()
        finally:
            workers.close()

    def _list_and_scan(self, workers: _Workers) -> None:
        try:
            for run in iter_pipeline_runs(self.ctx, self.request.window, self.request.pipelines):
                run_id = run_id_of(run)
                if not run_id or run_id in self._seen_runs:
                    continue
                self._seen_runs.add(run_id)
                self.result.runs_listed += 1
                self.progress.listed(1)
                group = group_id_of(run)
                if is_rerun_group_member(run):
                    self._group_runs.setdefault(group, []).append(run)
                if not is_latest(run):
                    self._superseded.setdefault(group, []).append(run)
                    continue
                self._latest_groups.add(group)
                if is_rerun_group_member(run):
                    # Scanned once the listing ends, when its other attempts are known.
                    self._latest_reruns.append(run)
                else:
                    workers.submit(self._scan, run)
        except AdlstraceError as error:
            # When the first page fails, nothing was swept: a wrong factory, a missing role, an
            # untrusted certificate or an outage. The error's own exit code tells them apart.
            if self.result.runs_listed == 0:
                raise SweepSetupError(error) from error
            self._error(f"Listing pipeline runs stopped after {self.result.runs_listed} runs: {error.message}")

    def _scan_rerun_groups(self, workers: _Workers) -> None:
        """Scan the latest listed attempt of each rerun group, superseded or not."""
        for run in self._latest_reruns:
            workers.submit(self._scan, run)
        for group, attempts in self._superseded.items():
            if group in self._latest_groups:
                self.result.superseded += len(attempts)
                self.progress.skipped(len(attempts))
                continue
            newest = max(attempts, key=lambda run: str(run.get("runStart") or ""))
            self.result.superseded += len(attempts) - 1
            self.progress.skipped(len(attempts) - 1)
            workers.submit(self._scan, newest)

    def _settle_wrappers(self, workers: _Workers) -> None:
        for failure in self._deferred:
            child = failure.child_run_id or ""
            if child in self._failed_runs:
                self.state.record(self._adf_entry(failure, WRAPPER, child_run_id=child))
                self._count("wrappers")
                self.progress.settled()
            elif self.state.is_reported(failure.key, self.request.format):
                self._count("already_reported")
                self.progress.settled()
            else:
                workers.submit(self._resolve, failure, [])

    def _scan(self, run: Json) -> None:
        try:
            activities = read_activity_runs(self.ctx, run)
        except AdlstraceError as error:
            self._error(f"Pipeline run {run.get('runId')} ({run.get('pipelineName')}) was not scanned: {error.message}")
            return
        finally:
            self.progress.scanned()
        self._count("runs_scanned")
        failures = find_failures(run, activities, self.request.activity_types)
        if not failures:
            return
        with self._lock:
            self._failed_runs.add(run_id_of(run))
            self.result.failures += len(failures)
        self.progress.found(len(failures))
        for failure in failures:
            if failure.child_run_id:
                with self._lock:
                    self._deferred.append(failure)
            elif self.state.is_reported(failure.key, self.request.format):
                self._count("already_reported")
                self.progress.settled()
            else:
                self._resolve(failure, activities)

    def _reruns(self, run: Json) -> tuple[list[RelatedRun], str | None]:
        """Return the other attempts of the run's rerun group, from the listing when it has them all."""
        if not is_rerun_group_member(run):
            return [], None
        group = group_id_of(run)
        with self._lock:
            known = self._rerun_rows.get(group)
        if known is not None:
            return known
        listed = self._group_runs.get(group, [])
        if listed_group_is_complete(group, listed):
            attempts, note = listed, None
        else:
            attempts, note = query_rerun_group(self.ctx, run)
        known = (attempt_rows(run, attempts), note)
        with self._lock:
            self._rerun_rows[group] = known
        return known

    def _resolve(self, failure: Failure, siblings: list[Json]) -> None:
        fields = _activity_fields(failure)
        what = f"{fields['pipeline']} / {fields['activity']} (activity run {failure.key})"
        try:
            report = report_for_found(self.ctx, FoundActivity(failure.activity, failure.pipeline_run, siblings))
            reruns, note = self._reruns(failure.pipeline_run)
            self._write(failure, report, reruns, note)
        except OutputError:
            raise
        except AdlstraceError as error:
            self._unresolved(failure, what, error.message)
        except Exception as error:
            logger.debug("resolving %s failed", what, exc_info=True)
            self._unresolved(failure, what, f"unexpected {type(error).__name__}: {error} (a bug in adlstrace)")

    def _write(self, failure: Failure, report: Report, reruns: list[RelatedRun], note: str | None) -> None:
        fields = _activity_fields(failure)
        report.related.extend(retry_rows(failure))
        report.related.extend(reruns)
        if note:
            report.notes.append(note)
        name = report_file_name(fields["pipeline"], fields["activity"], failure.key, self.request.format)
        atomic_write(self.state.folder / name, render_scrubbed(report, self.render))
        entry = Entry(
            status=REPORTED,
            error_code=report.adf_error.code if report.adf_error else "",
            root_error=report.root_error,
            job_url=report.ids.job_url or "",
            report=name,
            related_attempts=len(failure.retries) + len(reruns),
            updated=format_utc(self.ctx.now),
            **fields,
        )
        self.state.record(entry)
        self._count("reported")
        self.progress.reported(name)

    def _adf_entry(self, failure: Failure, status: str, child_run_id: str = "", reason: str = "") -> Entry:
        """Build an index entry from the activity's ADF error alone, for failures without a report."""
        code, message = _adf_error(failure.activity)
        return Entry(
            status=status,
            error_code=code,
            root_error=message,
            child_run_id=child_run_id,
            reason=reason,
            updated=format_utc(self.ctx.now),
            **_activity_fields(failure),
        )

    def _unresolved(self, failure: Failure, what: str, reason: str) -> None:
        self.state.record(self._adf_entry(failure, UNRESOLVED, reason=reason))
        self._count("unresolved")
        self.progress.unresolved(what, reason)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.result, name, getattr(self.result, name) + 1)

    def _error(self, message: str) -> None:
        with self._lock:
            self.result.errors.append(message)
        self.progress.message(message)


def run_sweep(
    source: AzureSource, request: SweepRequest, now: datetime, progress: SweepProgress
) -> tuple[SweepResult, CachingSource]:
    """Sweep the window into `request.out_dir`, then rebuild the index from the state file."""
    cache = CachingSource(source)
    ctx = ResolveContext(cache, request.factory, now, concurrency=request.concurrency)
    state = SweepState.open(request.out_dir, request.factory)
    fresh = not state.path.exists()
    state.begin_run(
        RunRecord(
            started=format_utc(now),
            after=format_utc(request.window.after),
            before=format_utc(request.window.before),
            pipelines=list(request.pipelines),
            activity_types=list(request.activity_types),
        )
    )
    sweep = _Sweep(ctx, state, request, progress)
    try:
        sweep.run()
    except SweepSetupError as error:
        if fresh:
            # Nothing was swept: a state file would tie the folder to a factory that was never read.
            state.path.unlink(missing_ok=True)
        else:
            sweep.result.errors.append(f"The factory's pipeline runs could not be listed: {error.message}")
            _finish(state, sweep.result, False, now)
        raise
    except BaseException:
        _finish(state, sweep.result, False, now)
        raise
    _finish(state, sweep.result, True, now)
    return sweep.result, cache


def _finish(state: SweepState, result: SweepResult, finished: bool, now: datetime) -> None:
    """Record how the sweep ended in the state file, then rebuild the index from it."""
    errors = list(result.errors)
    if result.unresolved:
        errors.append(f"{plural(result.unresolved, 'failure')} could not be resolved; a new sweep tries again.")
    if not finished:
        errors.append("The sweep stopped before it finished; run it again to write the remaining reports.")
    state.finish_run(format_utc(utc_now()), finished and result.complete, errors)
    write_index(state, now)
