"""The one report model that every renderer reads.

Fields hold display-ready values (strings, UTC datetimes, plain lists) so renderers only lay
them out. `Report.to_dict()` is the documented JSON shape (see docs/report-json.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

REPORT_SCHEMA = "adlstrace-report/1"


@dataclass
class Identifiers:
    """Everything a support engineer needs to find the run and the job again."""

    subscription_id: str | None = None
    resource_group: str | None = None
    factory: str | None = None
    pipeline_name: str | None = None
    pipeline_run_id: str | None = None
    activity_name: str | None = None
    activity_run_id: str | None = None
    activity_type: str | None = None
    activity_status: str | None = None
    linked_service: str | None = None
    adla_account: str | None = None
    job_id: str | None = None
    job_url: str | None = None
    job_state: str | None = None
    job_result: str | None = None
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    job_submit: datetime | None = None
    job_start: datetime | None = None
    job_end: datetime | None = None


@dataclass
class AdfError:
    """The error block of an ADF activity run."""

    code: str
    message: str
    failure_type: str = ""
    target: str = ""


@dataclass
class JobError:
    """One ADLA error, flattened from `errorMessage[]` and its `innerError` chain.

    `depth` is 0 for an entry of `errorMessage[]` and grows by one per `innerError` level.
    """

    error_id: str
    message: str
    severity: str = ""
    source: str = ""
    description: str = ""
    details: str = ""
    resolution: str = ""
    line_number: int | None = None
    start_offset: int | None = None
    end_offset: int | None = None
    component: str = ""
    help_link: str = ""
    depth: int = 0
    origin: str = "adla"


@dataclass
class ScriptLine:
    number: int
    text: str
    is_error: bool = False


@dataclass
class StateChange:
    state: str
    at: datetime | None
    requested_by: str = ""
    details: str = ""


@dataclass
class Hint:
    """A known cause for an error code, with its owner and next step."""

    match: str
    title: str
    cause: str
    owner: str
    next_step: str
    source: str = ""


@dataclass
class MatchAttempt:
    strategy: str
    outcome: str


@dataclass
class MatchInfo:
    """How the ADLA job was found, with every strategy tried in order."""

    strategy: str | None = None
    attempts: list[MatchAttempt] = field(default_factory=list)


@dataclass
class ChainLink:
    """One step from a parent pipeline to the failed leaf activity."""

    pipeline_name: str
    pipeline_run_id: str
    activity_name: str
    activity_type: str
    activity_run_id: str
    status: str
    iteration_hash: str | None = None


@dataclass
class RelatedRun:
    """An earlier attempt (rerun or retry) or another failed activity listed in a report."""

    label: str
    run_id: str
    status: str
    start: datetime | None = None
    error: str = ""


@dataclass
class AppendixItem:
    label: str
    text: str


@dataclass
class Report:
    """A support-ready report about one failed activity, pipeline run or ADLA job."""

    kind: str
    headline: str
    root_error: str
    ids: Identifiers = field(default_factory=Identifiers)
    adf_error: AdfError | None = None
    job_errors: list[JobError] = field(default_factory=list)
    script: list[ScriptLine] = field(default_factory=list)
    timeline: list[StateChange] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    match: MatchInfo = field(default_factory=MatchInfo)
    chain: list[ChainLink] = field(default_factory=list)
    related: list[RelatedRun] = field(default_factory=list)
    children: list[Report] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    appendix: list[AppendixItem] = field(default_factory=list)
    tool_version: str = ""
    generated_at: datetime | None = None
    origin: str = "live"
    scrubbed_values: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the documented JSON shape: stable keys, UTC times as ISO strings."""
        data = {"schema": REPORT_SCHEMA, **_plain(asdict(self))}
        return data

    def field_names(self) -> list[str]:
        return [f.name for f in fields(self)]


def wrapper_error(report: Report) -> RelatedRun:
    """Keep a container's or parent's own error when the report moves to the inner failure."""
    error = report.adf_error
    return RelatedRun(
        label=f"wrapper error of {report.ids.activity_name}",
        run_id=report.ids.activity_run_id or "",
        status=report.ids.activity_status or "",
        start=report.ids.activity_start,
        error=(f"{error.code}: " if error and error.code else "") + (error.message if error else ""),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
