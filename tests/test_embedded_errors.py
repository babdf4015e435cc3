import copy
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adlstrace.knowledge.embedded import (
    EmbeddedErrors,
    flatten_error_chain,
    looks_like_stack_trace,
    parse_embedded_errors,
    root_cause_first,
    split_stack_traces,
)

SYNTAX_ERROR: dict[str, Any] = {
    "errorId": "E_CSC_USER_SYNTAXERROR",
    "severity": "Error",
    "source": "USER",
    "message": "syntax error. Expected one of: '(' ALL ANTISEMIJOIN ANY COMBINE CROSS",
    "description": "Invalid syntax found in the script.",
    "details": "at token 'SELEC', line 14\r\nnear the ###:\r\n**************\r\n"
    "@result = ### SELEC Region FROM @input;\r\n",
    "resolution": "Correct the script syntax, using expected token(s) as a guide.",
    "helpLink": "",
    "filePath": "",
    "lineNumber": 14,
    "startOffset": 523,
    "endOffset": 528,
    "innerError": None,
}


def make_stack_trace(min_length: int) -> str:
    frames = [
        "System.FormatException: Input string was not in a correct format.",
    ]
    index = 0
    while sum(len(frame) + 2 for frame in frames) < min_length:
        frames.append(f"   at Contoso.Udo.Parser.ParseRow{index}(String line) in C:\\src\\Parser.cs:line {100 + index}")
        index += 1
    return "\r\n".join(frames)


def make_runtime_failure() -> dict[str, Any]:
    """A vertex failure wrapping a user runtime error wrapping a .NET exception."""
    return {
        "errorId": "VertexFailedFast",
        "severity": "Error",
        "source": "SYSTEM",
        "message": "Vertex failure triggered quick job abort.",
        "description": "Vertex SV1_Extract[0] failed with error: Vertex user code error.",
        "details": "",
        "resolution": "",
        "lineNumber": -1,
        "innerError": {
            "errorId": "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR",
            "severity": "Error",
            "source": "USER",
            "message": "Invalid character when converting input record.",
            "description": "Invalid character in column 3 of /input/sales.csv.",
            "resolution": "Check the input file or use a nullable type.",
            "component": "RUNTIME",
            "diagnosticCode": 195887127,
            "innerError": {
                "errorId": "E_RUNTIME_USER_UDO_EXCEPTION",
                "severity": "Error",
                "source": "USER",
                "message": "An exception was thrown by user code.",
                "component": "RUNTIME",
                "diagnosticCode": 195887110,
                "details": make_stack_trace(5000),
                "internalDiagnostics": "short note",
                "innerError": None,
            },
        },
    }


# Parsing


def test_parse_syntax_error_at_known_line() -> None:
    message = "Job failed. Error: " + json.dumps([SYNTAX_ERROR])

    parsed = parse_embedded_errors(message)

    assert parsed.text == "Job failed. Error:"
    assert parsed.truncated is False
    assert len(parsed.errors) == 1
    assert parsed.errors[0]["errorId"] == "E_CSC_USER_SYNTAXERROR"
    assert parsed.errors[0]["lineNumber"] == 14
    assert parsed.errors[0]["details"] == SYNTAX_ERROR["details"]


def test_parse_single_object_with_text_after() -> None:
    message = "Error: " + json.dumps(SYNTAX_ERROR) + " Please check the job."

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [SYNTAX_ERROR]
    assert parsed.text == "Error: Please check the job."


def test_parse_runtime_failure_three_levels() -> None:
    failure = make_runtime_failure()
    message = "Job failed. Error: " + json.dumps([failure], indent=2)

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [failure]
    assert parsed.text == "Job failed. Error:"
    assert len(flatten_error_chain(parsed.errors[0])) == 3


def test_parse_json_escaped_inside_string() -> None:
    inner = "Job failed. Error: " + json.dumps([SYNTAX_ERROR])
    message = "Activity failed: " + json.dumps(inner)[1:-1]

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [SYNTAX_ERROR]
    assert parsed.text == "Activity failed: Job failed. Error:"
    assert parsed.truncated is False


