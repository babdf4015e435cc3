"""Turn a report into format-neutral blocks that the text and Markdown renderers lay out."""

from __future__ import annotations

from dataclasses import dataclass, field

from adlstrace.report.model import Identifiers, JobError, Report
from adlstrace.timeutil import format_display


@dataclass
class Block:
    """One section: a title and any of paragraphs, a table, a code excerpt and bullet items."""

    title: str
    level: int = 2
    paragraphs: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


_ID_LABELS: list[tuple[str, str]] = [
    ("subscription_id", "Subscription"),
    ("resource_group", "Resource group"),
    ("factory", "Data factory"),
    ("pipeline_name", "Pipeline"),
    ("pipeline_run_id", "Pipeline run ID"),
    ("activity_name", "Activity"),
    ("activity_type", "Activity type"),
    ("activity_run_id", "Activity run ID"),
    ("activity_status", "Activity status"),
    ("linked_service", "Linked service"),
    ("adla_account", "ADLA account"),
    ("job_id", "ADLA job ID"),
    ("job_url", "ADLA job URL"),
    ("job_state", "Job state"),
    ("job_result", "Job result"),
    ("activity_start", "Activity start"),
    ("activity_end", "Activity end"),
    ("job_submit", "Job submitted"),
    ("job_start", "Job started"),
    ("job_end", "Job ended"),
]


def identifier_rows(ids: Identifiers) -> list[list[str]]:
    rows = []
    for name, label in _ID_LABELS:
        value = getattr(ids, name)
        if value is None or value == "":
            continue
        rows.append([label, format_display(value) if not isinstance(value, str) else value])
    return rows


def _error_lines(error: JobError, index: int) -> str:
    indent = f"inner error, level {error.depth}: " if error.depth else ""
    where = f", line {error.line_number}" if error.line_number else ""
    kind = f"{error.severity or 'severity unknown'}, {error.source or 'source unknown'}{where}"
    head = f"{index}. {indent}{error.error_id} ({kind})"
    parts = [head]
    for label, value in (
        ("Message", error.message),
        ("Description", error.description),
        ("Details", error.details),
        ("Resolution", error.resolution),
        ("Component", error.component),
        ("Help", error.help_link),
    ):
        if value:
            parts.append(f"   {label}: " + value.replace("\n", "\n" + " " * (len(label) + 5)))
    return "\n".join(parts)


def report_blocks(report: Report, level: int = 2) -> list[Block]:
    """Return the sections of `report` in reading order; empty sections are left out."""
    blocks: list[Block] = []
    blocks.append(Block("Identifiers", level, headers=["Field", "Value"], rows=identifier_rows(report.ids)))
    if report.chain:
        blocks.append(
            Block(
                "Failure chain (outermost first)",
                level,
                headers=["Pipeline", "Pipeline run ID", "Activity", "Type", "Activity run ID", "Status", "Iteration"],
                rows=[
                    [
                        c.pipeline_name,
                        c.pipeline_run_id,
                        c.activity_name,
                        c.activity_type,
                        c.activity_run_id,
                        c.status,
                        c.iteration_hash or "",
                    ]
                    for c in report.chain
                ],
            )
        )
    if report.adf_error is not None:
        error = report.adf_error
        rows = [
            ["Error code", error.code or "-"],
            ["Failure type", error.failure_type or "-"],
            ["Target", error.target or "-"],
        ]
        blocks.append(Block("ADF error", level, headers=["Field", "Value"], rows=rows, paragraphs=[error.message]))
    if report.job_errors:
        origin = (
            "ADLA job errors" if report.job_errors[0].origin == "adla" else "ADLA errors embedded in the ADF message"
        )
        blocks.append(
            Block(
                f"{origin} (root cause first)",
                level,
                paragraphs=[_error_lines(e, i) for i, e in enumerate(report.job_errors, 1)],
            )
        )
    if report.script:
        marked = next((line.number for line in report.script if line.is_error), None)
        width = len(str(report.script[-1].number))
        blocks.append(
            Block(
                f"Script around line {marked}" if marked else "Script",
                level,
                code=[
                    f"{'>' if line.is_error else ' '} {line.number:>{width}} | {line.text}" for line in report.script
                ],
            )
        )
    if report.timeline:
        blocks.append(
            Block(
                "Job state timeline",
                level,
                headers=["Time (UTC)", "State", "Requested by", "Details"],
                rows=[[format_display(c.at), c.state, c.requested_by, c.details] for c in report.timeline],
            )
        )
    if report.hints:
        blocks.append(
            Block(
                "Likely cause and next step",
                level,
                items=[
                    f"{h.match} {h.title}: {h.cause} Owner: {h.owner}. Next step: {h.next_step}"
                    + (f" (source: {h.source})" if h.source else "")
                    for h in report.hints
                ],
            )
        )
    if report.related:
        blocks.append(
            Block(
                "Related runs and attempts",
                level,
                headers=["What", "Run ID", "Status", "Start", "Error"],
                rows=[[r.label, r.run_id, r.status, format_display(r.start), r.error] for r in report.related],
            )
        )
    if report.kind != "pipeline" and (report.match.attempts or report.match.strategy):
        outcome = f"Matched by strategy {report.match.strategy}." if report.match.strategy else "No strategy matched."
        blocks.append(
            Block(
                "How the job was matched",
                level,
                paragraphs=[outcome],
                items=[f"{a.strategy} -> {a.outcome}" for a in report.match.attempts],
            )
        )
    if report.notes:
        blocks.append(Block("Notes", level, items=list(report.notes)))
    for child in report.children:
        blocks.append(
            Block(
                f"Failed activity: {child.ids.activity_name}",
                level,
                paragraphs=[child.headline, f"Root error: {child.root_error}"],
            )
        )
        blocks.extend(report_blocks(child, level + 1))
    if report.appendix:
        blocks.append(
            Block(
                "Appendix: stack traces", level, paragraphs=[f"{item.label}:\n{item.text}" for item in report.appendix]
            )
        )
    return blocks


def footer(report: Report) -> str:
    origin = "live Azure answers" if report.origin == "live" else report.origin
    scrubbed = (
        f"{report.scrubbed_values} secret-like values were replaced with [REDACTED]"
        if report.scrubbed_values
        else "no secret-like values were found"
    )
    return (
        f"Generated by adlstrace {report.tool_version} at {format_display(report.generated_at)} from "
        f"{origin}. Keys, SAS signatures, passwords, tokens and connection strings are scrubbed "
        f"before output; {scrubbed}."
    )
