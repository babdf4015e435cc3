"""Walk from a run ID to a finished report: activity run, linked service, job."""

from __future__ import annotations

from adlstrace.activities import handler_for
from adlstrace.report.model import ChainLink, Report
from adlstrace.resolver.activity_run import (
    FoundActivity,
    detect_pipeline_run_id,
    find_with_pipeline_run,
    get_pipeline_run,
    read_activity_runs,
    scan_for_activity,
)
from adlstrace.resolver.context import ResolveContext
from adlstrace.resolver.failed_leaves import failed_leaves
from adlstrace.resolver.report_builder import base_report, finish
from adlstrace.sources.base import Json


def link_for(activity: Json) -> ChainLink:
    return ChainLink(
        pipeline_name=str(activity.get("pipelineName") or ""),
        pipeline_run_id=str(activity.get("pipelineRunId") or ""),
        activity_name=str(activity.get("activityName") or ""),
        activity_type=str(activity.get("activityType") or ""),
        activity_run_id=str(activity.get("activityRunId") or ""),
        status=str(activity.get("status") or ""),
        iteration_hash=activity.get("iterationHash") or None,
    )


def report_for_found(ctx: ResolveContext, found: FoundActivity, depth: int = 0) -> Report:
    """Build the report of one activity run, letting its type's handler add details."""
    report = base_report(ctx, found)
    report.match.attempts = []
    activity_type = str(found.activity.get("activityType") or "")
    report = handler_for(activity_type).enrich(ctx, found, report, depth)
    return finish(report, ctx)


def resolve_activity(ctx: ResolveContext, run_id: str, pipeline_run_id: str | None = None) -> Report:
    """Resolve an activity run ID; a pipeline run ID is detected and resolved as a pipeline."""
    if pipeline_run_id:
        found = find_with_pipeline_run(ctx, run_id, pipeline_run_id)
    else:
        pipeline_run = detect_pipeline_run_id(ctx, run_id)
        if pipeline_run is not None:
            report = resolve_pipeline_run(ctx, pipeline_run)
            report.notes.insert(
                0,
                f"{run_id} is a pipeline run ID, not an activity run ID, so this report covers the whole pipeline run.",
            )
            return report
        found = scan_for_activity(ctx, run_id)
    if found.strategy:
        ctx.progress(f"found activity run {run_id} ({found.strategy})")
    return report_for_found(ctx, found)


def resolve_pipeline(ctx: ResolveContext, pipeline_run_id: str) -> Report:
    return resolve_pipeline_run(ctx, get_pipeline_run(ctx, pipeline_run_id))


def resolve_pipeline_run(ctx: ResolveContext, pipeline_run: Json, depth: int = 0) -> Report:
    """Report every failed activity of a pipeline run, the root cause first."""
    activities = read_activity_runs(ctx, pipeline_run)
    run_id = str(pipeline_run.get("runId") or "")
    name = str(pipeline_run.get("pipelineName") or "")
    children = [
        report_for_found(ctx, FoundActivity(activity, pipeline_run, activities), depth)
        for activity in failed_leaves(activities)
    ]
    report = Report(kind="pipeline", headline="", root_error="", children=children)
    ids = report.ids
    ids.subscription_id, ids.resource_group, ids.factory = (
        ctx.factory.subscription_id,
        ctx.factory.resource_group,
        ctx.factory.name,
    )
    ids.pipeline_name, ids.pipeline_run_id = name, run_id
    status = str(pipeline_run.get("status") or "")
    failed = sum(1 for a in activities if a.get("status") == "Failed")
    if children:
        first = children[0]
        report.headline = (
            f"Pipeline {name} run {run_id} is {status or 'unknown'}: {failed} of {len(activities)} "
            f"activity runs failed; root cause in activity {first.ids.activity_name}."
        )
        report.root_error = first.root_error
        report.hints = list(first.hints)
    else:
        report.headline = f"Pipeline {name} run {run_id} is {status or 'unknown'} with no failed activity run."
        report.root_error = str(pipeline_run.get("message") or "No failed activity run was found.")
    report = finish_pipeline(report, ctx)
    return report


def finish_pipeline(report: Report, ctx: ResolveContext) -> Report:
    from adlstrace import __version__

    report.tool_version = __version__
    report.generated_at = ctx.now
    return report