def test_parse_escaped_inside_wrapper_json() -> None:
    inner = "Job failed. Error: " + json.dumps([SYNTAX_ERROR])
    message = json.dumps({"errorCode": "2703", "message": inner})

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [SYNTAX_ERROR]
    # Removing the block from inside a string leaves the wrapper valid JSON.
    assert json.loads(parsed.text) == {"errorCode": "2703", "message": "Job failed. Error: "}


def test_parse_double_escaped() -> None:
    inner = "Error: " + json.dumps([SYNTAX_ERROR])
    message = "Outer: " + json.dumps(json.dumps(inner))[1:-1]

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [SYNTAX_ERROR]


def test_parse_escaped_unicode_and_surrogates() -> None:
    error = dict(SYNTAX_ERROR, message="Zeichen \u00e9 und \U0001f600")
    message = "Failed: " + json.dumps(json.dumps([error]))[1:-1]

    parsed = parse_embedded_errors(message)

    assert parsed.errors == [error]


def test_parse_two_arrays_in_order() -> None:
    first = dict(SYNTAX_ERROR, errorId="E_FIRST")
    second = dict(SYNTAX_ERROR, errorId="E_SECOND")
    message = f"Attempt 1: {json.dumps([first])}\nAttempt 2: {json.dumps([second])} done"

    parsed = parse_embedded_errors(message)

    assert [error["errorId"] for error in parsed.errors] == ["E_FIRST", "E_SECOND"]
    assert parsed.text == "Attempt 1: Attempt 2: done"
    assert parsed.truncated is False


def test_parse_truncated_returns_text_untouched() -> None:
    full = "Job failed. Error: " + json.dumps([make_runtime_failure()])
    message = full[:2000]

    parsed = parse_embedded_errors(message)

    assert parsed.truncated is True
    assert parsed.errors == []
    assert parsed.text == message.strip()


def test_parse_truncated_with_ellipsis() -> None:
    full = "Job failed. Error: " + json.dumps([SYNTAX_ERROR])
    cut = full.index('"resolution"') + len('"resolution": ')
    message = full[:cut] + "..."

    parsed = parse_embedded_errors(message)

    assert parsed.truncated is True
    assert parsed.text == message


def test_parse_truncated_inside_escaped_string() -> None:
    inner = "Error: " + json.dumps([SYNTAX_ERROR])
    message = "Failed: " + json.dumps(inner)[1:300]

    parsed = parse_embedded_errors(message)

    assert parsed.truncated is True
    assert parsed.errors == []
    assert parsed.text == message


def test_parse_complete_block_before_truncated_one() -> None:
    first = json.dumps([dict(SYNTAX_ERROR, errorId="E_FIRST")])
    second = json.dumps([dict(SYNTAX_ERROR, errorId="E_SECOND")])[:150]
    message = f"One: {first} Two: {second}"

    parsed = parse_embedded_errors(message)

    assert [error["errorId"] for error in parsed.errors] == ["E_FIRST"]
    assert parsed.truncated is True
    assert parsed.text == f"One: Two: {second}"


@pytest.mark.parametrize(
    "message",
    [
        "Cannot format {0} with value [x].",
        "Array index [3] out of range in {name}",
        "Unbalanced { and [ brackets",
        "Closing ] and } first",
        'Settings {"retries": 3} and [1, 2, 3] are fine',
        "[]{}[{}]",
        "",
    ],
)
def test_parse_plain_text_with_brackets(message: str) -> None:
    parsed = parse_embedded_errors(message)

    assert parsed == EmbeddedErrors(text=message.strip(), errors=[], truncated=False)


def test_parse_keeps_foreign_json_whole() -> None:
    message = "Payload " + json.dumps({"wrapper": [SYNTAX_ERROR]}) + " end"

    parsed = parse_embedded_errors(message)

    assert parsed.errors == []
    assert parsed.text == message


