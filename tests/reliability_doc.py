"""Rewrite generated sections of docs/reliability.md from test results.

A section sits between `<!-- BEGIN name -->` and `<!-- END name -->` lines. Tests rewrite it
only when ADLSTRACE_WRITE_RELIABILITY=1 is set, so an ordinary test run never changes the tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

RELIABILITY_DOC = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
WRITE_ENV = "ADLSTRACE_WRITE_RELIABILITY"


def writing_enabled() -> bool:
    return os.environ.get(WRITE_ENV) == "1"


def replace_section(name: str, body: str, path: Path = RELIABILITY_DOC) -> None:
    """Replace the text between the markers of section `name`; raise KeyError if they are missing."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(
        rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)",
        re.DOTALL,
    )
    if not pattern.search(text):
        raise KeyError(f"{path} has no markers for section {name!r}")
    updated = pattern.sub(lambda match: match.group(1) + body.rstrip("\n") + "\n" + match.group(2), text, count=1)
    path.write_text(updated, encoding="utf-8")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"
