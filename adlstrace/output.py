"""The one way out: every report, evidence file, index and message is scrubbed here.

Files are written atomically (a temporary file in the same folder, fsync, then rename), so
a reader or a killed run never sees half a file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from adlstrace.errors import OutputError
from adlstrace.report.model import Report
from adlstrace.scrub import scrub_data_counted, scrub_text, scrub_text_counted


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` so that the file is either the old one or complete."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not path.is_file():
        # A device or pipe such as /dev/null or /dev/stdout: renaming over it would replace
        # the device node itself, so write through it instead.
        _write_through(path, text)
        return
    if not folder.is_dir():
        raise OutputError(f"Cannot write {path}: folder {folder} does not exist.", "Create the folder first.")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"Cannot write {path}: {error.strerror}.", "Check the folder's permissions.") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"Cannot write {path}: {error.strerror}.", "Check free space and permissions.") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_through(path: Path, text: str) -> None:
    try:
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise OutputError(f"Cannot write {path}: {error.strerror}.") from None


def render_scrubbed(report: Report, render: Any) -> str:
    """Render `report` and scrub the text; the report states how many values were replaced."""
    _, count = scrub_text_counted(render(report))
    report.scrubbed_values = count
    return scrub_text(render(report))


def emit_text(text: str, path: Path | None, stream: TextIO | None = None) -> None:
    """Scrub and write `text` to `path`, or to `stream` (stdout) when no path is given."""
    clean = scrub_text(text)
    if path is None:
        (stream or sys.stdout).write(clean)
    else:
        atomic_write(path, clean)


def json_text(data: Any) -> str:
    clean, _ = scrub_data_counted(data)
    return json.dumps(clean, indent=2, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    atomic_write(path, scrub_text(json_text(data)))
