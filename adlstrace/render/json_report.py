"""JSON report with the stable keys documented in docs/report-json.md."""

from __future__ import annotations

import json

from adlstrace.report.model import Report

FORMAT = "json"
EXTENSIONS = (".json",)


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
