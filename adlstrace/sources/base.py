"""The questions the resolver asks about Azure, answered live or from saved evidence.

Every answer is the raw REST JSON body Azure returned, so saved evidence and live runs feed
the resolver the same data. Times in arguments are aware UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from adlstrace.errors import AdlstraceError, ExitCode
from adlstrace.ids import FactoryRef

Json = dict[str, Any]


def member(data: Json, key: str) -> Json:
    """Return the JSON object under `key`, or an empty one when it is missing or not an object."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


QueryFilter = tuple[str, str, tuple[str, ...]]


class ResourceMissing(AdlstraceError):
    """Azure answered 404 for a resource. Often a normal outcome (a job gone from history)."""

    exit_code = ExitCode.NOT_FOUND

    def __init__(self, call: str, resource: str, code: str = "", detail: str = "") -> None:
        super().__init__(
            f"{call}: {resource} was not found" + (f" ({code})" if code else ""),
            "Check --factory, --resource-group and --subscription, and that the run is younger than "
            "ADF's 45-day history.",
        )
        self.call = call
        self.resource = resource
        self.code = code
        self.detail = detail


class AzureSource(Protocol):
    """Read-only access to ADF runs and ADLA jobs."""

    def get_pipeline_run(self, factory: FactoryRef, run_id: str) -> Json: ...

    def query_pipeline_runs(
        self,
        factory: FactoryRef,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json: ...

    def query_activity_runs(
        self,
        factory: FactoryRef,
        pipeline_run_id: str,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json: ...

    def get_linked_service(self, factory: FactoryRef, name: str) -> Json: ...

    def get_job(self, account: str, job_id: str) -> Json: ...

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]: ...
