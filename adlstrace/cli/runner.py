"""Shared steps of the report commands: pick a source, resolve, save evidence, write the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from adlstrace import __version__
from adlstrace.errors import EvidenceError, OutputError
from adlstrace.ids import FactoryRef
from adlstrace.output import atomic_write, json_text, render_scrubbed
from adlstrace.render import format_for_path, renderer
from adlstrace.report.model import Report
from adlstrace.resolver.context import ResolveContext
from adlstrace.sources.base import AzureSource
from adlstrace.sources.evidence import RecordingSource, ReplaySource, load_evidence
from adlstrace.timeutil import format_display, parse_utc, utc_now

Resolve = Callable[[ResolveContext], Report]


@dataclass
class OutputChoice:
    format: str | None
    output: Path | None
    save_evidence: Path | None

    def resolved_format(self) -> str:
        if self.format:
            return self.format.lower()
        if self.output is not None:
            return format_for_path(str(self.output)) or "text"
        return "text"

    def check(self) -> None:
        renderer(self.resolved_format())
        for path, example in ((self.output, "report.md"), (self.save_evidence, "run.evidence.json")):
            if path is None:
                continue
            if path.is_dir():
                raise OutputError(
                    f"Cannot write {path}: it is a folder.",
                    f"Name a file in it, for example {path / example}.",
                )
            if not path.parent.is_dir():
                raise OutputError(
                    f"Cannot write {path}: folder {path.parent} does not exist.",
                    "Create the folder or choose another path.",
                )


def live_source(credential_kind: str | None) -> AzureSource:
    """Build the live source; this is the only place the Azure SDKs get imported."""
    from adlstrace.settings import load_settings
    from adlstrace.sources.live.source import LiveSource

    return LiveSource(load_settings(credential_kind))


def run_live(
    invocation: dict[str, Any],
    make_context: Callable[[AzureSource, datetime], ResolveContext],
    resolve: Resolve,
    out: OutputChoice,
    credential_kind: str | None,
) -> Report:
    out.check()
    now = utc_now()
    source: AzureSource = live_source(credential_kind)
    recorder = RecordingSource(source) if out.save_evidence else None
    ctx = make_context(recorder or source, now)
    ctx.partial_errors = []
    try:
        report = resolve(ctx)
    finally:
        if recorder is not None and out.save_evidence is not None:
            bundle = recorder.bundle(now, invocation, __version__)
            atomic_write(out.save_evidence, json_text(bundle))
            typer.echo(f"wrote evidence {out.save_evidence}", err=True)
    write_report(report, out)
    raise_partial(ctx)
    return report


def raise_partial(ctx: ResolveContext) -> None:
    """After a report with only part of its data is written, end with the error that cut it short."""
    if ctx.partial_errors:
        raise ctx.partial_errors[0]


def run_replay(
    path: Path,
    command: str,
    make_context: Callable[[AzureSource, datetime, dict[str, Any]], ResolveContext],
    resolve: Callable[[ResolveContext, dict[str, Any]], Report],
    out: OutputChoice,
) -> Report:
    out.check()
    bundle = load_evidence(path)
    invocation = bundle["invocation"]
    if invocation.get("command") != command:
        raise EvidenceError(
            f"Evidence file {path} was recorded by `adlstrace {invocation.get('command')}`, not `{command}`.",
            f"Replay it with `adlstrace {invocation.get('command')} --evidence {path}`.",
        )
    now = parse_utc(bundle["recorded_at"])
    ctx = make_context(ReplaySource(bundle, str(path)), now, invocation)
    # One worker, in scan order: the live run read every run before the match, so replay
    # never asks for an answer the evidence lacks.
    ctx.concurrency = 1
    ctx.partial_errors = []
    report = resolve(ctx, invocation)
    report.origin = f"evidence file {path.name} (recorded {format_display(now)})"
    write_report(report, out)
    raise_partial(ctx)
    return report


def write_report(report: Report, out: OutputChoice) -> None:
    text = render_scrubbed(report, renderer(out.resolved_format()))
    if out.output is None:
        typer.echo(text, nl=False)
    else:
        atomic_write(out.output, text)
        typer.echo(f"wrote {out.output}", err=True)


def factory_from_invocation(invocation: dict[str, Any]) -> FactoryRef:
    data = invocation.get("factory") or {}
    return FactoryRef(
        str(data.get("subscription_id", "")), str(data.get("resource_group", "")), str(data.get("name", ""))
    )


def factory_record(factory: FactoryRef) -> dict[str, str]:
    return {"subscription_id": factory.subscription_id, "resource_group": factory.resource_group, "name": factory.name}


def since_seconds(since: timedelta) -> float:
    return since.total_seconds()
