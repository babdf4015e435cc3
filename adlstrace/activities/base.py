"""The contract of an activity-type handler.

A handler adds what its activity type can tell beyond the ADF error: the U-SQL handler finds
the ADLA job, Execute Pipeline follows the child run. To support a new type, add one module
to this package that defines `HANDLER`; `adlstrace.activities.handler_for` finds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from adlstrace.report.model import Report
    from adlstrace.resolver.activity_run import FoundActivity
    from adlstrace.resolver.context import ResolveContext


class ActivityHandler(Protocol):
    activity_types: tuple[str, ...]

    def enrich(self, ctx: ResolveContext, found: FoundActivity, report: Report, depth: int) -> Report:
        """Add this type's details to `report`; may return a different report (a deeper leaf)."""
        ...
