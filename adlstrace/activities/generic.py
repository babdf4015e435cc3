"""Fallback for activity types with no compute job lookup: the ADF error carries the report."""

from __future__ import annotations

from adlstrace.report.model import Report
from adlstrace.resolver.activity_run import FoundActivity
from adlstrace.resolver.context import ResolveContext


class GenericHandler:
    activity_types: tuple[str, ...] = ()

    def enrich(self, ctx: ResolveContext, found: FoundActivity, report: Report, depth: int) -> Report:
        activity_type = report.ids.activity_type or "unknown"
        report.notes.append(
            f"adlstrace resolves no compute job for {activity_type} activities yet; the ADF error "
            "above is everything ADF recorded."
        )
        return report


HANDLER = GenericHandler()
