"""`adlstrace activity`, `pipeline` and `job`: one report from one identifier."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import typer

from adlstrace.cli import options as opt
from adlstrace.cli.errors import configure_logging, guarded
from adlstrace.cli.runner import (
    OutputChoice,
    factory_from_invocation,
    factory_record,
    run_live,
    run_replay,
)
from adlstrace.errors import UsageError
from adlstrace.ids import (
    FactoryRef,
    looks_like_url,
    parse_account_name,
    parse_factory,
    parse_job_link,
    parse_run_id,
    parse_studio_url,
)
from adlstrace.report.model import Report
from adlstrace.resolver.context import ResolveContext
from adlstrace.sources.base import AzureSource
from adlstrace.timeutil import parse_duration

DEFAULT_SINCE = "7d"

_log = logging.getLogger(__name__)


def _progress(message: str) -> None:
    logging.getLogger("adlstrace.progress").info(message)


def _target(
    run: str | None, factory: str | None, group: str | None, subscription: str | None, what: str
) -> tuple[str, FactoryRef]:
    """Read a run ID or a pasted Studio URL, and the factory it belongs to."""
    if run is None:
        raise UsageError(f"Missing the {what}.", f"Pass the {what}, or --evidence FILE to replay.")
    if looks_like_url(run):
        link = parse_studio_url(run)
        if factory and factory.rstrip("/").rsplit("/", 1)[-1].lower() != link.factory.name.lower():
            _log.warning(
                "The URL names factory %s; --factory or ADLSTRACE_FACTORY (%s) is ignored.", link.factory.name, factory
            )
        return link.run_id, link.factory
    return parse_run_id(run, what), parse_factory(factory, group, subscription)


def _check_replay_id(run: str | None, recorded: str, what: str) -> None:
    if run is None:
        return
    given = parse_studio_url(run).run_id if looks_like_url(run) else parse_run_id(run, what)
    if given != recorded:
        raise UsageError(
            f"The evidence file was recorded for {what} {recorded}, not {given}.",
            "Leave the ID out to replay the file as recorded.",
        )


def activity(
    run_id: Annotated[
        str | None, typer.Argument(metavar="RUN_ID|URL", help="ADF activity run ID, or an ADF Studio monitoring URL.")
    ] = None,
    pipeline_run_id: Annotated[
        str | None,
        typer.Option("--pipeline-run-id", metavar="GUID", help="Pipeline run that holds the activity (faster)."),
    ] = None,
    factory: opt.Factory = None,
    resource_group: opt.ResourceGroup = None,
    subscription: opt.Subscription = None,
    since: opt.Since = DEFAULT_SINCE,
    concurrency: opt.Concurrency = 8,
    adla_account: opt.AdlaAccount = None,
    format: opt.Format = None,
    output: opt.Output = None,
    save_evidence: opt.SaveEvidence = None,
    evidence: opt.Evidence = None,
    credential: opt.Credential = None,
    debug: opt.Debug = False,
) -> None:
    """Report on one failed activity run: the ADF error, its ADLA job, the job URL and the likely fix."""
    configure_logging(debug)
    out = OutputChoice(format, output, save_evidence)

    def resolve(ctx: ResolveContext, invocation: dict[str, Any]) -> Report:
        from adlstrace.resolver.resolve import resolve_activity

        return resolve_activity(ctx, invocation["run_id"], invocation.get("pipeline_run_id"))

    def action() -> None:
        window = parse_duration(since)
        if evidence is not None:
            if since != DEFAULT_SINCE:
                _log.warning("--since is ignored with --evidence: the replay searches the window it was recorded with.")
            run_replay(evidence, "activity", _replay_context, resolve, out)
            return
        target, factory_ref = _target(run_id, factory, resource_group, subscription, "activity run ID")
        pipeline = parse_run_id(pipeline_run_id, "pipeline run ID") if pipeline_run_id is not None else None
        account = parse_account_name(adla_account) if adla_account is not None else None
        invocation = {
            "command": "activity",
            "run_id": target,
            "pipeline_run_id": pipeline,
            "factory": factory_record(factory_ref),
            "since_seconds": window.total_seconds(),
            "adla_account": account,
        }

        def make(source: AzureSource, now: datetime) -> ResolveContext:
            return ResolveContext(source, factory_ref, now, window, concurrency, account, progress=_progress)

        run_live(invocation, make, lambda ctx: resolve(ctx, invocation), out, credential)

    if evidence is not None:
        guarded(debug, lambda: _check_recorded(evidence, run_id, "activity run ID"))
    guarded(debug, action)


def pipeline(
    run_id: Annotated[
        str | None, typer.Argument(metavar="RUN_ID|URL", help="ADF pipeline run ID, or an ADF Studio monitoring URL.")
    ] = None,
    factory: opt.Factory = None,
    resource_group: opt.ResourceGroup = None,
    subscription: opt.Subscription = None,
    adla_account: opt.AdlaAccount = None,
    format: opt.Format = None,
    output: opt.Output = None,
    save_evidence: opt.SaveEvidence = None,
    evidence: opt.Evidence = None,
    credential: opt.Credential = None,
    debug: opt.Debug = False,
) -> None:
    """Report on a pipeline run: every failed activity, the root cause first, through child pipelines."""
    configure_logging(debug)
    out = OutputChoice(format, output, save_evidence)

    def resolve(ctx: ResolveContext, invocation: dict[str, Any]) -> Report:
        from adlstrace.resolver.resolve import resolve_pipeline

        return resolve_pipeline(ctx, invocation["run_id"])

    def action() -> None:
        if evidence is not None:
            run_replay(evidence, "pipeline", _replay_context, resolve, out)
            return
        target, factory_ref = _target(run_id, factory, resource_group, subscription, "pipeline run ID")
        account = parse_account_name(adla_account) if adla_account is not None else None
        invocation = {
            "command": "pipeline",
            "run_id": target,
            "factory": factory_record(factory_ref),
            "adla_account": account,
        }

        def make(source: AzureSource, now: datetime) -> ResolveContext:
            return ResolveContext(source, factory_ref, now, adla_account=account, progress=_progress)

        run_live(invocation, make, lambda ctx: resolve(ctx, invocation), out, credential)

    if evidence is not None:
        guarded(debug, lambda: _check_recorded(evidence, run_id, "pipeline run ID"))
    guarded(debug, action)


def job(
    account_or_link: Annotated[
        str | None,
        typer.Argument(
            metavar="ACCOUNT|LINK",
            help="ADLA account name, or a pasted job link https://ACCOUNT.azuredatalakeanalytics.net/jobLink/JOB-ID.",
        ),
    ] = None,
    job_id: Annotated[
        str | None, typer.Argument(metavar="JOB_ID", help="ADLA job ID (omit when passing a job link).")
    ] = None,
    format: opt.Format = None,
    output: opt.Output = None,
    save_evidence: opt.SaveEvidence = None,
    evidence: opt.Evidence = None,
    credential: opt.Credential = None,
    debug: opt.Debug = False,
) -> None:
    """Report on one ADLA job alone, when you start from the ADLA side."""
    configure_logging(debug)
    out = OutputChoice(format, output, save_evidence)

    def resolve(ctx: ResolveContext, invocation: dict[str, Any]) -> Report:
        from adlstrace.resolver.job_report import resolve_job

        return resolve_job(ctx, invocation["account"], invocation["job_id"], invocation.get("dns_suffix"))

    def action() -> None:
        if evidence is not None:
            run_replay(evidence, "job", _replay_context, resolve, out)
            return
        if account_or_link is None:
            raise UsageError("Missing the ADLA account and job ID.", "Pass ACCOUNT JOB-ID or a job link.")
        if looks_like_url(account_or_link):
            if job_id is not None:
                raise UsageError("Pass either a job link or ACCOUNT JOB-ID, not both.")
            link = parse_job_link(account_or_link)
            account, job, suffix = link.account, link.job_id, link.dns_suffix
        else:
            if job_id is None:
                raise UsageError("Missing the job ID.", "Pass ACCOUNT JOB-ID, or paste the job link.")
            account, job, suffix = parse_account_name(account_or_link), parse_run_id(job_id, "job ID"), None
        invocation = {
            "command": "job",
            "account": account,
            "job_id": job,
            "dns_suffix": suffix,
            "factory": factory_record(NO_FACTORY),
        }

        def make(source: AzureSource, now: datetime) -> ResolveContext:
            return ResolveContext(source, NO_FACTORY, now, progress=_progress)

        run_live(invocation, make, lambda ctx: resolve(ctx, invocation), out, credential)

    guarded(debug, action)


# The job command reads no factory; ResolveContext still wants one.
NO_FACTORY = FactoryRef("", "", "")


def _replay_context(source: AzureSource, now: datetime, invocation: dict[str, Any]) -> ResolveContext:
    from datetime import timedelta

    since = timedelta(seconds=float(invocation.get("since_seconds") or 7 * 86400))
    return ResolveContext(
        source, factory_from_invocation(invocation), now, since, 1, invocation.get("adla_account"), progress=_progress
    )


def _check_recorded(path: Any, run_id: str | None, what: str) -> None:
    if run_id is None:
        return
    from adlstrace.sources.evidence import load_evidence

    _check_replay_id(run_id, str(load_evidence(path)["invocation"].get("run_id")), what)
