"""Step 1: find the activity run. ADF has no call that reads an activity run by its ID alone."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from adlstrace.counts import plural
from adlstrace.errors import NotFoundError, UsageError
from adlstrace.resolver.context import ADF_RETENTION, ResolveContext, logger
from adlstrace.resolver.pages import iter_run_pages
from adlstrace.sources.base import Json, ResourceMissing
from adlstrace.timeutil import format_display, parse_optional_utc

# Activity runs are stamped a little before the pipeline run starts and after it ends
# (queueing and status writes), so the query window is padded on both sides.
WINDOW_PADDING = timedelta(minutes=15)


@dataclass
class FoundActivity:
    """The activity run plus what the search read on the way: its pipeline run and siblings."""

    activity: Json
    pipeline_run: Json
    siblings: list[Json] = field(default_factory=list)
    strategy: str = ""


def pipeline_run_window(pipeline_run: Json, now: datetime) -> tuple[datetime, datetime]:
    """Derive the activity-run query window from a pipeline run's own start and end."""
    start = parse_optional_utc(pipeline_run.get("runStart")) or parse_optional_utc(pipeline_run.get("lastUpdated"))
    end = parse_optional_utc(pipeline_run.get("runEnd")) or now
    if start is None:
        start = end - timedelta(days=1)
    return start - WINDOW_PADDING, min(end + WINDOW_PADDING, max(now, end))


def read_activity_runs(ctx: ResolveContext, pipeline_run: Json) -> list[Json]:
    """Read every activity run of a pipeline run, all pages."""
    run_id = str(pipeline_run.get("runId", ""))
    after, before = pipeline_run_window(pipeline_run, ctx.now)
    runs: list[Json] = []
    pages = iter_run_pages(
        lambda token: ctx.source.query_activity_runs(ctx.factory, run_id, after, before, (), token),
        f"query activity runs of pipeline run {run_id}",
    )
    for page in pages:
        runs.extend(page)
    return runs


def factory_is_missing(missing: ResourceMissing) -> bool:
    """Tell a missing factory or resource group from a missing run, by ARM's 404 code and message.

    ARM returns ResourceGroupNotFound for a request under a resource group that does not exist,
    or ResourceNotFound naming the missing parent ("The Resource 'Microsoft.DataFactory/factories/NAME'
    under resource group 'GROUP' was not found").
    """
    if missing.code == "ResourceGroupNotFound":
        return True
    return missing.code == "ResourceNotFound" and "Microsoft.DataFactory/factories/" in missing.detail


def get_pipeline_run(ctx: ResolveContext, run_id: str) -> Json:
    try:
        return ctx.source.get_pipeline_run(ctx.factory, run_id)
    except ResourceMissing as missing:
        if factory_is_missing(missing):
            raise NotFoundError(
                f"Factory {ctx.factory.name} in resource group {ctx.factory.resource_group} was not found "
                f"({missing.code}).",
                "Check --factory, --resource-group and --subscription.",
            ) from None
        raise NotFoundError(
            f"Pipeline run {run_id} was not found in factory {ctx.factory.name}.",
            "Check --factory, --resource-group and --subscription, and that the run is younger "
            "than ADF's 45-day history. An activity run ID goes to `adlstrace activity`.",
        ) from None


def find_with_pipeline_run(ctx: ResolveContext, activity_run_id: str, pipeline_run_id: str) -> FoundActivity:
    pipeline_run = get_pipeline_run(ctx, pipeline_run_id)
    siblings = read_activity_runs(ctx, pipeline_run)
    for run in siblings:
        if str(run.get("activityRunId", "")).lower() == activity_run_id:
            return FoundActivity(run, pipeline_run, siblings, "pipeline run given")
    raise NotFoundError(
        f"Activity run {activity_run_id} is not part of pipeline run {pipeline_run_id} "
        f"({plural(len(siblings), 'activity run')} read).",
        "Check both IDs, or leave out --pipeline-run-id to search the factory.",
    )


def check_since(ctx: ResolveContext) -> None:
    if ctx.since > ADF_RETENTION:
        logger.warning(
            "--since of %s reaches past ADF's 45-day run history; older runs cannot be found",
            plural(round(ctx.since.total_seconds() / 86400), "day"),
        )


def list_pipeline_runs(ctx: ResolveContext, after: datetime, before: datetime) -> list[Json]:
    runs: list[Json] = []
    pages = iter_run_pages(
        lambda token: ctx.source.query_pipeline_runs(ctx.factory, after, before, (), token),
        f"query pipeline runs of factory {ctx.factory.name}",
    )
    for page in pages:
        runs.extend(page)
    return runs


def scan_order(runs: list[Json]) -> list[Json]:
    """Failed runs first, then newest first; the activity a user asks about most likely failed."""

    def key(run: Json) -> tuple[int, float]:
        start = parse_optional_utc(run.get("runStart"))
        return (0 if run.get("status") == "Failed" else 1, -(start.timestamp() if start else 0.0))

    return sorted(runs, key=key)


def scan_for_activity(ctx: ResolveContext, activity_run_id: str) -> FoundActivity:
    """Search pipeline runs in the `--since` window, several at a time, until one contains the ID."""
    check_since(ctx)
    after, before = ctx.window_start, ctx.now
    pipeline_runs = scan_order(list_pipeline_runs(ctx, after, before))
    ctx.progress(f"searching {plural(len(pipeline_runs), 'pipeline run')} for activity run {activity_run_id}")
    found = _scan_concurrently(ctx, pipeline_runs, activity_run_id)
    if found is not None:
        return found
    raise NotFoundError(
        f"Activity run {activity_run_id} was not found in factory {ctx.factory.name}: searched "
        f"{plural(len(pipeline_runs), 'pipeline run')} updated between {format_display(after)} and "
        f"{format_display(before)}.",
        "The ID may be a pipeline run ID (use `adlstrace pipeline`), a debug run (not kept in "
        "run history), or older than the window (raise --since, up to 45d, or pass "
        "--pipeline-run-id).",
    )


def _scan_concurrently(ctx: ResolveContext, pipeline_runs: list[Json], activity_run_id: str) -> FoundActivity | None:
    if ctx.concurrency < 1:
        raise UsageError(f"Invalid --concurrency {ctx.concurrency}: it must be 1 or more.")
    pending = iter(pipeline_runs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=ctx.concurrency) as pool:
        in_flight: dict[concurrent.futures.Future[list[Json]], Json] = {}

        def submit_next() -> None:
            run = next(pending, None)
            if run is not None:
                in_flight[pool.submit(read_activity_runs, ctx, run)] = run

        for _ in range(ctx.concurrency):
            submit_next()
        while in_flight:
            done, _ = concurrent.futures.wait(in_flight, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                pipeline_run = in_flight.pop(future)
                siblings = future.result()
                for run in siblings:
                    if str(run.get("activityRunId", "")).lower() == activity_run_id:
                        for other in in_flight:
                            other.cancel()
                        return FoundActivity(run, pipeline_run, siblings, "factory scan")
                submit_next()
    return None


def detect_pipeline_run_id(ctx: ResolveContext, run_id: str) -> Json | None:
    """Return the pipeline run if `run_id` is a pipeline run ID, else None."""
    try:
        return ctx.source.get_pipeline_run(ctx.factory, run_id)
    except ResourceMissing:
        return None
