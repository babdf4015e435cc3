"""The sweep index: index.md, index.json and index.csv, rebuilt from the state file on every sweep."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime
from typing import Any

from tabulate import tabulate

from adlstrace.counts import plural
from adlstrace.output import emit_text, write_json
from adlstrace.sweep.state import REPORTED, UNRESOLVED, WRAPPER, Entry, SweepState
from adlstrace.timeutil import format_display, format_utc, parse_optional_utc

INDEX_FORMAT = "adlstrace-sweep-index"
INDEX_VERSION = 1
COLUMNS = (
    "status",
    "pipeline",
    "activity",
    "activity_type",
    "time",
    "error_code",
    "root_error",
    "job_url",
    "report",
    "reason",
    "pipeline_run_id",
    "activity_run_id",
)
# Levels of nested Execute Pipeline wrappers the index follows; a deeper chain shows no report.
MAX_WRAPPER_DEPTH = 10


def wrapper_targets(entry: Entry, by_run: dict[str, list[Entry]]) -> list[Entry]:
    """The reported or unresolved failures that an Execute Pipeline wrapper leads to.

    `by_run` maps lowercase pipeline run IDs to their entries.
    """
    targets: list[Entry] = []
    pending, seen = [entry.child_run_id.lower()], set()
    for _ in range(MAX_WRAPPER_DEPTH):
        next_runs = []
        for run_id in pending:
            if run_id in seen:
                continue
            seen.add(run_id)
            for item in by_run.get(run_id, []):
                if item.status == WRAPPER:
                    next_runs.append(item.child_run_id.lower())
                else:
                    targets.append(item)
        if not next_runs:
            break
        pending = next_runs
    return targets


def index_rows(state: SweepState) -> list[dict[str, str]]:
    """One row per failure, newest first; a wrapper row names the report it points at."""
    entries = state.entries()
    by_run: dict[str, list[Entry]] = {}
    for item in entries:
        by_run.setdefault(item.pipeline_run_id.lower(), []).append(item)
    rows = []
    for entry in entries:
        row = {name: str(getattr(entry, name, "") or "") for name in COLUMNS}
        if entry.status == WRAPPER:
            targets = wrapper_targets(entry, by_run)
            row["report"] = " ".join(target.report for target in targets if target.report)
            row["reason"] = f"Execute Pipeline wrapper; the failure is in child pipeline run {entry.child_run_id}"
        rows.append(row)
    rows.sort(key=lambda row: (row["time"], row["pipeline"], row["activity"], row["activity_run_id"]), reverse=True)
    return rows


def counts(rows: list[dict[str, str]]) -> dict[str, int]:
    return {
        "failures": len(rows),
        REPORTED: sum(1 for row in rows if row["status"] == REPORTED),
        UNRESOLVED: sum(1 for row in rows if row["status"] == UNRESOLVED),
        WRAPPER: sum(1 for row in rows if row["status"] == WRAPPER),
    }


def index_json(state: SweepState, rows: list[dict[str, str]], generated_at: datetime) -> dict[str, Any]:
    last = state.last_run
    return {
        "format": INDEX_FORMAT,
        "version": INDEX_VERSION,
        "factory": state.factory_id,
        "generated_at": format_utc(generated_at),
        "last_sweep": None if last is None else asdict(last),
        "counts": counts(rows),
        "failures": rows,
    }


def index_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _shown(iso_time: str) -> str:
    """Show an ISO 8601 UTC time to people, as the reports do; an unreadable one as it is."""
    moment = parse_optional_utc(iso_time)
    return format_display(moment) if moment is not None else iso_time


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def index_markdown(state: SweepState, rows: list[dict[str, str]]) -> str:
    last = state.last_run
    total = counts(rows)

    lines = [f"# adlstrace sweep of {state.factory_id.rsplit('/', 1)[-1]}", ""]
    if last is not None:
        filters = [f"pipelines {', '.join(last.pipelines)}"] if last.pipelines else []
        filters += [f"activity types {', '.join(last.activity_types)}"] if last.activity_types else []
        only = f", only {'; '.join(filters)}" if filters else ""
        lines.append(
            f"Last sweep: pipeline runs updated from {_shown(last.after)} to {_shown(last.before)}{only}, "
            f"started {_shown(last.started)}."
        )
        lines.append("")
        if not last.complete:
            lines += ["**The last sweep is incomplete:**", ""]
            lines += [f"- {_cell(error)}" for error in last.errors] or ["- it did not finish."]
            lines.append("")
    lines += [
        f"{plural(total['failures'], 'failure')}: {total[REPORTED]} reported, {total[UNRESOLVED]} unresolved, "
        f"{plural(total[WRAPPER], 'Execute Pipeline wrapper')} of another failure. The list holds every failure that "
        "a sweep into this folder found, earlier sweeps included.",
        "",
    ]

    table = []
    for row in rows:
        reports = " ".join(f"[{name}]({name})" for name in row["report"].split()) or "-"
        table.append(
            [
                row["status"],
                _shown(row["time"]),
                row["pipeline"],
                row["activity"],
                row["activity_type"],
                row["error_code"],
                _cell(row["root_error"] or row["reason"])[:200],
                f"[job]({row['job_url']})" if row["job_url"] else "",
                reports,
            ]
        )
    headers = ["Status", "Activity start", "Pipeline", "Activity", "Type", "Error code", "Root error", "Job", "Report"]
    if table:
        lines += [tabulate(table, headers=headers, tablefmt="github"), ""]

    unresolved = [row for row in rows if row["status"] == UNRESOLVED]
    if unresolved:
        lines += ["## Unresolved", ""]
        lines += [
            f"- {row['pipeline']} / {row['activity']} ({row['activity_run_id']}): {_cell(row['reason'])}"
            for row in unresolved
        ]
        lines.append("")
    return "\n".join(lines)


def write_index(state: SweepState, generated_at: datetime) -> list[dict[str, str]]:
    """Write the three index files next to the reports and return the rows."""
    rows = index_rows(state)
    write_json(state.folder / "index.json", index_json(state, rows, generated_at))
    emit_text(index_csv(rows), state.folder / "index.csv")
    emit_text(index_markdown(state, rows), state.folder / "index.md")
    return rows
