"""Fill a report's ADLA job section from a job GET body."""

from __future__ import annotations

from typing import Any

from adlstrace.knowledge.embedded import flatten_error_chain, root_cause_first, split_stack_traces
from adlstrace.report.model import AppendixItem, JobError, Report, ScriptLine, StateChange
from adlstrace.scrub import scrub_text
from adlstrace.sources.base import Json, member
from adlstrace.timeutil import parse_optional_utc

# Lines of script shown before and after the error line.
SCRIPT_CONTEXT_LINES = 4


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def job_error_from_dict(error: Json, depth: int, origin: str = "adla") -> JobError:
    return JobError(
        error_id=_text(error.get("errorId")) or "(no errorId)",
        message=_text(error.get("message")),
        severity=_text(error.get("severity")),
        source=_text(error.get("source")),
        description=_text(error.get("description")),
        details=_text(error.get("details")),
        resolution=_text(error.get("resolution")),
        line_number=_int(error.get("lineNumber")),
        start_offset=_int(error.get("startOffset")),
        end_offset=_int(error.get("endOffset")),
        component=_text(error.get("component")),
        help_link=_text(error.get("helpLink")),
        depth=depth,
        origin=origin,
    )


def job_errors(raw_errors: list[Json], origin: str = "adla") -> list[JobError]:
    """Flatten each error's innerError chain into one list, root cause first."""
    depth_of: dict[tuple[str, str], int] = {}
    for outer in raw_errors:
        for depth, level in enumerate(flatten_error_chain(outer)):
            depth_of.setdefault((_text(level.get("errorId")), _text(level.get("message"))), depth)
    return [
        job_error_from_dict(level, depth_of.get((_text(level.get("errorId")), _text(level.get("message"))), 0), origin)
        for level in root_cause_first(raw_errors)
    ]


def without_stack_traces(raw_errors: list[Json], report: Report) -> list[Json]:
    """Move long stack traces from the errors into the report's appendix, numbered A1, A2 ..."""
    trimmed: list[Json] = []
    for error in raw_errors:
        short, traces = split_stack_traces(error, first_number=len(report.appendix) + 1)
        trimmed.append(short)
        report.appendix.extend(AppendixItem(label, text) for label, text in traces)
    return trimmed


def _line_from_offset(script: str, offset: int | None) -> int | None:
    if offset is None or offset < 0 or offset > len(script):
        return None
    return script.count("\n", 0, offset) + 1


def script_excerpt(script: str, errors: list[JobError]) -> list[ScriptLine]:
    """Return the lines around the first error that points into the script, the line marked.

    The whole script is scrubbed first: shown one line at a time, the second half of a key
    wrapped over two lines would no longer look like a secret.
    """
    lines = _scrub_keeping_lines(script.splitlines())
    for error in errors:
        line = error.line_number or _line_from_offset(script, error.start_offset)
        if line and 1 <= line <= len(lines):
            first = max(1, line - SCRIPT_CONTEXT_LINES)
            last = min(len(lines), line + SCRIPT_CONTEXT_LINES)
            return [ScriptLine(n, lines[n - 1], n == line) for n in range(first, last + 1)]
    return []


def _scrub_keeping_lines(lines: list[str]) -> list[str]:
    """Scrub `lines` as one text, keeping the line count so that line numbers stay right."""
    scrubbed = scrub_text("\n".join(lines)).split("\n")
    missing = len(lines) - len(scrubbed)
    if missing <= 0:
        return scrubbed[: len(lines)]
    # A redacted wrapped value takes its line break with it. Lines after it are unchanged,
    # so blank lines go in where the common tail of both versions begins.
    tail = 0
    while tail < len(scrubbed) and scrubbed[-1 - tail] == lines[-1 - tail]:
        tail += 1
    at = len(scrubbed) - tail
    return scrubbed[:at] + [""] * missing + scrubbed[at:]


def timeline(job: Json) -> list[StateChange]:
    records = job.get("stateAuditRecords")
    if not isinstance(records, list):
        return []
    changes = [
        StateChange(
            state=_text(record.get("newState")),
            at=parse_optional_utc(record.get("timeStamp")),
            requested_by=_text(record.get("requestedByUser")),
            details=_text(record.get("details")),
        )
        for record in records
        if isinstance(record, dict)
    ]
    return sorted(changes, key=lambda change: (change.at is None, change.at))


def apply_job(report: Report, job: Json, job_url: str, account: str) -> None:
    """Copy identifiers, errors, script lines and the state timeline of `job` into `report`."""
    ids = report.ids
    ids.adla_account = account
    ids.job_id = _text(job.get("jobId")) or ids.job_id
    ids.job_url = job_url
    ids.job_state = _text(job.get("state"))
    ids.job_result = _text(job.get("result"))
    ids.job_submit = parse_optional_utc(job.get("submitTime"))
    ids.job_start = parse_optional_utc(job.get("startTime"))
    ids.job_end = parse_optional_utc(job.get("endTime"))
    raw_errors = job.get("errorMessage")
    errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    report.job_errors = job_errors(without_stack_traces(errors, report))
    properties = member(job, "properties")
    script = properties.get("script")
    if isinstance(script, str) and script:
        report.script = script_excerpt(script, report.job_errors)
    report.timeline = timeline(job)
