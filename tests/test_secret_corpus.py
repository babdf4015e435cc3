"""Check that every corpus secret leaves text, data and logs, and ordinary text stays."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adlstrace.scrub import REDACTED, ScrubbingFilter, scrub_data, scrub_text, scrub_text_counted
from tests.secret_corpus import ORDINARY_TEXTS, SECRET_CASES, SecretCase, leaked_fragments

CASE_IDS = [case.name for case in SECRET_CASES]


def test_corpus_size_and_unique_names() -> None:
    assert len(SECRET_CASES) >= 40
    assert len(ORDINARY_TEXTS) >= 20
    assert len(set(CASE_IDS)) == len(CASE_IDS)


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_text_loses_secret(case: SecretCase) -> None:
    scrubbed, count = scrub_text_counted(case.text)

    assert case.secret not in scrubbed
    assert leaked_fragments(case.secret, scrubbed) == []
    assert REDACTED in scrubbed
    assert count >= 1


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_data_loses_secret(case: SecretCase) -> None:
    scrubbed = scrub_data({"message": case.text, "nested": [case.text]})

    assert leaked_fragments(case.secret, scrubbed["message"]) == []
    assert leaked_fragments(case.secret, scrubbed["nested"][0]) == []


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_scrub_is_idempotent(case: SecretCase) -> None:
    once = scrub_text(case.text)

    twice, count = scrub_text_counted(once)

    assert twice == once
    assert count == 0


@pytest.mark.parametrize("case", SECRET_CASES, ids=CASE_IDS)
def test_log_record_loses_secret(case: SecretCase) -> None:
    record = logging.LogRecord("adlstrace.test", logging.DEBUG, __file__, 1, "payload %s", (case.text,), None)

    ScrubbingFilter().filter(record)

    assert leaked_fragments(case.secret, record.getMessage()) == []


@pytest.mark.parametrize("text", ORDINARY_TEXTS)
def test_ordinary_text_unchanged(text: str) -> None:
    scrubbed, count = scrub_text_counted(text)

    assert scrubbed == text
    assert count == 0


@pytest.mark.parametrize("text", ORDINARY_TEXTS)
def test_ordinary_data_unchanged(text: str) -> None:
    data = {"message": text, "nested": [text]}

    assert scrub_data(data) == data


# Separators that end a token on both sides, as in logs, JSON and connection strings.
_SEPARATORS = st.sampled_from([" ", "\n", "\t", ", ", "; ", " | ", "\r\n", " - "])
_SURROUNDING_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=60,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(SECRET_CASES),
    before=_SURROUNDING_TEXT,
    after=_SURROUNDING_TEXT,
    left=_SEPARATORS,
    right=_SEPARATORS,
)
def test_secret_in_random_text_scrubbed(case: SecretCase, before: str, after: str, left: str, right: str) -> None:
    text = before + left + case.text + right + after

    scrubbed = scrub_text(text)

    assert leaked_fragments(case.secret, scrubbed) == []
    assert scrub_text(scrubbed) == scrubbed


@settings(max_examples=200)
@given(case=st.sampled_from(SECRET_CASES), repeat=st.integers(min_value=2, max_value=4))
def test_repeated_secret_all_scrubbed(case: SecretCase, repeat: int) -> None:
    scrubbed, count = scrub_text_counted("\n".join([case.text] * repeat))

    assert leaked_fragments(case.secret, scrubbed) == []
    assert count >= repeat


_ACCOUNT_NAMES = st.from_regex(r"[a-z][a-z0-9]{2,23}", fullmatch=True)
_TIMESTAMPS = st.datetimes(
    min_value=dt.datetime(2015, 1, 1),
    max_value=dt.datetime(2035, 12, 31),
)


def _iso_seven_digits(moment: dt.datetime, tenth_of_microsecond: int) -> str:
    """Format a time the way ADF and ADLA do, with 7 fractional digits and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}{tenth_of_microsecond}Z"


@settings(max_examples=300)
@given(
    run_id=st.uuids(),
    job_id=st.uuids(),
    subscription=st.uuids(),
    account=_ACCOUNT_NAMES,
    moment=_TIMESTAMPS,
    tenth=st.integers(min_value=0, max_value=9),
)
def test_identifiers_survive_scrubbing(
    run_id: uuid.UUID,
    job_id: uuid.UUID,
    subscription: uuid.UUID,
    account: str,
    moment: dt.datetime,
    tenth: int,
) -> None:
    timestamp = _iso_seven_digits(moment, tenth)
    job_url = f"https://{account}.azuredatalakeanalytics.net/jobLink/{job_id}"
    job_path = (
        f"adl://{account}.azuredatalakestore.net/system/jobservice/jobs/Usql/{moment:%Y/%m/%d/%H}/{job_id}/algebra.xml"
    )
    resource_id = (
        f"/subscriptions/{subscription}/resourceGroups/rg-{account}/providers/"
        f"Microsoft.DataLakeAnalytics/accounts/{account}"
    )
    text = (
        f"run {run_id} ({str(run_id).upper()}) submitted job {job_id} at {timestamp}\n"
        f"{job_url}\n{job_path}\n{resource_id}\n"
        f'{{"runId": "{run_id}", "jobId": "{job_id}", "runStart": "{timestamp}"}}'
    )

    assert scrub_text(text) == text


@settings(max_examples=200)
@given(parts=st.lists(st.sampled_from(ORDINARY_TEXTS), min_size=1, max_size=5), separator=_SEPARATORS)
def test_ordinary_texts_joined_unchanged(parts: list[str], separator: str) -> None:
    text = separator.join(parts)

    assert scrub_text(text) == text
