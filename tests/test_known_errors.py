import json
from typing import Any

import pytest

from adlstrace.knowledge import known_errors
from adlstrace.knowledge.known_errors import (
    OWNERS,
    KnownErrorsTableError,
    default_table,
    lookup_adf_code,
    lookup_adla_error,
    parse_known_errors,
)
from adlstrace.knowledge.known_errors import (
    known_errors as all_known_errors,
)


def make_entry(**overrides: Any) -> dict[str, Any]:
    entry = {
        "match": "E_TEST_ONE",
        "kind": "adla_error_id",
        "pattern": "exact",
        "title": "Test title",
        "cause": "Test cause.",
        "owner": "platform",
        "next_step": "Test next step.",
        "source": "Test source",
    }
    entry.update(overrides)
    return entry


def table_text(*entries: dict[str, Any]) -> str:
    return json.dumps(list(entries))


# Packaged table


def test_packaged_table_size() -> None:
    entries = all_known_errors()
    assert 20 <= len(entries) <= 30


def test_packaged_table_every_row_has_source() -> None:
    for entry in all_known_errors():
        assert entry.source.strip(), entry.match
        assert entry.owner in OWNERS, entry.match


def test_packaged_table_loaded_once() -> None:
    assert default_table() is default_table()


def test_packaged_table_covers_adla_activity_codes() -> None:
    for code in ("2703", "2704", "2705", "2707", "2709", "2711"):
        assert lookup_adf_code(code) is not None, code


# ADF codes


def test_adf_2703_points_to_activity_run_id() -> None:
    entry = lookup_adf_code("2703")
    assert entry is not None
    assert entry.kind == "adf_code"
    assert "activity run ID" in entry.next_step
    assert "job URL" in entry.next_step
    assert entry.verified


def test_adf_2704_2705_access_problems() -> None:
    for code in ("2704", "2705"):
        entry = lookup_adf_code(code)
        assert entry is not None
        assert entry.owner == "access admin"
        assert "Execute" in entry.next_step


def test_adf_2707_is_account_name() -> None:
    entry = lookup_adf_code("2707")
    assert entry is not None
    assert "AccountName" in entry.cause
    assert entry.owner == "pipeline author"


@pytest.mark.parametrize(
    ("message", "owner", "title_word"),
    [
        ("The access token is from the wrong tenant.", "access admin", "tenant"),
        (
            "We cannot accept your job at this moment. The maximum number of queued jobs for your account is 200.",
            "capacity",
            "Queued",
        ),
        (
            "This job was rejected because it requires 24 AUs. This account's "
            "administrator-defined policy prevents a job from using more than 5 AUs.",
            "capacity",
            "AUs",
        ),
    ],
)
def test_adf_2709_message_selects_row(message: str, owner: str, title_word: str) -> None:
    entry = lookup_adf_code("2709", message)
    assert entry is not None
    assert entry.owner == owner
    assert title_word in entry.title


def test_adf_2709_without_message_is_general() -> None:
    entry = lookup_adf_code("2709")
    assert entry is not None
    assert entry.message_regex is None
    assert "tenant" in entry.cause
    assert "throttling" in entry.cause


def test_adf_2709_unmatched_message_is_general() -> None:
    entry = lookup_adf_code("2709", "Something else entirely")
    assert entry is not None
    assert entry.message_regex is None


def test_adf_2711_script_not_found_variant() -> None:
    entry = lookup_adf_code("2711", "Cannot find the 'Azure Data Lake Store' file or folder.")
    assert entry is not None
    assert entry.owner == "pipeline author"
    assert "script" in entry.title


def test_adf_code_whitespace_ignored() -> None:
    assert lookup_adf_code(" 2703\n") == lookup_adf_code("2703")


@pytest.mark.parametrize("code", ["", "   ", "9999", "27030", "270", "E_CSC_USER_SYNTAXERROR"])
def test_adf_unknown_code_is_none(code: str) -> None:
    assert lookup_adf_code(code) is None


