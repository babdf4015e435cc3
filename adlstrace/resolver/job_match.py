"""Step 3: find the ADLA job an activity submitted.

How ADF tags the jobs it submits is not documented, so the strategies run in order and the
report records each outcome. Microsoft's troubleshooting guide for error 2703 advises searching
the ADLA account by the ADF activity run ID, not the pipeline run ID.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from adlstrace.errors import AdlstraceError, AuthError, AzureCallError
from adlstrace.report.model import MatchAttempt
from adlstrace.resolver.adla_account import AdlaAccount
from adlstrace.sources.base import AzureSource, Json, ResourceMissing
from adlstrace.timeutil import format_utc

# Jobs are submitted after the activity starts and end before it does; the margin covers
# clock skew between ADF and ADLA and queueing before submission.
JOB_WINDOW_MARGIN = timedelta(minutes=10)


def related_run_filter(run_id: str) -> str:
    return f"related/runId eq guid'{run_id}'"


def submit_window_filter(start: datetime, end: datetime) -> str:
    return (
        f"submitTime ge datetimeoffset'{format_utc(start - JOB_WINDOW_MARGIN)}' and "
        f"submitTime le datetimeoffset'{format_utc(end + JOB_WINDOW_MARGIN)}'"
    )


def job_mentions(job: Json, run_id: str) -> bool:
    """True when the run ID appears in the job's name or in any `related` value."""
    needle = run_id.lower()
    if needle in str(job.get("name") or "").lower():
        return True
    related = job.get("related")
    if isinstance(related, dict):
        return any(needle in str(value).lower() for value in related.values())
    return False


@dataclass
class JobLookup:
    """Outcome of the matching: the job (full GET body) or why there is none."""

    job: Json | None = None
    strategy: str | None = None
    attempts: list[MatchAttempt] = field(default_factory=list)
    unreachable: str | None = None
    failed: str | None = None


def _get_full(source: AzureSource, account: AdlaAccount, job_id: str) -> Json:
    return source.get_job(account.name, job_id)


def by_job_id(source: AzureSource, account: AdlaAccount, run_id: str, window: tuple[datetime, datetime]) -> Json | None:
    try:
        return _get_full(source, account, run_id)
    except ResourceMissing:
        return None


def by_related_run_id(
    source: AzureSource, account: AdlaAccount, run_id: str, window: tuple[datetime, datetime]
) -> Json | None:
    jobs = source.list_jobs(account.name, related_run_filter(run_id))
    for job in jobs:
        if job_mentions(job, run_id) and job.get("jobId"):
            return _get_full(source, account, str(job["jobId"]))
    return None


def by_submit_window(
    source: AzureSource, account: AdlaAccount, run_id: str, window: tuple[datetime, datetime]
) -> Json | None:
    jobs = source.list_jobs(account.name, submit_window_filter(*window))
    for job in jobs:
        if job_mentions(job, run_id) and job.get("jobId"):
            return _get_full(source, account, str(job["jobId"]))
    return None


Strategy = Callable[[AzureSource, AdlaAccount, str, tuple[datetime, datetime]], Json | None]

STRATEGIES: list[tuple[str, str, Strategy]] = [
    ("job-id", "GET jobs/{activityRunId}", by_job_id),
    ("related-run-id", "list jobs with $filter=related/runId eq guid'{activityRunId}'", by_related_run_id),
    (
        "submit-window",
        "list jobs submitted around the activity run and match the ID in name or related",
        by_submit_window,
    ),
]


def find_job(
    source: AzureSource,
    account: AdlaAccount,
    run_id: str,
    window: tuple[datetime, datetime],
    partial_errors: list[AdlstraceError] | None = None,
) -> JobLookup:
    """Try each strategy in order until one matches or the account returns an error.

    An HTTP, auth or body error from the account is raised, unless `partial_errors` is a
    list: then it is appended there and the lookup ends with `failed` set.
    """
    lookup = JobLookup()
    for name, description, strategy in STRATEGIES:
        label = f"{name}: {description}"
        try:
            job = strategy(source, account, run_id, window)
        except ResourceMissing as missing:
            lookup.attempts.append(MatchAttempt(label, f"account not found ({missing.code or 'HTTP 404'})"))
            lookup.unreachable = f"ADLA account {account.name} was not found (deleted, or ADLA retired)."
            return lookup
        except (AuthError, AzureCallError) as error:
            # An account that cannot be reached at all (a retired account has no DNS name)
            # becomes a note. HTTP errors and bad bodies from a live account are failures.
            if isinstance(error, AzureCallError) and _unreachable(error):
                lookup.attempts.append(MatchAttempt(label, f"failed: {error.message}"))
                lookup.unreachable = f"ADLA account {account.name} did not respond: {error.message}"
                return lookup
            if partial_errors is None:
                raise
            partial_errors.append(error)
            lookup.attempts.append(MatchAttempt(label, f"failed: {error.message}"))
            lookup.failed = error.message
            return lookup
        if job is not None:
            lookup.attempts.append(MatchAttempt(label, f"matched job {job.get('jobId')}"))
            lookup.job = job
            lookup.strategy = name
            return lookup
        lookup.attempts.append(MatchAttempt(label, "no match"))
    return lookup


def _unreachable(error: AzureCallError) -> bool:
    """True when retries ran out on connection errors or timeouts, with no HTTP status seen."""
    return error.code == "RetryExhausted" and error.status is None
