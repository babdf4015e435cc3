"""`adlstrace sweep`: one report per failed activity in a time window, plus an index."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adlstrace.cli import options as opt
from adlstrace.cli.errors import configure_logging, guarded
from adlstrace.cli.runner import live_source
from adlstrace.counts import plural
from adlstrace.errors import ExitCode, OutputError, UsageError
from adlstrace.ids import parse_factory
from adlstrace.render import renderer
from adlstrace.resolver.context import ADF_RETENTION
from adlstrace.timeutil import format_display, parse_duration, parse_user_time, utc_now

if TYPE_CHECKING:
    from adlstrace.sweep.run import SweepResult

logger = logging.getLogger("adlstrace.sweep")

DEFAULT_SINCE = "24h"
# Reasons for an incomplete sweep printed at the end; a cron mail needs the first few only.
MAX_ERROR_LINES = 5


def sweep_window(since: str | None, start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """Return the (after, before) lastUpdated window from --since or --from/--to."""
    if since is not None and start is not None:
        raise UsageError("Pass either --since or --from, not both.")
    before = parse_user_time(end, "--to") if end is not None else now
    after = parse_user_time(start, "--from") if start is not None else before - parse_duration(since or DEFAULT_SINCE)
    if after >= before:
        raise UsageError(
            f"The sweep window is empty: {format_display(after)} is not before {format_display(before)}.",
            "Pass a --from earlier than --to.",
        )
    if after < now - ADF_RETENTION:
        logger.warning("the window starts before ADF's 45-day run history; older runs cannot be found")
    return after, before


def _prepare_folder(out: Path) -> bool:
    """Create the output folder if needed; return whether it was created."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"Cannot use {out} as the output folder: it is a file.", "Pass a folder with --out.")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"Cannot create the output folder {out}: {error.strerror}.", "Check the path.") from None
    return created


def _summary(result: SweepResult, out: Path) -> str:
    return (
        f"done: {plural(result.runs_listed, 'pipeline run')} listed, {plural(result.failures, 'failure')} "
        f"({plural(result.reported, 'report')} written, {result.already_reported} written before, "
        f"{plural(result.wrappers, 'Execute Pipeline wrapper')}, {result.unresolved} unresolved); "
        f"index in {out / 'index.md'}"
    )


def _stop_on_sigterm() -> None:
    """Let SIGTERM (a scheduler stopping the job) end the sweep as Ctrl-C does: state saved, index written."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def sweep(
    out: Annotated[
        Path, typer.Option("--out", metavar="FOLDER", help="Folder for the reports, the index and the state file.")
    ],
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DURATION",
            help="Sweep pipeline runs updated in this past period, e.g. 24h, 7d (default 24h).",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="TIME", help="Window start (ISO 8601 UTC, e.g. 2026-11-01T00:00Z); replaces --since."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="TIME", help="Window end (ISO 8601 UTC). Default: now.")
    ] = None,
    pipeline: Annotated[
        list[str] | None,
        typer.Option("--pipeline", metavar="NAME", help="Only these pipelines (repeat the option for more)."),
    ] = None,
    activity_type: Annotated[
        list[str] | None,
        typer.Option(
            "--activity-type", metavar="TYPE", help="Only failed activities of this type, e.g. DataLakeAnalyticsU-SQL."
        ),
    ] = None,
    factory: opt.Factory = None,
    resource_group: opt.ResourceGroup = None,
    subscription: opt.Subscription = None,
    format: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="Report format: markdown, json or text.")
    ] = "markdown",
    fail_on_failures: Annotated[
        bool, typer.Option("--fail-on-failures", help="Exit with code 10 when the window contains any failure.")
    ] = False,
    concurrency: opt.Concurrency = 8,
    credential: opt.Credential = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show no progress; errors only.")] = False,
    debug: opt.Debug = False,
) -> None:
    """Write a report for every failed activity in a time window, and an index of them all.

    Exit codes: 0 swept, 10 failures found (only with --fail-on-failures), 11 incomplete.

    Incomplete means some failure or pipeline run could not be read; the index lists which.
    """
    configure_logging(debug, quiet)

    def action() -> ExitCode:
        from adlstrace.sweep.plan import SweepWindow
        from adlstrace.sweep.progress import make_progress
        from adlstrace.sweep.run import SweepRequest, SweepSetupError, run_sweep

        now = utc_now()
        after, before = sweep_window(since, start, end, now)
        renderer(format)
        format_name = format.lower()
        request = SweepRequest(
            factory=parse_factory(factory, resource_group, subscription),
            window=SweepWindow(after, before),
            out_dir=out,
            format=format_name,
            pipelines=tuple(pipeline or ()),
            activity_types=tuple(activity_type or ()),
            concurrency=concurrency,
        )
        created = _prepare_folder(out)
        _stop_on_sigterm()
        progress = make_progress(quiet)
        try:
            progress.message(
                f"sweeping factory {request.factory.name}: pipeline runs updated from {format_display(after)} "
                f"to {format_display(before)}"
            )
            result, cache = run_sweep(live_source(credential), request, now, progress)
            progress.message(_summary(result, out))
            for error in result.errors[:MAX_ERROR_LINES]:
                progress.warning(f"incomplete: {error}")
            if len(result.errors) > MAX_ERROR_LINES:
                progress.warning(f"incomplete: {len(result.errors) - MAX_ERROR_LINES} more; index.md lists them all")
            logger.debug("lookups sent %s, returned from cache %s", cache.stats.sent, cache.stats.reused)
        except SweepSetupError:
            # The factory could not be read at all: leave no folder behind that names it.
            if created and not any(out.iterdir()):
                out.rmdir()
            raise
        finally:
            progress.close()
        return result.exit_code(fail_on_failures)

    code = guarded(debug, action)
    raise typer.Exit(int(code))
