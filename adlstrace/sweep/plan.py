"""Find the failures a sweep reports: which pipeline runs to scan and which failed activities count.

ADF rules this module relies on (ADF monitoring REST API, 2018-06-01):
- A rerun creates a new pipeline run with the same `runGroupId`; only the newest attempt of
  the group has `isLatest: true`. The first attempt's `runGroupId` equals its own `runId`.
- An activity retry is a new activity run with the same `activityName` (and `iterationHash`
  inside ForEach/Until) in the same pipeline run, numbered by `retryAttempt`.
- An Execute Pipeline activity names its child run in `output.pipelineRunId`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from adlstrace.errors import AdlstraceError
from adlstrace.report.model import RelatedRun
from adlstrace.resolver.context import ADF_RETENTION, ResolveContext
from adlstrace.resolver.failed_leaves import failed_leaves
from adlstrace.resolver.pages import iter_run_pages
from adlstrace.sources.base import Json, QueryFilter, member
from adlstrace.timeutil import parse_optional_utc

# Characters of an ADF error message kept in a related-run row.
RELATED_ERROR_CHARS = 300


@dataclass(frozen=True)
class SweepWindow:
    """Pipeline runs whose lastUpdated falls in [after, before], both aware UTC datetimes."""

    after: datetime
    before: datetime


@dataclass
class Failure:
    """One failed activity to report: the latest attempt, with its earlier retries."""

    activity: Json
    pipeline_run: Json
    retries: list[Json] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.activity.get("activityRunId") or "").lower()

    @property
    def child_run_id(self) -> str | None:
        """The child pipeline run of a failed Execute Pipeline activity, else None."""
        if str(self.activity.get("activityType") or "").lower() != "executepipeline":
            return None
        output = self.activity.get("output")
        child = output.get("pipelineRunId") if isinstance(output, dict) else None
        return str(child).lower() if child else None


def run_id_of(run: Json) -> str:
    return str(run.get("runId") or "").lower()


def group_id_of(run: Json) -> str:
    return str(run.get("runGroupId") or run.get("runId") or "").lower()


def is_latest(run: Json) -> bool:
    """A run without `isLatest` (older API responses) counts as the latest of its group."""
    return run.get("isLatest") is not False


def is_rerun_group_member(run: Json) -> bool:
    return group_id_of(run) != run_id_of(run) or not is_latest(run)


def pipeline_filters(pipelines: tuple[str, ...]) -> tuple[QueryFilter, ...]:
    if not pipelines:
        return ()
    return (("PipelineName", "In", tuple(pipelines)),)


def iter_pipeline_runs(ctx: ResolveContext, window: SweepWindow, pipelines: tuple[str, ...]) -> Iterator[Json]:
    """Yield every pipeline run in the window, page by page, as the pages arrive."""
    filters = pipeline_filters(pipelines)
    pages = iter_run_pages(
        lambda token: ctx.source.query_pipeline_runs(ctx.factory, window.after, window.before, filters, token),
        f"query pipeline runs of factory {ctx.factory.name}",
    )
    for page in pages:
        yield from page


def _attempt_key(activity: Json) -> tuple[str, str]:
    return (str(activity.get("activityName")), str(activity.get("iterationHash") or ""))


def _start(activity: Json) -> float:
    start = parse_optional_utc(activity.get("activityRunStart"))
    return start.timestamp() if start else 0.0


def find_failures(pipeline_run: Json, activities: list[Json], activity_types: tuple[str, ...]) -> list[Failure]:
    """Failed leaf activities of one pipeline run, each with its earlier retry attempts.

    Containers (ForEach, Until, If Condition, Switch) that only wrap a failed inner activity
    are left out, as `failed_leaves` does for the pipeline command.
    """
    requested_types = {name.lower() for name in activity_types}
    failures: list[Failure] = []
    for leaf in failed_leaves(activities):
        if requested_types and str(leaf.get("activityType") or "").lower() not in requested_types:
            continue
        key = _attempt_key(leaf)
        leaf_id = leaf.get("activityRunId")
        retries = [a for a in activities if _attempt_key(a) == key and a.get("activityRunId") != leaf_id]
        failures.append(Failure(leaf, pipeline_run, sorted(retries, key=_start)))
    return failures


def retry_rows(failure: Failure) -> list[RelatedRun]:
    rows = []
    for attempt in failure.retries:
        error = member(attempt, "error")
        code = str(error.get("errorCode") or "")
        message = str(error.get("message") or "")[:RELATED_ERROR_CHARS]
        # ADF leaves retryAttempt null on the first attempt and numbers the retries from 1.
        number = attempt.get("retryAttempt")
        rows.append(
            RelatedRun(
                label="earlier attempt (first run)" if number is None else f"earlier attempt (retry {number})",
                run_id=str(attempt.get("activityRunId") or ""),
                status=str(attempt.get("status") or ""),
                start=parse_optional_utc(attempt.get("activityRunStart")),
                error=(f"{code}: " if code else "") + message,
            )
        )
    return rows


def listed_group_is_complete(group: str, listed: list[Json]) -> bool:
    """True when the listing holds both ends of a rerun group, so no attempt can be missing.

    This assumes attempts end in the order they start: the first attempt's `runId` is the
    group ID, and the newest is the one marked `isLatest`.
    """
    return any(run_id_of(run) == group for run in listed) and any(is_latest(run) for run in listed)


def query_rerun_group(ctx: ResolveContext, pipeline_run: Json) -> tuple[list[Json], str | None]:
    """Read every attempt of the run's rerun group, and a note if they could not be read.

    The group is queried over ADF's whole 45-day history, not just the sweep window, so an
    attempt that ended before the window still shows.
    """
    group = group_id_of(pipeline_run)
    filters: tuple[QueryFilter, ...] = (("RunGroupId", "Equals", (str(pipeline_run.get("runGroupId")),)),)
    try:
        pages = iter_run_pages(
            lambda token: ctx.source.query_pipeline_runs(ctx.factory, ctx.now - ADF_RETENTION, ctx.now, filters, token),
            f"query the rerun group {group}",
        )
        return [run for page in pages for run in page], None
    except AdlstraceError as error:
        return [], f"The other attempts of rerun group {group} could not be listed: {error.message}"


def attempt_rows(pipeline_run: Json, attempts: list[Json]) -> list[RelatedRun]:
    """List the other attempts of the run's rerun group, oldest first."""
    this_run = run_id_of(pipeline_run)
    this_start = parse_optional_utc(pipeline_run.get("runStart"))
    others = [run for run in attempts if run_id_of(run) != this_run]
    rows = []
    for run in sorted(others, key=lambda run: str(run.get("runStart") or "")):
        start = parse_optional_utc(run.get("runStart"))
        later = start is not None and this_start is not None and start > this_start
        rows.append(
            RelatedRun(
                label="later attempt (rerun)" if later else "earlier attempt (rerun)",
                run_id=str(run.get("runId") or ""),
                status=str(run.get("status") or ""),
                start=start,
                error=str(run.get("message") or "")[:RELATED_ERROR_CHARS],
            )
        )
    return rows