# ADLA errorIds


def test_adla_exact_wins_over_prefix() -> None:
    entry = lookup_adla_error("E_CSC_USER_SYNTAXERROR")
    assert entry is not None
    assert entry.pattern == "exact"
    assert entry.owner == "pipeline author"


def test_adla_prefix_family_for_unlisted_compile_error() -> None:
    entry = lookup_adla_error("E_CSC_USER_SOMETHINGNEW")
    assert entry is not None
    assert entry.match == "E_CSC_USER_"


def test_adla_longest_prefix_wins() -> None:
    entry = lookup_adla_error("E_RUNTIME_USER_EXTRACT_SOMETHING")
    assert entry is not None
    assert entry.match == "E_RUNTIME_USER_EXTRACT_"

    general = lookup_adla_error("E_RUNTIME_USER_OTHER")
    assert general is not None
    assert general.match == "E_RUNTIME_USER_"


def test_adla_prefix_wins_over_regex() -> None:
    # E_RUNTIME_SYSTEM_X also matches the E_[A-Z]+_SYSTEM_ regex row.
    entry = lookup_adla_error("E_RUNTIME_SYSTEM_X")
    assert entry is not None
    assert entry.pattern == "prefix"
    assert entry.owner == "platform"


def test_adla_regex_family() -> None:
    entry = lookup_adla_error("E_CQO_SYSTEM_SOMETHING")
    assert entry is not None
    assert entry.pattern == "regex"
    assert entry.owner == "platform"


def test_adla_exact_system_error() -> None:
    entry = lookup_adla_error("E_CQO_SYSTEM_INTERNAL_ERROR")
    assert entry is not None
    assert entry.pattern == "exact"
    assert entry.verified


def test_adla_regex_rows_in_file_order() -> None:
    denied = lookup_adla_error("E_STORE_USER_ACCESS_DENIED")
    assert denied is not None
    assert denied.owner == "access admin"

    missing = lookup_adla_error("E_STORE_USER_FILENOTFOUND")
    assert missing is not None
    assert missing.owner == "pipeline author"


def test_adla_lookup_ignores_case() -> None:
    assert lookup_adla_error("e_csc_user_syntaxerror") == lookup_adla_error("E_CSC_USER_SYNTAXERROR")


def test_adla_cancel_is_not_script_failure() -> None:
    entry = lookup_adla_error("I_USER_CJS_CANCELEDBYUSER")
    assert entry is not None
    assert "not a failure" in entry.cause
    assert entry.verified is False


@pytest.mark.parametrize("error_id", ["", "2703", "E_UNKNOWN", "CSC_USER_X", "XE_CSC_USER_X"])
def test_adla_unknown_id_is_none(error_id: str) -> None:
    assert lookup_adla_error(error_id) is None


def test_unverified_rows_are_marked() -> None:
    unverified = {entry.match for entry in all_known_errors() if not entry.verified}
    assert "E_RUNTIME_USER_ROWTOOBIG" in unverified
    assert "VertexFailed" in unverified
    assert "2703" not in unverified


# Lookup order on a synthetic table


def test_lookup_order_exact_prefix_regex() -> None:
    table = parse_known_errors(
        table_text(
            make_entry(match="E_A_.*", pattern="regex", title="regex"),
            make_entry(match="E_A_", pattern="prefix", title="short prefix"),
            make_entry(match="E_A_B_", pattern="prefix", title="long prefix"),
            make_entry(match="E_A_B_C", pattern="exact", title="exact"),
        )
    )
    assert table.lookup("adla_error_id", "E_A_B_C").title == "exact"
    assert table.lookup("adla_error_id", "E_A_B_D").title == "long prefix"
    assert table.lookup("adla_error_id", "E_A_X").title == "short prefix"
    assert table.lookup("adla_error_id", "E_Z") is None


