"""A report about one ADLA job alone, for users who start from the ADLA side."""

from __future__ import annotations

from adlstrace import __version__
from adlstrace.errors import AzureCallError, NotFoundError
from adlstrace.knowledge.known_errors import lookup_adla_error
from adlstrace.report.job_section import apply_job
from adlstrace.report.model import Hint, Report
from adlstrace.resolver.adla_account import AdlaAccount
from adlstrace.resolver.context import ResolveContext
from adlstrace.settings import DEFAULT_ADLA_SUFFIX
from adlstrace.sources.base import ResourceMissing, member


def resolve_job(ctx: ResolveContext, account_name: str, job_id: str, dns_suffix: str | None = None) -> Report:
    account = AdlaAccount(account_name, dns_suffix or DEFAULT_ADLA_SUFFIX, None, "command line")
    try:
        job = ctx.source.get_job(account.name, job_id)
    except ResourceMissing as missing:
        if missing.code == "AccountNotFound":
            raise NotFoundError(
                f"ADLA account {account.name} was not found ({missing.code}).",
                "Check the account name: it is the first label of the job link's host. ADLA was retired "
                "in February 2024, so the account may no longer exist.",
            ) from None
        raise NotFoundError(
            f"ADLA job {job_id} was not found in account {account.name}.",
            "ADLA keeps job history for a limited number of days (30 by default); check the ID and account.",
        ) from None
    except AzureCallError as error:
        if error.code == "RetryExhausted" and error.status is None:
            raise NotFoundError(
                f"ADLA account {account.name} did not respond: {error.message}",
                "A retired or deleted ADLA account has no DNS name; check the account name. ADLA was "
                "retired in February 2024.",
            ) from None
        raise
    report = Report(kind="job", headline="", root_error="")
    apply_job(report, job, account.job_url(job_id), account.name)
    related = member(job, "related")
    if related.get("runId"):
        report.notes.append(
            f"The job's related runId is {related['runId']}; pass it to `adlstrace activity` for the ADF side."
        )
    name = job.get("name") or job_id
    report.headline = f"ADLA job {name} in account {account.name}: {report.ids.job_state} / {report.ids.job_result}."
    if report.job_errors:
        root = report.job_errors[0]
        line = f" at line {root.line_number}" if root.line_number else ""
        report.root_error = f"{root.error_id}{line}: {root.message or root.description}"
        known = lookup_adla_error(root.error_id)
        if known is not None:
            report.hints = [Hint(known.match, known.title, known.cause, known.owner, known.next_step, known.source)]
    else:
        report.root_error = "The job recorded no error."
    report.tool_version = __version__
    report.generated_at = ctx.now
    return report
