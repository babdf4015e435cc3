"""Data Lake Analytics errors embedded in an ADF activity error message.

When a U-SQL job fails, ADF's activity error message can carry the job's
errors as JSON after some text, for example
``Job failed. Error: [{"errorId": "E_CSC_USER_SYNTAXERROR", ...}]``. The JSON
can be an array or a single object, JSON-escaped inside a string
(``{\\"errorId\\": ...}``), repeated, or cut off when ADF truncates a long
message. The field names follow ``JobErrorDetails`` and ``JobInnerError`` in
the Data Lake Analytics job REST API (azure-mgmt-datalake-analytics 0.6.0).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

_DECODER = json.JSONDecoder()

# Each level of JSON string escaping doubles the backslashes, and blocks
# escaped more deeply than this stay in the text.
# NOTE: three levels is a guess, not a documented ADF limit.
_MAX_ESCAPE_DEPTH = 3

_ESCAPED_QUOTE = re.compile(r'\\+"')
_SIMPLE_ESCAPES = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class EmbeddedErrors:
    """The parts of an ADF error message.

    ``text`` is the message without the extracted JSON blocks, stripped.
    ``errors`` are the Data Lake Analytics error objects in message order.
    ``truncated`` is True when a block of errors was cut off; that block stays
    in ``text`` unchanged.
    """

    text: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class _Block:
    """Outcome of decoding at one candidate position.

    ``kind`` is "errors" (ADLA error objects), "other" (JSON or a malformed
    error block to keep whole) or "truncated". ``end`` is the index just past
    the block, or None when the block runs to the end of the text.
    """

    kind: str
    end: int | None
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _EscapedRegion:
    """A run of JSON-string-escaped text, unescaped once and reused.

    ``positions[k]`` is the index in the outer text of unescaped character k,
    with one extra entry for the index where unescaping stopped.
    """

    start: int
    stop: int
    reached_end: bool
    scanner: _Scanner
    positions: list[int]
    offsets: dict[int, int]


class _Scanner:
    """Finds error blocks in one layer of text. Escaped layers get child scanners."""

    def __init__(self, text: str, depth: int) -> None:
        self.text = text
        self.depth = depth
        self.last_error_id_key = text.rfind('"errorId"')
        # The truncation check ignores a trailing ellipsis after a cut message.
        self.content_end = len(text.rstrip().rstrip(".\u2026").rstrip())
        self._region: _EscapedRegion | None = None
        # End of the last JSON value kept whole. Inside it only escaped blocks
        # are extracted: they sit inside one of its strings, so removing them
        # leaves that JSON valid.
        self._foreign_end = -1

    def decode_at(self, index: int) -> _Block | None:
        """Decode the block that starts with the ``[`` or ``{`` at ``index``, if any."""
        text = self.text
        head = _skip_whitespace(text, index + 1)
        if text[index] == "[":
            if not text.startswith("{", head):
                return None
            head = _skip_whitespace(text, head + 1)

        # Only objects whose first key is a string can be error objects, which
        # cheaply rules out text such as "{0}" or "[x]".
        if text.startswith('"', head):
            if index < self._foreign_end:
                return None
            block = self._decode_raw(index)
            if block is not None and block.kind == "other" and block.end is not None:
                self._foreign_end = block.end
            return block
        if self.depth < _MAX_ESCAPE_DEPTH and _ESCAPED_QUOTE.match(text, head):
            return self._decode_escaped(index)
        return None

    def _decode_raw(self, index: int) -> _Block | None:
        text = self.text
        try:
            value, end = _DECODER.raw_decode(text, index)
        except RecursionError:
            # Nested deeper than the decoder can follow: keep the whole value,
            # or everything after it when it never closes.
            close = _find_closing_bracket(text, index)
            return _Block("other", len(text) if close is None else close)
        except json.JSONDecodeError as error:
            return self._classify_failure(index, error)

        errors = _as_error_list(value)
        if errors is None:
            return _Block("other", end)
        return _Block("errors", end, errors)

    def _classify_failure(self, index: int, error: json.JSONDecodeError) -> _Block | None:
        if self.last_error_id_key < index:
            return None

        # A string that never closes, or a failure at the end of the content,
        # means the text stopped in the middle of the JSON.
        if error.msg.startswith("Unterminated string") or error.pos >= self.content_end:
            return _Block("truncated", None)

        # A malformed block that contains error objects is kept whole, so that
        # its nested objects are not extracted out of the middle of it.
        if self.text.find('"errorId"', index, error.pos) >= 0:
            close = _find_closing_bracket(self.text, index)
            if close is None:
                return _Block("truncated", None)
            return _Block("other", close)
        return None

    def _decode_escaped(self, index: int) -> _Block | None:
        region = self._region
        if region is None or not region.start <= index < region.stop:
            region = _unescape_region(self.text, index, self.depth + 1)
            self._region = region

        inner_index = region.offsets.get(index)
        if inner_index is None:
            return None
        block = region.scanner.decode_at(inner_index)
        if block is None:
            return None

        if block.end is None:
            return _Block("truncated", None if region.reached_end else region.stop)
        return _Block(block.kind, region.positions[block.end], block.errors)


def parse_embedded_errors(message: str) -> EmbeddedErrors:
    """Split an ADF error message into its text and the ADLA errors embedded in it.

    Each ``[`` or ``{`` is tried as the start of a JSON value with
    ``json.JSONDecoder.raw_decode``. A value counts as ADLA errors when it is
    an object with an ``errorId`` key, or a non-empty array of objects where at
    least one has ``errorId``. Other JSON stays in the text whole, together
    with any raw error objects nested in it. Errors JSON-escaped inside one of
    its strings are still extracted, because removing them keeps that JSON
    valid. A block that was cut off stays in the text
    unchanged and sets ``truncated``; blocks before it are still extracted.
    Any string input returns a result without raising.
    """
    scanner = _Scanner(message, depth=0)
    pieces: list[str] = []
    errors: list[dict[str, Any]] = []
    truncated = False
    copied_up_to = 0
    index = 0

    while True:
        index = _next_opening_bracket(message, index)
        if index < 0:
            break

        block = scanner.decode_at(index)
        if block is None:
            index += 1
            continue

        if block.kind == "truncated":
            truncated = True
            if block.end is None:
                break
            index = block.end
            continue

        if block.kind == "other":
            index += 1
            continue

        assert block.end is not None
        pieces.append(message[copied_up_to:index])
        errors.extend(block.errors)
        copied_up_to = block.end
        index = block.end

    pieces.append(message[copied_up_to:])
    text = " ".join(piece.strip() for piece in pieces if piece.strip())
    return EmbeddedErrors(text=text, errors=errors, truncated=truncated)


def _next_opening_bracket(text: str, start: int) -> int:
    brace = text.find("{", start)
    bracket = text.find("[", start)
    if brace < 0:
        return bracket
    if bracket < 0:
        return brace
    return min(brace, bracket)


def _skip_whitespace(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _as_error_list(value: Any) -> list[dict[str, Any]] | None:
    if isinstance(value, dict):
        return [value] if "errorId" in value else None
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(item, dict) for item in value):
        return None
    if not any("errorId" in item for item in value):
        return None
    return list(value)


def _find_closing_bracket(text: str, start: int) -> int | None:
    """Return the index just past the bracket that closes the one at ``start``.

    Strings are skipped with their escapes. Returns None when the text ends first.
    """
    depth = 0
    in_string = False
    index = start
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return None


def _unescape_region(text: str, start: int, depth: int) -> _EscapedRegion:
    """Unescape JSON string content from ``start`` up to the closing quote.

    Stops at an unescaped ``"``, at an invalid escape, or at the end of the text.
    """
    chars: list[str] = []
    positions: list[int] = []
    index = start
    while index < len(text):
        char = text[index]
        if char == '"':
            break
        if char != "\\":
            chars.append(char)
            positions.append(index)
            index += 1
            continue

        escape = text[index + 1 : index + 2]
        if escape in _SIMPLE_ESCAPES:
            chars.append(_SIMPLE_ESCAPES[escape])
            positions.append(index)
            index += 2
            continue
        if escape == "u":
            decoded = _decode_unicode_escape(text, index)
            if decoded is None:
                break
            char_text, length = decoded
            chars.append(char_text)
            positions.append(index)
            index += length
            continue
        break

    positions.append(index)
    unescaped = "".join(chars)
    return _EscapedRegion(
        start=start,
        stop=index,
        reached_end=index >= len(text),
        scanner=_Scanner(unescaped, depth),
        positions=positions,
        offsets={outer: inner for inner, outer in enumerate(positions[:-1])},
    )


def _decode_unicode_escape(text: str, index: int) -> tuple[str, int] | None:
    """Decode ``\\uXXXX`` at ``index``, joining a UTF-16 surrogate pair if one follows."""
    digits = text[index + 2 : index + 6]
    if len(digits) != 4 or not set(digits) <= _HEX_DIGITS:
        return None
    code = int(digits, 16)
    if 0xD800 <= code < 0xDC00 and text.startswith("\\u", index + 6):
        low_digits = text[index + 8 : index + 12]
        if len(low_digits) == 4 and set(low_digits) <= _HEX_DIGITS:
            low = int(low_digits, 16)
            if 0xDC00 <= low < 0xE000:
                combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                return chr(combined), 12
    return chr(code), 6


def _walk_chain(error: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """Return (depth, level) pairs in depth-first order, outermost first.

    Each level is a shallow copy without ``innerError``. The walk is iterative
    and skips objects already visited, so deep or cyclic chains cannot recurse.
    """
    levels: list[tuple[int, dict[str, Any]]] = []
    visited: set[int] = set()
    stack: list[tuple[int, Any]] = [(0, error)]
    while stack:
        depth, node = stack.pop()
        if not isinstance(node, dict) or id(node) in visited:
            continue
        visited.add(id(node))
        levels.append((depth, {key: value for key, value in node.items() if key != "innerError"}))

        inner = node.get("innerError")
        if isinstance(inner, dict):
            stack.append((depth + 1, inner))
        elif isinstance(inner, list):
            stack.extend((depth + 1, item) for item in reversed(inner))
    return levels


def flatten_error_chain(error: dict[str, Any]) -> list[dict[str, Any]]:
    """List an error and its ``innerError`` chain, outermost first.

    ``innerError`` may be missing, null, one object or a list of objects. A
    list is followed depth-first in order. Each returned level is a shallow
    copy of the object without its ``innerError`` key.
    """
    return [level for _, level in _walk_chain(error)]


# Lower ranks sort first. Severity values are the SeverityTypes of the Data
# Lake Analytics job API. A missing or unknown severity sorts between
# SevereWarning and Warning.
_SEVERITY_RANK = {
    "error": 0,
    "severewarning": 1,
    "warning": 3,
    "userwarning": 3,
    "deprecated": 4,
    "info": 4,
}
_UNKNOWN_SEVERITY_RANK = 2


def _severity_rank(error: dict[str, Any]) -> int:
    severity = error.get("severity")
    if not isinstance(severity, str):
        return _UNKNOWN_SEVERITY_RANK
    return _SEVERITY_RANK.get(severity.strip().casefold(), _UNKNOWN_SEVERITY_RANK)


def _has_line_number(error: dict[str, Any]) -> bool:
    # Script lines start at 1, so 0 and negative values point at no line.
    line = error.get("lineNumber")
    if isinstance(line, bool):
        return False
    if isinstance(line, int):
        return line > 0
    if isinstance(line, str) and line.strip().isdigit():
        return int(line) > 0
    return False


def _is_actionable(error: dict[str, Any]) -> bool:
    error_id = error.get("errorId")
    if not isinstance(error_id, str) or not error_id.strip():
        return False
    resolution = error.get("resolution")
    has_resolution = isinstance(resolution, str) and bool(resolution.strip())
    return has_resolution or _has_line_number(error)


def root_cause_first(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten every error chain and put the likely root cause first.

    Actionable levels (an ``errorId`` plus a positive ``lineNumber`` or a
    ``resolution``) come first, ordered by severity (Error before Warning) and
    then deepest first. All other levels follow in their flattened order.
    The sort is stable, so ties keep their original order.
    """
    levels: list[tuple[int, dict[str, Any]]] = []
    for error in errors:
        if isinstance(error, dict):
            levels.extend(_walk_chain(error))

    def sort_key(item: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        depth, level = item
        if _is_actionable(level):
            return (0, _severity_rank(level), -depth)
        return (1, 0, 0)

    return [level for _, level in sorted(levels, key=sort_key)]


_TRACE_FIELDS = ("details", "internalDiagnostics", "stackTrace")

# Readers look at the message first, so it moves to the appendix
# only when it is several times longer than the limit for the other fields.
_MESSAGE_LIMIT_FACTOR = 4

# A .NET or Java frame such as "at Ns.Type.Method(String s) in x.cs:line 12".
# The parentheses keep U-SQL details such as "at token 'SELEC', line 14" out.
_FRAME_LINE = re.compile(r"^\s*at \S+\(.*\)")


def looks_like_stack_trace(text: str) -> bool:
    """Return whether ``text`` contains .NET or Java stack trace markers."""
    if ".cs:line" in text or "Exception:" in text or "   at " in text:
        return True
    return any(_FRAME_LINE.match(line) for line in text.splitlines())


def split_stack_traces(
    error: dict[str, Any],
    limit: int = 600,
    *,
    label_prefix: str = "A",
    first_number: int = 1,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Move long stack traces out of an error and its inner errors.

    Returns a deep copy of ``error`` and the (label, full text) pairs for the
    appendix. In the copy, a ``details``, ``internalDiagnostics`` or
    ``stackTrace`` value that looks like a stack trace and is longer than
    ``limit`` characters becomes a pointer such as "(stack trace moved to
    appendix A1)". A ``message`` is moved only past four times ``limit``. Labels count up from
    ``first_number`` so that a caller can number several errors in one report.
    """
    appendix: list[tuple[str, str]] = []

    def move_if_trace(key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return copy.deepcopy(value)
        if key in _TRACE_FIELDS:
            threshold = limit
        elif key == "message":
            threshold = limit * _MESSAGE_LIMIT_FACTOR
        else:
            return value
        if len(value) <= threshold or not looks_like_stack_trace(value):
            return value
        label = f"{label_prefix}{first_number + len(appendix)}"
        appendix.append((label, value))
        return f"(stack trace moved to appendix {label})"

    # NOTE: process() recurses once per innerError level, so a chain deeper
    # than Python's recursion limit (about 1000) raises RecursionError.
    def process(node: Any) -> Any:
        if isinstance(node, list):
            return [process(item) for item in node]
        if not isinstance(node, dict):
            return copy.deepcopy(node)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "innerError":
                result[key] = process(value)
            else:
                result[key] = move_if_trace(key, value)
        return result

    return process(error), appendix
