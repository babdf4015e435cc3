"""Invalid input ends in one clear message and a documented exit code, and writes no file.

The CLI cases run in-process against one FakeAzure for the module. The property-based cases
feed arbitrary input to the parsers and allow only each parser's documented exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adlstrace.errors import EvidenceError, ExitCode, UsageError
from adlstrace.ids import parse_job_link, parse_studio_url
from adlstrace.knowledge.embedded import EmbeddedErrors, parse_embedded_errors
from adlstrace.sources.evidence import EVIDENCE_FORMAT, load_evidence
from adlstrace.timeutil import parse_duration, parse_utc
from tests import scenarios
from tests.fakeazure import FakeAzure
from tests.harness import LiveHarness, Result, reuse_fake

GUID = "3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13"
FACTORY_ID = (
    f"/subscriptions/{scenarios.SUBSCRIPTION}/resourceGroups/{scenarios.RESOURCE_GROUP}"
    f"/providers/Microsoft.DataFactory/factories/{scenarios.FACTORY}"
)


@pytest.fixture
def live(module_fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> LiveHarness:
    """The usual harness, on the module's server and with the syntax-error scenario loaded."""
    module_fake.scenario = scenarios.syntax_error().scenario
    return reuse_fake(module_fake, monkeypatch)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def output_args(out: Path) -> list[str]:
    return ["--output", str(out / "report.md"), "--save-evidence", str(out / "evidence.json")]


def assert_one_error(result: Result, code: ExitCode, *fragments: str) -> None:
    """Check for a single `error:` line, the exit code, the fragments and no traceback."""
    assert result.exit_code == code, result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


# (arguments after the command, fragments the message must contain)
INVALID_IDS: list[tuple[list[str], list[str]]] = [
    (["activity", "not-a-guid"], ["Invalid activity run ID 'not-a-guid'", "hint: "]),
    (["activity", ""], ["The activity run ID is empty.", "hint: "]),
    (["activity", "   "], ["The activity run ID is empty."]),
    (["activity", f" {GUID}"], [f"Invalid activity run ID ' {GUID}'", "spaces or line breaks"]),
    (["activity", f"{GUID}\n"], ["Invalid activity run ID", "\\n'", "spaces or line breaks"]),
    (["activity", GUID.replace("-", " ", 1)], ["Invalid activity run ID", "spaces or line breaks"]),
    (["activity", GUID + "0"], [f"Invalid activity run ID '{GUID}0'", "expected a GUID"]),
    (["activity", GUID, "--pipeline-run-id", "12345"], ["Invalid pipeline run ID '12345'"]),
    (["pipeline", "abc"], ["Invalid pipeline run ID 'abc'"]),
    (["activity", "https://adf.azure.com/en/monitoring/pipelineruns/x"], ["has no factory parameter", "hint: "]),
    (["activity", "https://[adf.azure.com/monitoring"], ["Invalid URL 'https://[adf.azure.com/monitoring'"]),
]

INVALID_PLAIN: list[tuple[list[str], list[str]]] = [
    (["job", "contosoadla", "nope"], ["Invalid job ID 'nope'"]),
    (["job", "Contoso_ADLA", GUID], ["Invalid Data Lake Analytics account name 'Contoso_ADLA'", "hint: "]),
    (["job", "contosoadla"], ["Missing the job ID.", "hint: "]),
    (["job", "https://contosoadla.azuredatalakeanalytics.net/jobs/x"], ["Invalid ADLA job link", "hint: "]),
    (["job", f"https://[contosoadla/jobLink/{GUID}"], ["Invalid URL"]),
    (
        ["activity", GUID, "--factory", FACTORY_ID.replace("/factories/", "/pipelines/")],
        ["Invalid factory resource ID", "/pipelines/df-sales", "hint: "],
    ),
    (["activity", GUID, "--factory", FACTORY_ID.replace("resourceGroups", "groups")], ["Invalid factory resource ID"]),
    (["activity", GUID, "--factory", "df_sales!", "-g", "rg", "-s", GUID], ["Invalid factory name 'df_sales!'"]),
    (["activity", GUID, "--factory", "df-sales", "-g", "rg", "-s", "abc"], ["Invalid subscription ID 'abc'"]),
    (["activity", GUID, "--factory", "df-sales", "-s", GUID], ["No resource group given for factory 'df-sales'"]),
    (["activity", GUID], ["No data factory given.", "hint: "]),
]


