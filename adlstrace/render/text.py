"""Plain-text report for terminals."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from adlstrace.render.blocks import footer, report_blocks
from adlstrace.report.model import Report

FORMAT = "text"
EXTENSIONS = (".txt", ".log")


def render(report: Report) -> str:
    lines = [report.headline, f"Root error: {report.root_error}", ""]
    for block in report_blocks(report):
        rule = "=" if block.level <= 2 else "-"
        lines += [block.title, rule * len(block.title)]
        for paragraph in block.paragraphs:
            lines.append(paragraph)
        if block.rows:
            lines.append(tabulate(block.rows, headers=block.headers, tablefmt="simple"))
        lines += block.code
        for item in block.items:
            lines.append(textwrap.fill(item, width=100, initial_indent="- ", subsequent_indent="  "))
        lines.append("")
    lines.append(footer(report))
    return "\n".join(lines) + "\n"
