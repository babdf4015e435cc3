"""Markdown report for support tickets."""

from __future__ import annotations

from tabulate import tabulate

from adlstrace.render.blocks import footer, report_blocks
from adlstrace.report.model import Report

FORMAT = "markdown"
EXTENSIONS = (".md", ".markdown")


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", "<br>")


def _fence(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in line.split("`") if not run), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def render(report: Report) -> str:
    title = "ADF pipeline run failure" if report.kind == "pipeline" else "ADF activity failure"
    lines = [
        f"# {title}: {report.ids.activity_name or report.ids.pipeline_name or ''}".rstrip(),
        "",
        f"**{report.headline}**",
        "",
        f"**Root error:** {_cell(report.root_error)}",
        "",
    ]
    for block in report_blocks(report):
        lines += ["#" * min(block.level, 6) + " " + block.title, ""]
        for paragraph in block.paragraphs:
            lines += (_fence(paragraph.splitlines()) if "\n" in paragraph else [paragraph]) + [""]
        if block.rows:
            rows = [[_cell(str(cell)) for cell in row] for row in block.rows]
            lines += [tabulate(rows, headers=block.headers, tablefmt="github"), ""]
        if block.code:
            lines += [*_fence(block.code), ""]
        if block.items:
            lines += [f"- {_cell(item)}" for item in block.items] + [""]
    lines.append(f"_{footer(report)}_")
    return "\n".join(lines) + "\n"