@pytest.mark.parametrize(("args", "fragments"), INVALID_IDS, ids=[repr(args[1:])[:40] for args, _ in INVALID_IDS])
def test_run_id_rejected(live: LiveHarness, out: Path, args: list[str], fragments: list[str]) -> None:
    result = live.run(*args, *output_args(out))

    assert_one_error(result, ExitCode.USAGE, *fragments)
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("args", "fragments"), INVALID_PLAIN, ids=[repr(args)[:50] for args, _ in INVALID_PLAIN])
def test_argument_rejected(live: LiveHarness, out: Path, args: list[str], fragments: list[str]) -> None:
    result = live.run_plain(*args, *output_args(out))

    assert_one_error(result, ExitCode.USAGE, *fragments)
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["--concurrency", "0"], "--concurrency"),
        (["--format", "pdf"], "pdf"),
    ],
)
def test_option_rejected(live: LiveHarness, out: Path, option: list[str], fragment: str) -> None:
    result = live.run("activity", GUID, *option, *output_args(out))

    assert result.exit_code == ExitCode.USAGE, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "since", ["7 days", "abc", "0d", "-1d", "", "1.5.2h", "99999999999d", "3651d", "1" * 400 + "s"]
)
def test_since_rejected(live: LiveHarness, out: Path, since: str) -> None:
    result = live.run("activity", GUID, "--since", since, *output_args(out))

    assert_one_error(result, ExitCode.USAGE, f"Invalid duration {since!r}", "hint: ")
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