def test_lookup_regex_needs_full_match() -> None:
    table = parse_known_errors(table_text(make_entry(match="E_[A-Z]+", pattern="regex")))
    assert table.lookup("adla_error_id", "E_ABC") is not None
    assert table.lookup("adla_error_id", "E_ABC_1") is None
    assert table.lookup("adla_error_id", "XE_ABC") is None


def test_lookup_kinds_are_separate() -> None:
    table = parse_known_errors(table_text(make_entry(match="2703", kind="adf_code")))
    assert table.lookup("adf_code", "2703") is not None
    assert table.lookup("adla_error_id", "2703") is None


# Validation


def test_validation_accepts_minimal_entry() -> None:
    table = parse_known_errors(table_text(make_entry()))
    assert len(table.entries) == 1
    assert table.entries[0].verified is True
    assert table.entries[0].message_regex is None


def test_validation_unknown_key() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"entry 0.*unknown key.*'severity'"):
        parse_known_errors(table_text(make_entry(severity="high")))


def test_validation_missing_key() -> None:
    entry = make_entry()
    del entry["source"]
    with pytest.raises(KnownErrorsTableError, match=r"missing required key.*'source'"):
        parse_known_errors(table_text(entry))


def test_validation_bad_regex() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"entry 1.*not a valid regex"):
        parse_known_errors(table_text(make_entry(), make_entry(match="E_(", pattern="regex")))


def test_validation_bad_message_regex() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"message_regex.*not a valid regex"):
        parse_known_errors(table_text(make_entry(match="2709", kind="adf_code", message_regex="[unclosed")))


def test_validation_message_regex_adf_only() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"only allowed on adf_code"):
        parse_known_errors(table_text(make_entry(message_regex="x")))


def test_validation_duplicate_match() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"entry 1 duplicates entry 0"):
        parse_known_errors(table_text(make_entry(), make_entry(title="Other")))


def test_validation_duplicate_ignores_case_and_pattern() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"duplicates"):
        parse_known_errors(table_text(make_entry(), make_entry(match="e_test_one", pattern="prefix")))


def test_validation_same_code_different_message_allowed() -> None:
    table = parse_known_errors(
        table_text(
            make_entry(match="2709", kind="adf_code"),
            make_entry(match="2709", kind="adf_code", message_regex="tenant"),
        )
    )
    assert len(table.entries) == 2


@pytest.mark.parametrize(
    ("key", "value"),
    [("kind", "adf"), ("pattern", "glob"), ("owner", "someone")],
)
def test_validation_invalid_choice(key: str, value: str) -> None:
    with pytest.raises(KnownErrorsTableError, match=rf"invalid {key} '{value}'"):
        parse_known_errors(table_text(make_entry(**{key: value})))


def test_validation_empty_text_field() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"'title' must be a non-empty string"):
        parse_known_errors(table_text(make_entry(title="  ")))


def test_validation_verified_must_be_bool() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"'verified' must be true or false"):
        parse_known_errors(table_text(make_entry(verified="no")))


def test_validation_top_level_must_be_array() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"expected a JSON array"):
        parse_known_errors(json.dumps({"entries": []}))


def test_validation_entry_must_be_object() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"entry 0: expected a JSON object"):
        parse_known_errors("[1]")


def test_validation_invalid_json() -> None:
    with pytest.raises(KnownErrorsTableError, match=r"invalid JSON"):
        parse_known_errors("[{")


def test_validation_error_is_value_error() -> None:
    assert issubclass(KnownErrorsTableError, ValueError)


def test_default_table_rejects_broken_packaged_file(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenFile:
        def joinpath(self, name: str) -> "BrokenFile":
            return self

        def read_text(self, encoding: str) -> str:
            return table_text(make_entry(), make_entry())

    monkeypatch.setattr(known_errors.resources, "files", lambda package: BrokenFile())
    default_table.cache_clear()
    try:
        with pytest.raises(KnownErrorsTableError, match=r"duplicates"):
            default_table()
    finally:
        monkeypatch.undo()
        default_table.cache_clear()
    assert len(all_known_errors()) > 0
