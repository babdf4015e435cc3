"""Errors that end a command, each with the exit code the README documents."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. The README's exit-code table lists the same values."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    AZURE = 5
    EVIDENCE = 6
    OUTPUT = 7
    FAILURES_FOUND = 10
    SWEEP_INCOMPLETE = 11


class AdlstraceError(Exception):
    """An error with a message a user can act on and a documented exit code.

    `message` says what failed and on which value; `hint` says what to do next.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(AdlstraceError):
    """An invalid argument, option or setting."""

    exit_code = ExitCode.USAGE


class NotFoundError(AdlstraceError):
    """The run, factory or resource the user named does not exist where we looked."""

    exit_code = ExitCode.NOT_FOUND


class AuthError(AdlstraceError):
    """Azure rejected the identity (401) or its permissions (403)."""

    exit_code = ExitCode.AUTH


class AzureCallError(AdlstraceError):
    """An Azure call failed after its retries, or returned a body of the wrong shape."""

    exit_code = ExitCode.AZURE

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.code = code


class EvidenceError(AdlstraceError):
    """An evidence file that is missing, not JSON, truncated or of another format version."""

    exit_code = ExitCode.EVIDENCE


class OutputError(AdlstraceError):
    """A report, evidence or index file that could not be written."""

    exit_code = ExitCode.OUTPUT