def test_since_past_retention_warns(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    result = live.run("activity", built.activity_run_id, "--since", "60d")

    assert result.exit_code == 0, result.stderr
    assert "warning: " in result.stderr
    assert "reaches past ADF's 45-day run history" in result.stderr
    assert built.activity_run_id in result.stdout


def test_output_folder_missing(live: LiveHarness, out: Path) -> None:
    target = out / "missing" / "report.md"

    result = live.run("activity", GUID, "--output", str(target))

    assert_one_error(result, ExitCode.OUTPUT, f"Cannot write {target}", "hint: ")
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


def test_evidence_folder_missing(live: LiveHarness, out: Path) -> None:
    target = out / "missing" / "evidence.json"

    result = live.run("activity", GUID, "--save-evidence", str(target))

    assert_one_error(result, ExitCode.OUTPUT, f"Cannot write {target}")
    assert live.fake.requests == []


def test_output_is_folder(live: LiveHarness, out: Path) -> None:
    result = live.run("activity", GUID, "--output", str(out))

    assert_one_error(result, ExitCode.OUTPUT, f"Cannot write {out}: it is a folder", f"{out / 'report.md'}")
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


def test_output_parent_is_file(live: LiveHarness, out: Path) -> None:
    blocker = out / "notes.txt"
    blocker.write_text("a file, not a folder\n")
    target = blocker / "report.md"

    result = live.run("activity", GUID, "--output", str(target))

    assert_one_error(result, ExitCode.OUTPUT, f"Cannot write {target}")
    assert [path.name for path in out.iterdir()] == ["notes.txt"]
    assert blocker.read_text() == "a file, not a folder\n"


@pytest.mark.skipif(os.name != "posix", reason="folder modes are POSIX")
def test_output_folder_read_only(live: LiveHarness, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    if os.geteuid() == 0:
        # Root writes into a read-only folder anyway, so the refusal the kernel would give
        # anyone else is raised where the temporary file is created.
        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("adlstrace.output.tempfile.mkstemp", refuse)
    out.chmod(0o555)
    try:
        result = live.run("activity", built.activity_run_id, "--output", str(out / "report.md"))
    finally:
        out.chmod(0o755)

    assert_one_error(result, ExitCode.OUTPUT, f"Cannot write {out / 'report.md'}", "hint: ")
    assert list(out.iterdir()) == []


def test_failed_run_writes_no_report(live: LiveHarness, out: Path) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    live.fake.faults.add("get_linked_service", "status", times=None, status=403)

    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id, *output_args(out))

    assert_one_error(result, ExitCode.AUTH, "was forbidden (HTTP 403")
    # The evidence of the failed run is kept on purpose and complete, but no report is written.
    assert [path.name for path in out.iterdir()] == ["evidence.json"]
    bundle = load_evidence(out / "evidence.json")
    assert bundle["exchanges"][-1]["outcome"] == "error"


@pytest.fixture
def recorded(live: LiveHarness, tmp_path: Path) -> Path:
    """A valid evidence file recorded from a live run."""
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    path = tmp_path / "recorded.json"
    result = live.run("activity", built.activity_run_id, "--save-evidence", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def test_evidence_replays(live: LiveHarness, recorded: Path, out: Path) -> None:
    result = live.run_plain("activity", "--evidence", str(recorded), "--output", str(out / "report.md"))

    assert result.exit_code == 0, result.stderr
    assert [path.name for path in out.iterdir()] == ["report.md"]


def test_evidence_since_checked(live: LiveHarness, recorded: Path, out: Path) -> None:
    result = live.run_plain("activity", "--evidence", str(recorded), "--since", "abc", "--output", str(out / "r.md"))

    assert_one_error(result, ExitCode.USAGE, "Invalid duration 'abc'")
    assert list(out.iterdir()) == []


def test_evidence_since_ignored_warns(live: LiveHarness, recorded: Path) -> None:
    result = live.run_plain("activity", "--evidence", str(recorded), "--since", "3d")

    assert result.exit_code == 0, result.stderr
    assert "--since is ignored with --evidence" in result.stderr


@pytest.mark.parametrize("damage", ["truncated", "future version", "not JSON", "empty", "deeply nested", "missing"])
def test_evidence_rejected(live: LiveHarness, recorded: Path, out: Path, damage: str) -> None:
    text = recorded.read_text()
    if damage == "truncated":
        recorded.write_text(text[: len(text) // 2])
    elif damage == "future version":
        bundle = json.loads(text)
        bundle["version"] = 99
        recorded.write_text(json.dumps(bundle))
    elif damage == "not JSON":
        recorded.write_text("plain text, not JSON\n")
    elif damage == "empty":
        recorded.write_text("")
    elif damage == "deeply nested":
        recorded.write_text("[" * 100_000)
    else:
        recorded.unlink()
    live.fake.clear_requests()

    result = live.run_plain("activity", "--evidence", str(recorded), "--output", str(out / "report.md"))

    fragment = {"future version": "has format version 99", "missing": "does not exist"}.get(damage, str(recorded))
    assert_one_error(result, ExitCode.EVIDENCE, str(recorded), fragment)
    assert live.fake.requests == []
    assert list(out.iterdir()) == []


def test_evidence_other_command(live: LiveHarness, recorded: Path, out: Path) -> None:
    result = live.run_plain("pipeline", "--evidence", str(recorded), "--output", str(out / "report.md"))

    assert_one_error(result, ExitCode.EVIDENCE, "was recorded by `adlstrace activity`", "hint: ")
    assert list(out.iterdir()) == []


# --- Parsers under arbitrary input ------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
EVIDENCE_LIKE = st.fixed_dictionaries(
    {"format": st.sampled_from([EVIDENCE_FORMAT, "other"])},
    optional={
        "version": st.one_of(st.integers(-2, 3), st.booleans(), st.text(max_size=3), st.none()),
        "recorded_at": st.one_of(st.text(max_size=30), st.datetimes().map(str), st.integers()),
        "invocation": JSON_VALUES,
        "exchanges": st.lists(
            st.one_of(
                JSON_VALUES,
                st.fixed_dictionaries({"call": st.text(max_size=10), "args": JSON_VALUES}),
            ),
            max_size=3,
        ),
    },
)


def load_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidence.json"
        path.write_bytes(data)
        with contextlib.suppress(EvidenceError):
            load_evidence(path)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_evidence_fuzz_bytes(data: bytes) -> None:
    load_bytes(data)


@settings(max_examples=200, deadline=None)
@given(EVIDENCE_LIKE)
def test_evidence_fuzz_bundle(bundle: dict) -> None:
    load_bytes(json.dumps(bundle).encode())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(lambda prefix, value: prefix + json.dumps(value), st.text(max_size=30), JSON_VALUES),
        st.builds(
            lambda prefix, value, cut: (prefix + json.dumps(value))[:cut],
            st.sampled_from(["Job failed. Error: ", "Error: [", '{\\"errorId\\": ']),
            st.lists(st.dictionaries(st.sampled_from(["errorId", "message", "innerError"]), JSON_VALUES), max_size=3),
            st.integers(0, 300),
        ),
    )
)
def test_embedded_fuzz(message: str) -> None:
    assert isinstance(parse_embedded_errors(message), EmbeddedErrors)


URL_TEXT = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda scheme, host, path, query: f"{scheme}{host}/{path}?{query}",
        st.sampled_from(["https://", "http://", "HTTPS://", ""]),
        st.text(alphabet="abc.[]:@%-_/0123456789", max_size=30),
        st.text(alphabet="jobLink/monitoring-0123456789abcdef%", max_size=60),
        st.text(alphabet="factory=runId&%2F/subscriptionsresourceGroups0123456789abcdef-", max_size=120),
    ),
)