def test_parse_keeps_malformed_error_block_whole() -> None:
    nested = json.dumps(SYNTAX_ERROR)
    message = '[{"errorId": "E_OUTER", "innerError": ' + nested + ", broken}] after"

    parsed = parse_embedded_errors(message)

    assert parsed.errors == []
    assert parsed.truncated is False
    assert parsed.text == message


def test_parse_list_of_non_error_objects_ignored() -> None:
    message = 'Rows: [{"id": 1}, {"id": 2}]'

    parsed = parse_embedded_errors(message)

    assert parsed.errors == []
    assert parsed.text == message


@pytest.mark.parametrize(
    "message",
    [
        "[" * 100_000,
        "{" * 100_000,
        '[{"a":' * 20_000,
        '[{"errorId":"' * 20_000,
        '{\\"errorId\\":' * 20_000,
        "[{" + "\\" * 10_001,
    ],
)
def test_parse_pathological_input_is_fast(message: str) -> None:
    started = time.monotonic()
    parsed = parse_embedded_errors(message)
    elapsed = time.monotonic() - started

    assert isinstance(parsed, EmbeddedErrors)
    assert elapsed < 5.0


# Error chains


def test_flatten_follows_object_chain() -> None:
    levels = flatten_error_chain(make_runtime_failure())

    assert [level["errorId"] for level in levels] == [
        "VertexFailedFast",
        "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR",
        "E_RUNTIME_USER_UDO_EXCEPTION",
    ]
    assert all("innerError" not in level for level in levels)


@pytest.mark.parametrize("inner", [None, "absent", [], "text", 5])
def test_flatten_without_inner_error(inner: Any) -> None:
    error: dict[str, Any] = {"errorId": "E_ONE"}
    if inner != "absent":
        error["innerError"] = inner

    assert flatten_error_chain(error) == [{"errorId": "E_ONE"}]


def test_flatten_inner_error_list_depth_first() -> None:
    error = {
        "errorId": "A",
        "innerError": [
            {"errorId": "B", "innerError": {"errorId": "B1"}},
            {"errorId": "C"},
        ],
    }

    assert [level["errorId"] for level in flatten_error_chain(error)] == ["A", "B", "B1", "C"]


def test_flatten_does_not_mutate_input() -> None:
    error = make_runtime_failure()
    original = copy.deepcopy(error)

    flatten_error_chain(error)

    assert error == original


def test_flatten_stops_on_cycle() -> None:
    error: dict[str, Any] = {"errorId": "A"}
    error["innerError"] = error

    assert flatten_error_chain(error) == [{"errorId": "A"}]


def test_flatten_very_deep_chain() -> None:
    error: dict[str, Any] = {"errorId": "E_0"}
    node = error
    for depth in range(1, 5000):
        node["innerError"] = {"errorId": f"E_{depth}"}
        node = node["innerError"]

    levels = flatten_error_chain(error)

    assert len(levels) == 5000
    assert levels[-1]["errorId"] == "E_4999"


def test_root_cause_deepest_actionable_first() -> None:
    ordered = root_cause_first([make_runtime_failure()])

    assert ordered[0]["errorId"] == "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR"
    # The other two levels are not actionable and keep their chain order.
    assert [level["errorId"] for level in ordered[1:]] == [
        "VertexFailedFast",
        "E_RUNTIME_USER_UDO_EXCEPTION",
    ]


def test_root_cause_line_number_is_actionable() -> None:
    error = {
        "errorId": "E_OUTER",
        "innerError": {"errorId": "E_CSC_USER_X", "lineNumber": 7},
    }

    assert root_cause_first([error])[0]["errorId"] == "E_CSC_USER_X"


