"""Execute Pipeline: the parent's error only wraps the child's, so follow the child run."""

from __future__ import annotations

from adlstrace.report.model import Report, wrapper_error
from adlstrace.resolver.activity_run import FoundActivity, read_activity_runs
from adlstrace.resolver.context import ResolveContext
from adlstrace.resolver.failed_leaves import failed_leaves
from adlstrace.sources.base import ResourceMissing, member


class ExecutePipelineHandler:
    activity_types = ("ExecutePipeline",)

    def enrich(self, ctx: ResolveContext, found: FoundActivity, report: Report, depth: int) -> Report:
        from adlstrace.resolver.resolve import link_for, report_for_found

        output = member(found.activity, "output")
        child_run_id = str(output.get("pipelineRunId") or "")
        if not child_run_id:
            report.notes.append("The Execute Pipeline activity recorded no child pipeline run ID.")
            return report
        if depth >= ctx.max_depth:
            report.notes.append(f"Stopped following child pipelines at depth {ctx.max_depth}.")
            return report
        try:
            child_run = ctx.source.get_pipeline_run(ctx.factory, child_run_id)
        except ResourceMissing:
            report.notes.append(f"Child pipeline run {child_run_id} was not found in run history.")
            return report
        child_activities = read_activity_runs(ctx, child_run)
        leaves = failed_leaves(child_activities)
        if not leaves:
            report.notes.append(f"Child pipeline run {child_run_id} has no failed activity run.")
            return report
        leaf_report = report_for_found(ctx, FoundActivity(leaves[0], child_run, child_activities), depth + 1)
        if not leaf_report.chain:
            leaf_report.chain = [link_for(leaves[0])]
        leaf_report.chain.insert(0, link_for(found.activity))
        if report.adf_error is not None:
            leaf_report.related.insert(0, wrapper_error(report))
        return leaf_report


HANDLER = ExecutePipelineHandler()
