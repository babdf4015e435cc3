"""U-SQL activities (ADF type DataLakeAnalyticsU-SQL): find and read the ADLA job."""

from __future__ import annotations

from datetime import timedelta

from adlstrace.report.job_section import apply_job
from adlstrace.report.model import Report
from adlstrace.resolver.activity_run import FoundActivity
from adlstrace.resolver.adla_account import AccountUnresolved, resolve_account
from adlstrace.resolver.context import ResolveContext
from adlstrace.resolver.job_match import find_job
from adlstrace.timeutil import parse_optional_utc

# ADF error codes raised before or at job submission: no job exists to look for.
PRE_SUBMISSION_CODES = frozenset({"2704", "2705", "2707", "2709", "2711"})


class UsqlHandler:
    activity_types = ("DataLakeAnalyticsU-SQL",)

    def enrich(self, ctx: ResolveContext, found: FoundActivity, report: Report, depth: int) -> Report:
        activity = found.activity
        code = report.adf_error.code if report.adf_error else ""
        try:
            account = resolve_account(ctx, activity)
        except AccountUnresolved as reason:
            report.notes.append(str(reason))
            return report
        report.ids.adla_account = account.name
        if code in PRE_SUBMISSION_CODES:
            report.notes.append(
                f"ADF error {code} happens before or at job submission, so ADLA holds no job "
                "for this run; the job lookup was skipped."
            )
            return report
        run_id = str(activity.get("activityRunId", "")).lower()
        start = parse_optional_utc(activity.get("activityRunStart")) or ctx.now - timedelta(days=1)
        end = parse_optional_utc(activity.get("activityRunEnd")) or ctx.now
        lookup = find_job(ctx.source, account, run_id, (start, end), ctx.partial_errors)
        report.match.attempts = lookup.attempts
        report.match.strategy = lookup.strategy
        if lookup.job is not None:
            job_id = str(lookup.job.get("jobId") or run_id)
            apply_job(report, lookup.job, account.job_url(job_id), account.name)
        elif lookup.failed:
            report.notes.append(
                f"The ADLA job lookup failed, so this report holds the ADF side only: {lookup.failed} "
                "Fix the cause and run adlstrace again for the job section."
            )
        elif lookup.unreachable:
            report.notes.append(
                f"{lookup.unreachable} The account name came from {account.source}. ADLA was retired in "
                "February 2024, so a retired account gives no answer; if the account should exist, check "
                "its name. The ADF side of this report is complete."
            )
        else:
            report.notes.append(
                f"No job in ADLA account {account.name} matches activity run {run_id}. ADLA keeps "
                "job history for a configurable number of days (30 by default), so the job may "
                "have aged out."
            )
        return report


HANDLER = UsqlHandler()
