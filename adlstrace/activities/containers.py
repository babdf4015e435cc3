"""ForEach, Until, If Condition and Switch: report the failing inner activity, not the wrapper."""

from __future__ import annotations

from collections import Counter

from adlstrace.report.model import RelatedRun, Report, wrapper_error
from adlstrace.resolver.activity_run import FoundActivity
from adlstrace.resolver.context import ResolveContext
from adlstrace.resolver.failed_leaves import inner_failures


class ContainerHandler:
    activity_types = ("ForEach", "Until", "IfCondition", "Switch")

    def enrich(self, ctx: ResolveContext, found: FoundActivity, report: Report, depth: int) -> Report:
        from adlstrace.resolver.resolve import link_for, report_for_found

        inner = inner_failures(found.activity, found.siblings)
        if not inner:
            report.notes.append("No failed inner activity run was found inside this container.")
            return report
        leaf = inner[0]
        leaf_report = report_for_found(ctx, FoundActivity(leaf, found.pipeline_run, found.siblings), depth + 1)
        if not leaf_report.chain:
            leaf_report.chain = [link_for(leaf)]
        leaf_report.chain.insert(0, link_for(found.activity))
        name = leaf.get("activityName")
        statuses = Counter(str(a.get("status")) for a in found.siblings if a.get("activityName") == name)
        summary = ", ".join(f"{count} {status.lower()}" for status, count in sorted(statuses.items()))
        iteration = leaf.get("iterationHash")
        leaf_report.notes.append(
            f"{found.activity.get('activityType')} {found.activity.get('activityName')} ran inner "
            f"activity {name} {sum(statuses.values())} times ({summary}); this report covers the "
            f"failed iteration" + (f" {iteration}." if iteration else ".")
        )
        if report.adf_error is not None:
            leaf_report.related.insert(0, wrapper_error(report))
        for other in inner[1:]:
            leaf_report.related.append(
                RelatedRun(
                    label=f"also failed: {other.get('activityName')}",
                    run_id=str(other.get("activityRunId") or ""),
                    status=str(other.get("status") or ""),
                    error=str((other.get("error") or {}).get("message") or "")[:300],
                )
            )
        return leaf_report


HANDLER = ContainerHandler()
