"""The sweep state file: what a sweep has already written to its output folder.

`.adlstrace-sweep.json` in the output folder maps each failure (keyed by its activity run
ID) to its outcome. It is rewritten atomically at most once per SAVE_INTERVAL while reports
are written, and always when a sweep begins and ends (Ctrl-C included). Each report file is
written before its entry, so a sweep killed at any point leaves a state that names only
reports that exist. A later sweep of the same window skips failures whose report exists and
resolves the rest. Report file names depend only on the failure, so a report written in the
last interval before a kill is written again, not duplicated.

Saving after every report would rewrite the whole file once per failure: the bytes written
would grow with the square of the number of failures.

File format (JSON, `version` 1):

    {"format": "adlstrace-sweep-state", "version": 1, "factory": "/subscriptions/.../factories/NAME",
     "runs": [{"started", "finished", "after", "before", "pipelines", "activity_types",
               "complete", "errors": [...]}],
     "failures": {"<activityRunId>": {"status": "reported" | "unresolved" | "wrapper", ...}}}
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from adlstrace.errors import UsageError
from adlstrace.ids import FactoryRef
from adlstrace.output import atomic_write
from adlstrace.scrub import scrub_data

STATE_FILE = ".adlstrace-sweep.json"
STATE_FORMAT = "adlstrace-sweep-state"
STATE_VERSION = 1
# Sweeps remembered in the state file; the index shows the latest one.
MAX_RUN_HISTORY = 20
# Seconds between two state file writes while reports are written.
SAVE_INTERVAL = 1.0

REPORT_EXTENSIONS = {"markdown": ".md", "json": ".json", "text": ".txt"}
# Characters kept from each name in a report file name; the activity run ID keeps it unique.
MAX_NAME_PART = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

REPORTED = "reported"
UNRESOLVED = "unresolved"
WRAPPER = "wrapper"


@dataclass
class Entry:
    """One failure as the index lists it, keyed by its lowercase activity run ID. Times are ISO 8601 UTC."""

    status: str
    pipeline: str
    pipeline_run_id: str
    activity: str
    activity_run_id: str
    activity_type: str
    time: str = ""
    error_code: str = ""
    root_error: str = ""
    job_url: str = ""
    report: str = ""
    reason: str = ""
    child_run_id: str = ""
    related_attempts: int = 0
    updated: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


@dataclass
class RunRecord:
    """One sweep of the folder: its window and filters, and whether it read every run."""

    started: str
    after: str
    before: str
    pipelines: list[str] = field(default_factory=list)
    activity_types: list[str] = field(default_factory=list)
    finished: str = ""
    complete: bool = False
    errors: list[str] = field(default_factory=list)


def report_extension(format_name: str) -> str:
    return REPORT_EXTENSIONS.get(format_name, ".txt")


def _safe_part(text: str) -> str:
    cleaned = _UNSAFE.sub("-", text).strip("-.")
    return cleaned[:MAX_NAME_PART] or "unnamed"


def report_file_name(pipeline: str, activity: str, activity_run_id: str, format_name: str) -> str:
    """Build the file name of a failure's report, the same on every sweep of that failure."""
    parts = (_safe_part(pipeline), _safe_part(activity), _safe_part(activity_run_id.lower()))
    return "__".join(parts) + report_extension(format_name)


