"""Saved evidence: every raw Azure answer a run used, recorded and replayed.

File format (JSON, `version` 1):

    {"format": "adlstrace-evidence", "version": 1, "tool_version": "0.1.0",
     "recorded_at": "<UTC ISO time the run used as now>",
     "invocation": {"command": "activity", ...the resolved arguments...},
     "exchanges": [{"call": "get_job", "args": {...}, "outcome": "ok", "body": {...}},
                   {"call": "get_job", "args": {...}, "outcome": "error",
                    "error": {"type": "ResourceMissing", ...}}]}

Replay answers each call from the exchange with the same call name and arguments, so a report
rendered from evidence equals the live one. Bodies are scrubbed before the file is written.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from adlstrace.errors import (
    AdlstraceError,
    AuthError,
    AzureCallError,
    EvidenceError,
)
from adlstrace.ids import FactoryRef
from adlstrace.sources.base import AzureSource, Json, QueryFilter, ResourceMissing
from adlstrace.timeutil import format_utc, parse_utc

EVIDENCE_FORMAT = "adlstrace-evidence"
EVIDENCE_VERSION = 1

_ERROR_TYPES: dict[str, type[AdlstraceError]] = {
    "AzureCallError": AzureCallError,
    "AuthError": AuthError,
}


def _canonical(value: Any) -> Any:
    if isinstance(value, FactoryRef):
        return value.resource_id.lower()
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value


def _key(call: str, args: dict[str, Any]) -> str:
    return call + " " + json.dumps(args, sort_keys=True)


def _error_record(error: AdlstraceError) -> dict[str, Any]:
    if isinstance(error, ResourceMissing):
        return {
            "type": "ResourceMissing",
            "call": error.call,
            "resource": error.resource,
            "code": error.code,
            "detail": error.detail,
        }
    record: dict[str, Any] = {"type": type(error).__name__, "message": error.message, "hint": error.hint}
    if isinstance(error, AzureCallError):
        record.update(status=error.status, code=error.code)
    return record


def _rebuild_error(record: dict[str, Any]) -> AdlstraceError:
    kind = record.get("type")
    if kind == "ResourceMissing":
        return ResourceMissing(
            record.get("call", ""), record.get("resource", ""), record.get("code", ""), record.get("detail", "")
        )
    if kind == "AzureCallError":
        return AzureCallError(
            record.get("message", ""), record.get("hint"), status=record.get("status"), code=record.get("code")
        )
    error_type = _ERROR_TYPES.get(str(kind), AzureCallError)
    return error_type(record.get("message", ""), record.get("hint"))


class _Dispatch:
    """Shared call plumbing: every AzureSource method routes through `_answer`."""

    def _answer(self, call: str, args: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_pipeline_run(self, factory: FactoryRef, run_id: str) -> Json:
        return self._answer("get_pipeline_run", {"factory": factory, "run_id": run_id})

    def query_pipeline_runs(
        self,
        factory: FactoryRef,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._answer(
            "query_pipeline_runs",
            {
                "factory": factory,
                "after": after,
                "before": before,
                "filters": filters,
                "continuation_token": continuation_token,
            },
        )

    def query_activity_runs(
        self,
        factory: FactoryRef,
        pipeline_run_id: str,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._answer(
            "query_activity_runs",
            {
                "factory": factory,
                "pipeline_run_id": pipeline_run_id,
                "after": after,
                "before": before,
                "filters": filters,
                "continuation_token": continuation_token,
            },
        )

    def get_linked_service(self, factory: FactoryRef, name: str) -> Json:
        return self._answer("get_linked_service", {"factory": factory, "name": name})

    def get_job(self, account: str, job_id: str) -> Json:
        return self._answer("get_job", {"account": account, "job_id": job_id})

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]:
        return self._answer("list_jobs", {"account": account, "odata_filter": odata_filter, "top": top})


class RecordingSource(_Dispatch):
    """Pass calls to `inner` and keep every answer, including 404s and failed calls."""

    def __init__(self, inner: AzureSource) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._exchanges: dict[str, dict[str, Any]] = {}

    def _answer(self, call: str, args: dict[str, Any]) -> Any:
        canonical = {name: _canonical(value) for name, value in args.items()}
        exchange: dict[str, Any] = {"call": call, "args": canonical}
        try:
            body = getattr(self._inner, call)(**args)
        except AdlstraceError as error:
            exchange.update(outcome="error", error=_error_record(error))
            self._store(call, canonical, exchange)
            raise
        exchange.update(outcome="ok", body=body)
        self._store(call, canonical, exchange)
        return body

    def _store(self, call: str, canonical: dict[str, Any], exchange: dict[str, Any]) -> None:
        with self._lock:
            self._exchanges.setdefault(_key(call, canonical), exchange)

    def bundle(self, recorded_at: datetime, invocation: dict[str, Any], tool_version: str) -> dict[str, Any]:
        with self._lock:
            exchanges = list(self._exchanges.values())
        return {
            "format": EVIDENCE_FORMAT,
            "version": EVIDENCE_VERSION,
            "tool_version": tool_version,
            "recorded_at": format_utc(recorded_at),
            "invocation": invocation,
            "exchanges": exchanges,
        }


class ReplaySource(_Dispatch):
    """Return the recorded bodies of a saved evidence bundle, with no network."""

    def __init__(self, bundle: dict[str, Any], path: str = "evidence") -> None:
        self._path = path
        self._exchanges = {_key(item["call"], item["args"]): item for item in bundle["exchanges"]}

    def _answer(self, call: str, args: dict[str, Any]) -> Any:
        canonical = {name: _canonical(value) for name, value in args.items()}
        exchange = self._exchanges.get(_key(call, canonical))
        if exchange is None:
            raise EvidenceError(
                f"The evidence file {self._path} has no recorded response for {call} {json.dumps(canonical)}.",
                "Replay with the options used when it was recorded, or record it again with --save-evidence.",
            )
        if exchange.get("outcome") == "error":
            raise _rebuild_error(exchange.get("error") or {})
        return exchange.get("body")


def load_evidence(path: Path) -> dict[str, Any]:
    """Read and validate an evidence file; every problem is an EvidenceError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvidenceError(f"Evidence file {path} does not exist.", "Check the path.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvidenceError(f"Evidence file {path} could not be read: {error}.") from None
    try:
        bundle = json.loads(text)
    except RecursionError:
        raise EvidenceError(
            f"Evidence file {path} is not an adlstrace evidence file: its JSON is nested too deeply.",
            "Pass a file written by --save-evidence.",
        ) from None
    except ValueError as error:
        raise EvidenceError(
            f"Evidence file {path} is not valid JSON ({error.args[0] if error.args else error}).",
            "Pass a file written by --save-evidence; if it is one, it was cut short, so record it again.",
        ) from None
    _validate_bundle(bundle, path)
    return bundle


def _validate_bundle(bundle: Any, path: Path) -> None:
    if not isinstance(bundle, dict) or bundle.get("format") != EVIDENCE_FORMAT:
        raise EvidenceError(
            f'{path} is not an adlstrace evidence file (no "format": "{EVIDENCE_FORMAT}").',
            "Pass a file written by --save-evidence.",
        )
    version = bundle.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise EvidenceError(f"Evidence file {path} has an invalid version {version!r}.")
    if version > EVIDENCE_VERSION:
        raise EvidenceError(
            f"Evidence file {path} has format version {version}; this adlstrace reads up to "
            f"version {EVIDENCE_VERSION}.",
            "Upgrade adlstrace to replay it.",
        )
    exchanges = bundle.get("exchanges")
    invocation = bundle.get("invocation")
    if not isinstance(exchanges, list) or not isinstance(invocation, dict):
        raise EvidenceError(f"Evidence file {path} lacks its exchanges or invocation.")
    for index, item in enumerate(exchanges):
        if not (isinstance(item, dict) and isinstance(item.get("call"), str) and isinstance(item.get("args"), dict)):
            raise EvidenceError(f"Evidence file {path}: exchange {index} is malformed.")
    try:
        parse_utc(str(bundle.get("recorded_at", "")))
    except ValueError:
        raise EvidenceError(f"Evidence file {path} has an invalid recorded_at time.") from None