def test_root_cause_error_before_warning() -> None:
    warning = {
        "errorId": "E_WARN",
        "severity": "Warning",
        "resolution": "Ignore it.",
        "innerError": {"errorId": "E_WARN_DEEP", "severity": "Warning", "lineNumber": 3},
    }
    error = {"errorId": "E_REAL", "severity": "Error", "lineNumber": 9}

    ordered = root_cause_first([warning, error])

    assert [level["errorId"] for level in ordered] == ["E_REAL", "E_WARN_DEEP", "E_WARN"]


@pytest.mark.parametrize("line", [0, -1, None, True, "", "abc"])
def test_root_cause_bad_line_number(line: Any) -> None:
    first = {"errorId": "E_FIRST", "lineNumber": line}
    second = {"errorId": "E_SECOND", "lineNumber": 2}

    ordered = root_cause_first([first, second])

    assert [level["errorId"] for level in ordered] == ["E_SECOND", "E_FIRST"]


def test_root_cause_needs_error_id() -> None:
    first = {"errorId": "E_FIRST"}
    second = {"message": "no id", "resolution": "Do something.", "lineNumber": 4}

    ordered = root_cause_first([first, second])

    assert [level.get("errorId") for level in ordered] == ["E_FIRST", None]


def test_root_cause_stable_without_actionable() -> None:
    errors = [{"errorId": f"E_{index}"} for index in range(5)]

    assert root_cause_first(errors) == errors


def test_root_cause_empty_and_non_dicts() -> None:
    assert root_cause_first([]) == []
    assert root_cause_first(["text", None]) == []  # type: ignore[list-item]


# Stack traces


def test_split_moves_inner_trace() -> None:
    failure = make_runtime_failure()
    original = copy.deepcopy(failure)
    trace = failure["innerError"]["innerError"]["details"]

    result, appendix = split_stack_traces(failure)

    assert appendix == [("A1", trace)]
    innermost = result["innerError"]["innerError"]
    assert innermost["details"] == "(stack trace moved to appendix A1)"
    assert innermost["internalDiagnostics"] == "short note"
    assert result["message"] == failure["message"]
    assert failure == original


def test_split_numbers_labels_across_fields() -> None:
    error = {
        "errorId": "E_X",
        "details": make_stack_trace(700),
        "internalDiagnostics": make_stack_trace(800),
        "stackTrace": make_stack_trace(900),
    }

    result, appendix = split_stack_traces(error, label_prefix="B", first_number=3)

    assert [label for label, _ in appendix] == ["B3", "B4", "B5"]
    assert result["details"] == "(stack trace moved to appendix B3)"
    assert result["stackTrace"] == "(stack trace moved to appendix B5)"


def test_split_keeps_short_trace() -> None:
    error = {"errorId": "E_X", "details": make_stack_trace(100)}

    result, appendix = split_stack_traces(error)

    assert appendix == []
    assert result == error


def test_split_keeps_long_prose() -> None:
    prose = "The input file could not be read. " * 40
    error = {"errorId": "E_X", "details": prose}

    result, appendix = split_stack_traces(error)

    assert appendix == []
    assert result["details"] == prose


def test_split_keeps_long_syntax_error_details() -> None:
    details = "at token 'SELEC', line 14\r\nnear the ###:\r\n" + "*" * 800
    error = dict(SYNTAX_ERROR, details=details)

    result, appendix = split_stack_traces(error)

    assert appendix == []
    assert result["details"] == details


def test_split_message_only_when_huge() -> None:
    medium = {"errorId": "E_X", "message": make_stack_trace(1000)}
    huge = {"errorId": "E_X", "message": make_stack_trace(3000)}

    _, medium_appendix = split_stack_traces(medium)
    result, huge_appendix = split_stack_traces(huge)

    assert medium_appendix == []
    assert len(huge_appendix) == 1
    assert result["message"] == "(stack trace moved to appendix A1)"