class SweepState:
    """The state file of one output folder. All methods are thread-safe."""

    def __init__(self, folder: Path, factory: FactoryRef, data: dict[str, Any] | None = None) -> None:
        self.folder = folder
        self.path = folder / STATE_FILE
        self.factory_id = factory.resource_id
        data = data or {}
        self._failures = {key: Entry.from_dict(value) for key, value in (data.get("failures") or {}).items()}
        # Each entry is scrubbed and serialised once, when recorded: scrubbing the whole file
        # on every write would cost time quadratic in the number of failures.
        self._serialised = {key: _serialise(entry) for key, entry in self._failures.items()}
        self._runs = [RunRecord(**run) for run in data.get("runs") or []]
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._version = 0
        self._written = 0
        self._last_save = 0.0

    @classmethod
    def open(cls, folder: Path, factory: FactoryRef) -> SweepState:
        """Load the folder's state file, or start an empty state if there is none."""
        path = folder / STATE_FILE
        if not path.exists():
            return cls(folder, factory)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise UsageError(
                f"The sweep state file {path} could not be read: {error}.",
                "Move it away to sweep this folder afresh; existing reports are then written again.",
            ) from None
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise UsageError(f"{path} is not an adlstrace sweep state file.", "Move it away or choose another --out.")
        if not isinstance(data.get("version"), int) or data["version"] > STATE_VERSION:
            raise UsageError(
                f"The sweep state file {path} has version {data.get('version')!r}; this adlstrace reads "
                f"up to version {STATE_VERSION}.",
                "Upgrade adlstrace, or choose another --out.",
            )
        recorded = str(data.get("factory") or "")
        if recorded.lower() != factory.resource_id.lower():
            raise UsageError(
                f"The output folder {folder} contains a sweep of factory {recorded}, not {factory.resource_id}.",
                "Use one output folder per factory.",
            )
        try:
            return cls(folder, factory, data)
        except (TypeError, AttributeError) as error:
            raise UsageError(
                f"The sweep state file {path} is malformed ({error}).", "Move it away to sweep this folder afresh."
            ) from None

    def is_reported(self, key: str, format_name: str) -> bool:
        """True when the failure's report exists in the requested format."""
        with self._lock:
            entry = self._failures.get(key)
        if entry is None or entry.status != REPORTED or not entry.report:
            return False
        return entry.report.endswith(report_extension(format_name)) and (self.folder / entry.report).is_file()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            return self._failures.get(key)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._failures.values())

    @property
    def last_run(self) -> RunRecord | None:
        with self._lock:
            return self._runs[-1] if self._runs else None

    def begin_run(self, run: RunRecord) -> None:
        with self._lock:
            self._runs = [*self._runs, run][-MAX_RUN_HISTORY:]
            self._version += 1
        self.save()

    def finish_run(self, finished: str, complete: bool, errors: list[str]) -> None:
        with self._lock:
            run = self._runs[-1]
            run.finished, run.complete, run.errors = finished, complete, list(errors)
            self._version += 1
        self.save()

    def record(self, entry: Entry) -> None:
        """Store `entry`, and write the state file if the last write is SAVE_INTERVAL old."""
        serialised = _serialise(entry)
        with self._lock:
            self._failures[entry.activity_run_id] = entry
            self._serialised[entry.activity_run_id] = serialised
            self._version += 1
            now = time.monotonic()
            due = now - self._last_save >= SAVE_INTERVAL
            if due:
                # Claimed here, under the lock, so that concurrent workers save once per interval.
                self._last_save = now
        if due:
            self.save()

    def save(self) -> None:
        """Write the state file; a writer that finds its change already written by another returns."""
        with self._write_lock:
            with self._lock:
                if self._written == self._version and self.path.exists():
                    return
                version = self._version
                header = scrub_data(
                    {
                        "format": STATE_FORMAT,
                        "version": STATE_VERSION,
                        "factory": self.factory_id,
                        "runs": [asdict(run) for run in self._runs],
                    }
                )
                failures = ",\n".join(f"  {json.dumps(key)}: {text}" for key, text in sorted(self._serialised.items()))
            text = json.dumps(header, ensure_ascii=False)[:-1] + ',\n "failures": {\n' + failures + "\n }\n}\n"
            atomic_write(self.path, text)
            self._written = version
            self._last_save = time.monotonic()


def _serialise(entry: Entry) -> str:
    return json.dumps(scrub_data(asdict(entry)), ensure_ascii=False)
