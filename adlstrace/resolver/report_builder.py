"""Start a report from an ADF activity run, and finish it with headline and hints."""

from __future__ import annotations

import re

from adlstrace import __version__
from adlstrace.knowledge.embedded import parse_embedded_errors
from adlstrace.knowledge.known_errors import KnownError, lookup_adf_code, lookup_adla_error
from adlstrace.report.job_section import job_errors, without_stack_traces
from adlstrace.report.model import AdfError, Hint, Identifiers, Report
from adlstrace.resolver.activity_run import FoundActivity
from adlstrace.resolver.context import ResolveContext
from adlstrace.sources.base import Json
from adlstrace.timeutil import parse_optional_utc


def _adf_error(activity: Json) -> AdfError | None:
    error = activity.get("error")
    if not isinstance(error, dict):
        return None
    code = str(error.get("errorCode") or "").strip()
    message = str(error.get("message") or "").strip()
    if not code and not message:
        return None
    return AdfError(code, message, str(error.get("failureType") or ""), str(error.get("target") or ""))


def base_report(ctx: ResolveContext, found: FoundActivity) -> Report:
    activity, pipeline_run = found.activity, found.pipeline_run
    ids = Identifiers(
        subscription_id=ctx.factory.subscription_id,
        resource_group=ctx.factory.resource_group,
        factory=ctx.factory.name,
        pipeline_name=str(activity.get("pipelineName") or pipeline_run.get("pipelineName") or ""),
        pipeline_run_id=str(activity.get("pipelineRunId") or pipeline_run.get("runId") or ""),
        activity_name=str(activity.get("activityName") or ""),
        activity_run_id=str(activity.get("activityRunId") or ""),
        activity_type=str(activity.get("activityType") or ""),
        activity_status=str(activity.get("status") or ""),
        linked_service=str(activity.get("linkedServiceName") or "") or None,
        activity_start=parse_optional_utc(activity.get("activityRunStart")),
        activity_end=parse_optional_utc(activity.get("activityRunEnd")),
    )
    report = Report(kind="activity", headline="", root_error="", ids=ids, adf_error=_adf_error(activity))
    report.match.attempts = []
    _add_embedded_errors(report)
    return report


def _add_embedded_errors(report: Report) -> None:
    """Parse ADLA errors that ADF embedded as JSON in its message; traces go to the appendix."""
    if report.adf_error is None:
        return
    parsed = parse_embedded_errors(report.adf_error.message)
    if not parsed.errors:
        return
    report.job_errors = job_errors(without_stack_traces(parsed.errors, report), origin="adf-message")
    report.adf_error.message = parsed.text or report.adf_error.message
    if parsed.truncated:
        report.notes.append("ADF cut the embedded ADLA error JSON short; the message is shown as sent.")


# ADF's message for a failed U-SQL job reads "Error Id: E_CSC_USER_SYNTAXERROR, Error Message: ...".
_QUOTED_ERROR_ID = re.compile(r"\bError\s*Id:\s*(E_[A-Z0-9_]+)", re.IGNORECASE)


def _quoted_error_id(report: Report) -> str:
    message = report.adf_error.message if report.adf_error else ""
    match = _QUOTED_ERROR_ID.search(message or "")
    return match.group(1).upper() if match else ""


def _hint(entry: KnownError) -> Hint:
    return Hint(entry.match, entry.title, entry.cause, entry.owner, entry.next_step, entry.source)


def finish(report: Report, ctx: ResolveContext) -> Report:
    """Derive the headline, root error and known-cause hints from what the report holds."""
    ids = report.ids
    adf_code = report.adf_error.code if report.adf_error else ""
    root_job_error = report.job_errors[0] if report.job_errors else None
    if root_job_error is not None:
        line = f" at line {root_job_error.line_number}" if root_job_error.line_number else ""
        report.root_error = f"{root_job_error.error_id}{line}: {root_job_error.message or root_job_error.description}"
    elif report.adf_error is not None:
        first_line = report.adf_error.message.splitlines()[0] if report.adf_error.message else ""
        report.root_error = f"ADF {adf_code or 'error'}: {first_line}".strip()
    else:
        report.root_error = "No error was recorded for this activity run."
    status = (ids.activity_status or "").lower() or "finished"
    where = f"pipeline {ids.pipeline_name} (run {ids.pipeline_run_id}) in factory {ids.factory}"
    report.headline = f"{ids.activity_type or 'Activity'} activity {ids.activity_name} {status} in {where}."
    hints: list[Hint] = []
    # One hint for the root error, the most specific table entry, because more would bury it.
    # Without the job, the ADLA error ID quoted in ADF's own message is used instead. It comes
    # first: the ADF code's hint is general and, for 2703, describes how to find the job.
    error_id = root_job_error.error_id if root_job_error is not None else _quoted_error_id(report)
    if error_id:
        known = lookup_adla_error(error_id)
        if known is not None:
            hints.append(_hint(known))
    if adf_code:
        known = lookup_adf_code(adf_code)
        if known is not None:
            hints.append(_hint(known))
    report.hints = hints
    report.tool_version = __version__
    report.generated_at = ctx.now
    return report