def test_split_inner_error_list() -> None:
    error = {
        "errorId": "E_X",
        "innerError": [
            {"errorId": "E_A", "details": make_stack_trace(700)},
            {"errorId": "E_B", "details": "short"},
        ],
    }

    result, appendix = split_stack_traces(error)

    assert len(appendix) == 1
    assert result["innerError"][0]["details"] == "(stack trace moved to appendix A1)"
    assert result["innerError"][1]["details"] == "short"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("System.IO.IOException: disk full", True),
        ("   at Foo.Bar()", True),
        ("at Foo.Bar(Int32 x)\nat Foo.Baz()", True),
        ("in Parser.cs:line 12", True),
        ("at token 'SELEC', line 14", False),
        ("look at the input file", False),
        ("", False),
    ],
)
def test_looks_like_stack_trace(text: str, expected: bool) -> None:
    assert looks_like_stack_trace(text) is expected


# Property-based checks

FIELD_NAMES = [
    "severity",
    "source",
    "message",
    "description",
    "details",
    "resolution",
    "helpLink",
    "filePath",
    "lineNumber",
    "startOffset",
    "endOffset",
    "internalDiagnostics",
    "component",
    "diagnosticCode",
]
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=40)


def error_objects(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    inner: st.SearchStrategy[Any] = st.none()
    if depth > 0:
        inner = st.none() | error_objects(depth - 1) | st.lists(error_objects(depth - 1), max_size=2)
    return st.builds(
        lambda error_id, fields, inner_error: {
            "errorId": error_id,
            **fields,
            "innerError": inner_error,
        },
        st.text(min_size=1, max_size=40),
        st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_SCALARS, max_size=5),
        inner,
    )


# Text around the JSON may hold brackets but no quotes or backslashes, so it
# cannot open or escape a JSON string that swallows the errors.
PLAIN_TEXT = st.text(
    alphabet=st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)),
    max_size=60,
)
JSONISH_TEXT = st.text(alphabet='[]{}":,\\ abcerrorId0123456789.tnul', max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_parse_never_raises_on_text(message: str) -> None:
    parsed = parse_embedded_errors(message)

    assert isinstance(parsed.text, str)
    assert isinstance(parsed.errors, list)


@settings(max_examples=300, deadline=None)
@given(JSONISH_TEXT)
def test_parse_json_like_text_never_raises(message: str) -> None:
    parsed = parse_embedded_errors(message)

    assert all(isinstance(error, dict) for error in parsed.errors)


@settings(max_examples=200, deadline=None)
@given(
    PLAIN_TEXT,
    st.lists(error_objects(), min_size=1, max_size=3),
    PLAIN_TEXT,
    st.booleans(),
)
def test_parse_round_trips_errors(before: str, errors: list[dict[str, Any]], after: str, ensure_ascii: bool) -> None:
    message = before + json.dumps(errors, ensure_ascii=ensure_ascii) + after

    parsed = parse_embedded_errors(message)

    assert parsed.errors == errors
    assert parsed.truncated is False
    assert parsed.text == " ".join(part.strip() for part in (before, after) if part.strip())


@settings(max_examples=200, deadline=None)
@given(PLAIN_TEXT, st.lists(error_objects(), min_size=1, max_size=3), PLAIN_TEXT)
def test_parse_round_trips_escaped_errors(before: str, errors: list[dict[str, Any]], after: str) -> None:
    escaped = json.dumps(json.dumps(errors))[1:-1]
    message = before + escaped + after

    parsed = parse_embedded_errors(message)

    assert parsed.errors == errors


@settings(max_examples=200, deadline=None)
@given(PLAIN_TEXT, st.lists(error_objects(), min_size=1, max_size=3), st.data())
def test_parse_cut_message_never_loses_text(before: str, errors: list[dict[str, Any]], data: st.DataObject) -> None:
    full = before + json.dumps(errors)
    cut = data.draw(st.integers(min_value=len(before) + 1, max_value=len(full) - 1))
    message = full[:cut]

    parsed = parse_embedded_errors(message)

    assert parsed.errors == []
    assert parsed.text == message.strip()