@settings(max_examples=300, deadline=None)
@given(URL_TEXT)
def test_studio_url_fuzz(url: str) -> None:
    with contextlib.suppress(UsageError):
        parse_studio_url(url)


@settings(max_examples=300, deadline=None)
@given(URL_TEXT)
def test_job_link_fuzz(url: str) -> None:
    with contextlib.suppress(UsageError):
        parse_job_link(url)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.builds(
            lambda number, unit: f"{number}{unit}",
            st.one_of(st.integers(-10, 10**30), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
            st.sampled_from(["s", "m", "h", "d", "w", "D", " d", "y", ""]),
        ),
    )
)
def test_duration_fuzz(value: str) -> None:
    with contextlib.suppress(UsageError):
        parse_duration(value)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.datetimes().map(lambda moment: moment.isoformat()),
        st.builds(
            lambda moment, offset, fraction: moment.isoformat() + fraction + offset,
            st.datetimes(),
            st.sampled_from(["Z", "z", "+01:00", "-23:59", "+14:00", "", "+2400"]),
            st.sampled_from(["", ".1234567", ".1234567890123"]),
        ),
    )
)
def test_utc_fuzz(value: str) -> None:
    with contextlib.suppress(ValueError):
        parse_utc(value)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_utc_out_of_range(value: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_utc(value)


@pytest.mark.usefixtures("untrusted_ca_bundle")
def test_untrusted_certificate_not_retried(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    result = live.run("activity", built.activity_run_id, "--pipeline-run-id", built.pipeline_run_id)

    assert_one_error(result, ExitCode.AZURE, "TLS certificate could not be verified", "REQUESTS_CA_BUNDLE")
    assert "retry" not in result.stderr


def test_missing_ca_bundle(live: LiveHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))

    result = live.run("activity", GUID)

    assert_one_error(result, ExitCode.USAGE, f"REQUESTS_CA_BUNDLE names {missing}, which does not exist")
    assert live.fake.requests == []


def test_url_factory_wins_with_warning(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario
    factory_id = quote(FACTORY_ID, safe="")
    url = f"https://adf.azure.com/en/monitoring/pipelineruns/{built.pipeline_run_id}?factory={factory_id}"

    result = live.run_plain("activity", url, "--factory", "df-other", "--format", "json")

    assert "The URL names factory df-sales; --factory or ADLSTRACE_FACTORY (df-other) is ignored." in result.stderr


def test_resource_id_wins_over_group(live: LiveHarness) -> None:
    result = live.run_plain("activity", GUID, "--factory", FACTORY_ID, "--resource-group", "rg-other", "--since", "1h")

    assert f"names resource group {scenarios.RESOURCE_GROUP}; rg-other is ignored" in result.stderr


def test_job_link_other_host(live: LiveHarness) -> None:
    result = live.run_plain("job", f"https://example.com/jobLink/{GUID}")

    assert_one_error(result, ExitCode.USAGE, "The host example.com", "is not an ADLA job host")
    assert live.fake.requests == []


@pytest.mark.usefixtures("untrusted_ca_bundle")
def test_job_untrusted_certificate(live: LiveHarness) -> None:
    built = scenarios.syntax_error()
    live.fake.scenario = built.scenario

    result = live.run_plain("job", scenarios.ACCOUNT, built.job_id)

    expected = (
        "TLS certificate could not be verified (certificate verify failed: unable to get local issuer certificate)"
    )
    assert_one_error(result, ExitCode.AZURE, expected)
    assert "Max retries" not in result.stderr
