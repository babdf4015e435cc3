"""The one way out: every report, evidence file, index and message is scrubbed here.

Files are written atomically (a temporary file in the same folder, fsync, then rename), so
a reader or a killed run never finds half a file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from adlstrace.errors import OutputError
from adlstrace.report.model import Report
from adlstrace.scrub import REDACTED, scrub_data_counted, scrub_text


def _new_file_mode() -> int:
    # The umask can only be read by setting it; this runs once, at import, before any thread starts.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_NEW_FILE_MODE = _new_file_mode()


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
        # mkstemp creates the file readable by its owner only. Give it the mode of the file it
        # replaces, or the mode any new file gets (0666 less the umask).
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode) if path.exists() else _NEW_FILE_MODE)
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
    """Render `report` and scrub the text; the report states how many values were replaced.

    Each field is scrubbed before rendering, and the rendered text again after. The first
    pass is needed because a renderer may escape a value (JSON turns `"` into `\\"`) into
    a shape the text rules do not match. The second pass catches a secret that appears only
    once fields are joined. The count is of `[REDACTED]` marks in the output, so it
    includes values scrubbed while the report was built, such as those in the script.
    """
    clean = _scrub_fields(report)
    clean.scrubbed_values = 0
    text = scrub_text(render(clean))
    count = text.count(REDACTED)
    report.scrubbed_values = clean.scrubbed_values = count
    if count == 0:
        return text
    # The footer states the count, so the report is rendered again with it.
    return scrub_text(render(clean))


def _scrub_fields(value: Any) -> Any:
    """Return a copy of a report (or any part of one) with every string scrubbed."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [_scrub_fields(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {item.name: _scrub_fields(getattr(value, item.name)) for item in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


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
