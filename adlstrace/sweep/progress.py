"""Progress of a sweep on stderr: live bars on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Protocol

from adlstrace.counts import plural
from adlstrace.scrub import scrub_text

# Seconds between the plain "scanned N of M" lines.
PLAIN_INTERVAL = 10.0


class SweepProgress(Protocol):
    def listed(self, runs: int) -> None:
        """Count pipeline runs read from the listing."""

    def scanned(self) -> None:
        """Count one pipeline run whose activity runs were read."""

    def found(self, failures: int) -> None: ...

    def reported(self, file_name: str) -> None: ...

    def skipped(self, runs: int) -> None:
        """Take listed runs out of the count to scan: a rerun superseded them."""

    def settled(self) -> None:
        """Count a failure that needs no report now: a wrapper of its child's, or one written before."""

    def unresolved(self, what: str, reason: str) -> None: ...

    def message(self, text: str) -> None: ...

    def warning(self, text: str) -> None:
        """Show `text` even with --quiet: the sweep is incomplete or something needs attention."""

    def close(self) -> None: ...


class QuietProgress:
    """--quiet: no progress, only unresolved failures and warnings, as plain lines on stderr."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self._lock:
            self._stream.write(scrub_text(f"sweep: {text}") + "\n")
            self._stream.flush()

    def listed(self, runs: int) -> None:
        pass

    def scanned(self) -> None:
        pass

    def found(self, failures: int) -> None:
        pass

    def reported(self, file_name: str) -> None:
        pass

    def skipped(self, runs: int) -> None:
        pass

    def settled(self) -> None:
        pass

    def unresolved(self, what: str, reason: str) -> None:
        self._line(f"could not resolve {what}: {reason}")

    def message(self, text: str) -> None:
        pass

    def warning(self, text: str) -> None:
        self._line(text)

    def close(self) -> None:
        pass


class PlainProgress:
    """Log lines for cron and CI: each report, each unresolved failure, and a scan count every 10 s."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._listed = self._scanned = self._found = self._written = 0
        self._last_line = time.monotonic()

    def _line(self, text: str) -> None:
        self._stream.write(scrub_text(f"sweep: {text}") + "\n")
        self._stream.flush()

    def listed(self, runs: int) -> None:
        with self._lock:
            self._listed += runs

    def scanned(self) -> None:
        with self._lock:
            self._scanned += 1
            if time.monotonic() - self._last_line >= PLAIN_INTERVAL:
                self._last_line = time.monotonic()
                self._line(
                    f"scanned {self._scanned} of {self._listed} pipeline runs listed so far, "
                    f"{self._found} failures found"
                )

    def found(self, failures: int) -> None:
        with self._lock:
            self._found += failures

    def reported(self, file_name: str) -> None:
        with self._lock:
            self._written += 1
            self._line(f"wrote {file_name} (report {self._written}; {plural(self._found, 'failure')} found so far)")

    def skipped(self, runs: int) -> None:
        with self._lock:
            self._listed -= runs

    def settled(self) -> None:
        pass

    def unresolved(self, what: str, reason: str) -> None:
        with self._lock:
            self._line(f"could not resolve {what}: {reason}")

    def message(self, text: str) -> None:
        with self._lock:
            self._line(text)

    def warning(self, text: str) -> None:
        self.message(text)

    def close(self) -> None:
        pass


class RichProgress:
    """Live progress bars on a terminal: pipeline runs scanned, failures found, reports written."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
        )
        self._lock = threading.Lock()
        self._runs = self._progress.add_task("pipeline runs scanned", total=0)
        self._reports = self._progress.add_task("failures reported", total=0)
        self._listed = self._found = 0
        self._progress.start()

    def listed(self, runs: int) -> None:
        with self._lock:
            self._listed += runs
            self._progress.update(self._runs, total=self._listed)

    def scanned(self) -> None:
        self._progress.advance(self._runs)

    def found(self, failures: int) -> None:
        with self._lock:
            self._found += failures
            self._progress.update(self._reports, total=self._found)

    def reported(self, file_name: str) -> None:
        self._progress.advance(self._reports)

    def skipped(self, runs: int) -> None:
        with self._lock:
            self._listed -= runs
            self._progress.update(self._runs, total=self._listed)

    def settled(self) -> None:
        self._progress.advance(self._reports)

    def unresolved(self, what: str, reason: str) -> None:
        self._progress.advance(self._reports)
        self._console.print(scrub_text(f"could not resolve {what}: {reason}"), markup=False, highlight=False)

    def message(self, text: str) -> None:
        self._console.print(scrub_text(text), markup=False, highlight=False)

    def warning(self, text: str) -> None:
        self.message(text)

    def close(self) -> None:
        self._progress.stop()


def make_progress(quiet: bool) -> SweepProgress:
    if quiet:
        return QuietProgress()
    if sys.stderr.isatty():
        return RichProgress()
    return PlainProgress()
