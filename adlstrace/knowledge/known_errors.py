"""Known ADF error codes and U-SQL errorIds, mapped to cause, owner and next step.

The table lives in ``known_errors.json`` next to this module so that it can be
corrected without touching code. Lookups return ``None`` for anything the table
does not list, so that callers show such codes verbatim instead of guessing.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

KINDS = ("adf_code", "adla_error_id")
PATTERNS = ("exact", "prefix", "regex")
OWNERS = ("pipeline author", "platform", "capacity", "access admin")

_REQUIRED_KEYS = frozenset({"match", "kind", "pattern", "title", "cause", "owner", "next_step", "source"})
_OPTIONAL_KEYS = frozenset({"verified", "message_regex"})
_TEXT_KEYS = ("match", "title", "cause", "next_step", "source")


class KnownErrorsTableError(ValueError):
    """Raised when the known-errors table is malformed."""


@dataclass(frozen=True)
class KnownError:
    """One row of the known-errors table.

    ``verified`` is False where no Microsoft page confirmed the mapping.
    ``message_regex``, only on ADF codes, narrows the row to activity messages
    that match it, because ADF reuses one code for unrelated failures.
    """

    match: str
    kind: str
    pattern: str
    title: str
    cause: str
    owner: str
    next_step: str
    source: str
    verified: bool = True
    message_regex: str | None = None


class KnownErrorTable:
    """Validated rows with the indexes that the lookups need."""

    def __init__(self, entries: tuple[KnownError, ...]) -> None:
        self.entries = entries
        self._exact: dict[tuple[str, str], list[KnownError]] = {}
        self._prefix: dict[str, list[KnownError]] = {kind: [] for kind in KINDS}
        self._regex: dict[str, list[tuple[re.Pattern[str], KnownError]]] = {kind: [] for kind in KINDS}
        for entry in entries:
            if entry.pattern == "exact":
                key = (entry.kind, entry.match.casefold())
                self._exact.setdefault(key, []).append(entry)
            elif entry.pattern == "prefix":
                self._prefix[entry.kind].append(entry)
            else:
                compiled = re.compile(entry.match, re.IGNORECASE)
                self._regex[entry.kind].append((compiled, entry))

        # Longest prefix first, so the most specific prefix wins. The sort is
        # stable, so equal lengths keep file order.
        for prefixes in self._prefix.values():
            prefixes.sort(key=lambda entry: len(entry.match), reverse=True)

    def lookup(self, kind: str, code: str, message: str | None = None) -> KnownError | None:
        """Find the row for ``code``: exact match, then longest prefix, then regex.

        Matching ignores case. A regex must match the whole code, and regex
        rows are tried in file order. Rows with a ``message_regex`` apply only when
        ``message`` matches it, and then win over rows of the same tier without one.
        """
        code = code.strip()
        if not code:
            return None
        folded = code.casefold()

        exact = self._exact.get((kind, folded), [])
        found = _pick_by_message(exact, message)
        if found is not None:
            return found

        by_prefix = [e for e in self._prefix[kind] if folded.startswith(e.match.casefold())]
        if by_prefix:
            longest = len(by_prefix[0].match)
            found = _pick_by_message([e for e in by_prefix if len(e.match) == longest], message)
            if found is not None:
                return found

        by_regex = [entry for compiled, entry in self._regex[kind] if compiled.fullmatch(code)]
        return _pick_by_message(by_regex, message)


def _pick_by_message(candidates: list[KnownError], message: str | None) -> KnownError | None:
    if message is not None:
        for entry in candidates:
            if entry.message_regex is None:
                continue
            if re.search(entry.message_regex, message, re.IGNORECASE):
                return entry
    for entry in candidates:
        if entry.message_regex is None:
            return entry
    return None


def parse_known_errors(text: str, origin: str = "known_errors.json") -> KnownErrorTable:
    """Parse and validate the JSON text of a known-errors table.

    Raises KnownErrorsTableError on invalid JSON, unknown or missing keys, values
    outside the allowed sets, regexes that do not compile, and duplicate rows.
    Two rows are duplicates when kind, match (ignoring case) and message_regex
    are all equal.
    """
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise KnownErrorsTableError(f"{origin}: invalid JSON: {error}") from error
    if not isinstance(raw, list):
        raise KnownErrorsTableError(f"{origin}: expected a JSON array of entries, got {type(raw).__name__}")

    entries: list[KnownError] = []
    seen: dict[tuple[str, str, str | None], int] = {}
    for index, item in enumerate(raw):
        entry = _parse_entry(item, f"{origin}: entry {index}")
        key = (entry.kind, entry.match.casefold(), entry.message_regex)
        if key in seen:
            raise KnownErrorsTableError(
                f"{origin}: entry {index} duplicates entry {seen[key]} "
                f"(kind {entry.kind!r}, match {entry.match!r}, "
                f"message_regex {entry.message_regex!r}). Merge or remove one of them"
            )
        seen[key] = index
        entries.append(entry)
    return KnownErrorTable(tuple(entries))


def _parse_entry(item: Any, where: str) -> KnownError:
    if not isinstance(item, dict):
        raise KnownErrorsTableError(f"{where}: expected a JSON object, got {type(item).__name__}")

    keys = set(item)
    unknown = keys - _REQUIRED_KEYS - _OPTIONAL_KEYS
    if unknown:
        allowed = ", ".join(sorted(_REQUIRED_KEYS | _OPTIONAL_KEYS))
        raise KnownErrorsTableError(f"{where}: unknown key(s) {sorted(unknown)}. Allowed keys are {allowed}")
    missing = _REQUIRED_KEYS - keys
    if missing:
        raise KnownErrorsTableError(f"{where}: missing required key(s) {sorted(missing)}")

    for key in (*_TEXT_KEYS, "kind", "pattern", "owner"):
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            raise KnownErrorsTableError(f"{where}: {key!r} must be a non-empty string")
    where = f"{where} ({item['match']!r})"

    _require_choice(item, "kind", KINDS, where)
    _require_choice(item, "pattern", PATTERNS, where)
    _require_choice(item, "owner", OWNERS, where)

    verified = item.get("verified", True)
    if not isinstance(verified, bool):
        raise KnownErrorsTableError(f"{where}: 'verified' must be true or false")

    message_regex = item.get("message_regex")
    if message_regex is not None:
        if item["kind"] != "adf_code":
            raise KnownErrorsTableError(f"{where}: 'message_regex' is only allowed on adf_code rows")
        if not isinstance(message_regex, str) or not message_regex:
            raise KnownErrorsTableError(f"{where}: 'message_regex' must be a non-empty string")
        _require_regex(message_regex, "message_regex", where)
    if item["pattern"] == "regex":
        _require_regex(item["match"], "match", where)

    return KnownError(
        match=item["match"],
        kind=item["kind"],
        pattern=item["pattern"],
        title=item["title"],
        cause=item["cause"],
        owner=item["owner"],
        next_step=item["next_step"],
        source=item["source"],
        verified=verified,
        message_regex=message_regex,
    )


def _require_choice(item: dict[str, Any], key: str, choices: tuple[str, ...], where: str) -> None:
    if item[key] not in choices:
        raise KnownErrorsTableError(f"{where}: invalid {key} {item[key]!r}. Expected one of {', '.join(choices)}")


def _require_regex(pattern: str, key: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise KnownErrorsTableError(f"{where}: {key} {pattern!r} is not a valid regex: {error}") from error


@functools.cache
def default_table() -> KnownErrorTable:
    """Load and validate the packaged table on first use."""
    text = resources.files("adlstrace.knowledge").joinpath("known_errors.json").read_text(encoding="utf-8")
    return parse_known_errors(text)


def known_errors() -> tuple[KnownError, ...]:
    """Return every row of the packaged table in file order."""
    return default_table().entries


def lookup_adf_code(code: str, message: str | None = None) -> KnownError | None:
    """Look up an ADF activity error code such as ``"2703"``.

    ``message`` is the activity's error message. It picks the specific row where
    ADF uses one code for several failures (2709 covers a wrong tenant as well
    as throttling). Without it the general row for the code is returned.
    """
    return default_table().lookup("adf_code", code, message)


def lookup_adla_error(error_id: str) -> KnownError | None:
    """Look up a Data Lake Analytics errorId such as ``"E_CSC_USER_SYNTAXERROR"``."""
    return default_table().lookup("adla_error_id", error_id)
