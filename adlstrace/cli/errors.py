"""Turn every failure into one scrubbed message and a documented exit code."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

import typer

from adlstrace.errors import AdlstraceError, ExitCode
from adlstrace.scrub import ScrubbingFilter, scrub_text

T = TypeVar("T")


class _PlainFormatter(logging.Formatter):
    """Format `warning: message`, in the style of the `error:` and `hint:` lines."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {super().format(record)}"


def configure_logging(debug: bool, quiet: bool = False) -> None:
    """Log adlstrace's own records to stderr, scrubbed; Azure SDK loggers stay at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s") if debug else _PlainFormatter())
    handler.addFilter(ScrubbingFilter())
    package = logging.getLogger("adlstrace")
    package.handlers[:] = [handler]
    package.propagate = False
    sweep = logging.getLogger("adlstrace.sweep")
    if debug:
        package.setLevel(logging.DEBUG)
        sweep.setLevel(logging.NOTSET)
    elif quiet:
        # The sweep's own warnings (a window past ADF's history) still show with --quiet, but
        # retry warnings from the sources do not.
        package.setLevel(logging.ERROR)
        sweep.setLevel(logging.WARNING)
    else:
        package.setLevel(logging.WARNING)
        sweep.setLevel(logging.NOTSET)
    azure = logging.getLogger("azure")
    azure.handlers[:] = [handler]
    azure.propagate = False
    azure.setLevel(logging.WARNING)
    # DefaultAzureCredential logs one warning per credential it could not use; the error
    # message already says how to sign in.
    logging.getLogger("azure.identity").setLevel(logging.DEBUG if debug else logging.ERROR)


def fail(message: str, hint: str | None, code: int) -> None:
    typer.echo(scrub_text(f"error: {message}"), err=True)
    if hint:
        typer.echo(scrub_text(f"hint: {hint}"), err=True)
    raise typer.Exit(code)


def guarded(debug: bool, action: Callable[[], T]) -> T:
    """Run `action`, mapping exceptions to messages; `--debug` adds the scrubbed traceback."""
    try:
        return action()
    except typer.Exit:
        raise
    except AdlstraceError as error:
        if debug:
            typer.echo(scrub_text(traceback.format_exc()), err=True)
        fail(error.message, error.hint, int(error.exit_code))
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as error:
        if debug:
            typer.echo(scrub_text(traceback.format_exc()), err=True)
        fail(
            f"unexpected {type(error).__name__}: {error}",
            "This is a bug in adlstrace; run again with --debug and report the output.",
            int(ExitCode.INTERNAL),
        )
    raise AssertionError("unreachable")
