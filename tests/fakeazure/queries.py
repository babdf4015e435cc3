"""Query evaluation for FakeAzure: ADF run queries and the ADLA job list's OData options."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .scenario import JSONDict, parse_time


class QueryError(Exception):
    """An invalid query. The server turns it into an HTTP 400 error body with `code`."""

    def __init__(self, message: str, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- ADF run queries ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunQueryKind:
    """Which fields an ADF run query filters and sorts on."""

    operands: dict[str, str]
    order_fields: dict[str, str]
    last_updated: Callable[[JSONDict], str | None]


# Keys are casefolded operand names because the SDK's operand enums are case-insensitive.
PIPELINE_RUN_QUERY = RunQueryKind(
    operands={"pipelinename": "pipelineName", "status": "status", "rungroupid": "runGroupId"},
    order_fields={
        "runstart": "runStart",
        "runend": "runEnd",
        "pipelinename": "pipelineName",
        "status": "status",
    },
    last_updated=lambda run: run.get("lastUpdated"),
)

# Activity runs have no lastUpdated field, so the window applies to the end time, or to
# the start time while the activity is still running.
ACTIVITY_RUN_QUERY = RunQueryKind(
    operands={"activityname": "activityName", "activitytype": "activityType", "status": "status"},
    order_fields={
        "activityrunstart": "activityRunStart",
        "activityrunend": "activityRunEnd",
        "activityname": "activityName",
        "status": "status",
    },
    last_updated=lambda activity: activity.get("activityRunEnd") or activity.get("activityRunStart"),
)

_TIME_FIELDS = frozenset(
    {
        "runStart",
        "runEnd",
        "activityRunStart",
        "activityRunEnd",
        "submitTime",
        "startTime",
        "endTime",
    }
)


@dataclass
class RunQueryResult:
    """The runs that match a query, and where the requested page starts."""

    matched: list[JSONDict]
    offset: int
    fingerprint: str


def _required_time(body: JSONDict, name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str):
        raise QueryError(f"'{name}' is required and must be an ISO 8601 time string.")
    try:
        return parse_time(value)
    except ValueError as error:
        raise QueryError(f"'{name}' is not a valid time: {value!r}.") from error


def _run_filter(kind: RunQueryKind, spec: Any) -> Callable[[JSONDict], bool]:
    if not isinstance(spec, dict):
        raise QueryError(f"Each filter must be an object, got {spec!r}.")
    operand = str(spec.get("operand", ""))
    operator = str(spec.get("operator", "")).casefold()
    values = spec.get("values")
    field_name = kind.operands.get(operand.casefold())
    if field_name is None:
        supported = sorted(kind.operands.values())
        raise QueryError(f"Filter operand '{operand}' is not supported. Use one of {supported}.")
    if operator not in ("equals", "notequals", "in", "notin"):
        raise QueryError(f"Filter operator '{spec.get('operator')}' is not supported.")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise QueryError(f"Filter on '{operand}' needs a non-empty list of string values.")
    if operator in ("equals", "notequals") and len(values) != 1:
        raise QueryError(f"Operator '{spec['operator']}' takes exactly one value.")
    expected_values = {value.casefold() for value in values}
    negate = operator in ("notequals", "notin")

    def matches(run: JSONDict) -> bool:
        actual = run.get(field_name)
        found = isinstance(actual, str) and actual.casefold() in expected_values
        return found != negate

    return matches


def _order_value(value: Any, is_time: bool) -> tuple[bool, Any]:
    """Return a sort key that puts missing values last in ascending order."""
    if value is None:
        return (True, "")
    if is_time and isinstance(value, str):
        return (False, parse_time(value))
    return (False, value.casefold() if isinstance(value, str) else value)


def _sort_runs(kind: RunQueryKind, runs: list[JSONDict], order_by: Any) -> list[JSONDict]:
    if order_by is None:
        return runs
    if not isinstance(order_by, list):
        raise QueryError("'orderBy' must be a list of {orderBy, order} objects.")
    ordered = list(runs)
    # Stable sorts applied from the last key to the first give a multi-key ordering.
    for spec in reversed(order_by):
        if not isinstance(spec, dict):
            raise QueryError(f"Each orderBy entry must be an object, got {spec!r}.")
        field_name = kind.order_fields.get(str(spec.get("orderBy", "")).casefold())
        if field_name is None:
            raise QueryError(f"orderBy field '{spec.get('orderBy')}' is not supported.")
        direction = str(spec.get("order", "ASC")).upper()
        if direction not in ("ASC", "DESC"):
            raise QueryError(f"order must be ASC or DESC, got '{spec.get('order')}'.")
        is_time = field_name in _TIME_FIELDS
        ordered.sort(
            key=lambda run, name=field_name, is_time=is_time: _order_value(run.get(name), is_time),
            reverse=direction == "DESC",
        )
    return ordered


def query_fingerprint(body: JSONDict) -> str:
    """Hash the parts of a query body that a continuation token must not change."""
    query = {key: body.get(key) for key in ("lastUpdatedAfter", "lastUpdatedBefore", "filters", "orderBy")}
    digest = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()
    return digest[:16]


def encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"offset": offset, "query": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> int:
    """Return the offset stored in a continuation token from encode_token()."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(data["offset"])
        token_fingerprint = str(data["query"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise QueryError(f"Invalid continuationToken {token!r}.") from error
    if token_fingerprint != fingerprint or offset < 0:
        raise QueryError("The continuationToken belongs to a different query. Resend the original filters with it.")
    return offset


def evaluate_run_query(kind: RunQueryKind, runs: list[JSONDict], body: Any) -> RunQueryResult:
    """Filter, sort and locate the page for a queryPipelineRuns or queryActivityruns body.

    The window is inclusive at both ends. Raises QueryError on an invalid body.
    """
    if not isinstance(body, dict):
        raise QueryError("The request body must be a RunFilterParameters JSON object.")
    after = _required_time(body, "lastUpdatedAfter")
    before = _required_time(body, "lastUpdatedBefore")
    filters = body.get("filters") or []
    if not isinstance(filters, list):
        raise QueryError("'filters' must be a list.")
    predicates = [_run_filter(kind, spec) for spec in filters]

    matched = []
    for run in runs:
        updated = kind.last_updated(run)
        if updated is None or not after <= parse_time(updated) <= before:
            continue
        if all(predicate(run) for predicate in predicates):
            matched.append(run)
    matched = _sort_runs(kind, matched, body.get("orderBy"))

    fingerprint = query_fingerprint(body)
    token = body.get("continuationToken")
    offset = decode_token(token, fingerprint) if token else 0
    return RunQueryResult(matched, offset, fingerprint)


# --- ADLA job list (OData) ------------------------------------------------------------------

# Filterable and sortable JobInformationBasic properties. OData property names are
# case-sensitive, and the live service rejects `SubmitTime` with HTTP 400.
JOB_PROPERTIES = frozenset(
    {
        "jobId",
        "name",
        "type",
        "submitter",
        "degreeOfParallelism",
        "priority",
        "submitTime",
        "startTime",
        "endTime",
        "state",
        "result",
        "related/pipelineId",
        "related/pipelineName",
        "related/pipelineUri",
        "related/runId",
        "related/recurrenceId",
        "related/recurrenceName",
    }
)
_SELECTABLE = frozenset(name for name in JOB_PROPERTIES if "/" not in name) | {"related"}

_COMPARISON = re.compile(r"^(?P<field>[A-Za-z]+(?:/[A-Za-z]+)?)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<literal>.+)$")
_TYPED_LITERAL = re.compile(r"^(?P<type>guid|datetimeoffset|datetime)'(?P<text>[^']*)'$", re.IGNORECASE)


@dataclass(frozen=True)
class Literal:
    """An OData literal. `kind` is guid, datetime, string, number, bool or null."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str
    literal: Literal


@dataclass
class JobListQuery:
    """The parsed OData options of a job list request."""

    filters: list[Comparison] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    select: list[str] | None = None
    count: bool = False


def _split_conjunction(text: str) -> list[str]:
    """Split a $filter on ` and ` outside quoted strings. Rejects `or` and parentheses."""
    parts: list[str] = []
    current: list[str] = []
    in_quote = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "'":
            # Inside a string, '' is an escaped quote and does not end the string.
            if in_quote and text[index + 1 : index + 2] == "'":
                current.append("''")
                index += 2
                continue
            in_quote = not in_quote
        elif not in_quote:
            if char in "()":
                raise QueryError("This fake supports only comparisons joined by 'and', without parentheses.")
            rest = text[index:].lower()
            if rest.startswith(" or "):
                raise QueryError("This fake supports only comparisons joined by 'and', not 'or'.")
            if rest.startswith(" and "):
                parts.append("".join(current).strip())
                current = []
                index += len(" and ")
                continue
        current.append(char)
        index += 1
    if in_quote:
        raise QueryError(f"Unterminated string literal in $filter: {text!r}.")
    parts.append("".join(current).strip())
    return parts


def parse_literal(text: str) -> Literal:
    """Parse an OData literal such as guid'..', datetimeoffset'..', 'text', 12, true or null."""
    typed = _TYPED_LITERAL.match(text)
    if typed:
        literal_type = typed.group("type").lower()
        if literal_type == "guid":
            return Literal("guid", typed.group("text").casefold())
        try:
            return Literal("datetime", parse_time(typed.group("text")))
        except ValueError as error:
            raise QueryError(f"Invalid {literal_type} literal {text!r} in $filter.") from error
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return Literal("string", text[1:-1].replace("''", "'"))
    if text in ("true", "false"):
        return Literal("bool", text == "true")
    if text == "null":
        return Literal("null", None)
    if re.fullmatch(r"-?\d+", text):
        return Literal("number", int(text))
    raise QueryError(f"Unsupported literal {text!r} in $filter.")


def _property_error(name: str) -> QueryError:
    return QueryError(
        f"Could not find a property named '{name}' on type 'Microsoft.DataLakeAnalytics.JobContract.JobInformation'."
    )


def parse_filter(text: str) -> list[Comparison]:
    comparisons = []
    for part in _split_conjunction(text):
        match = _COMPARISON.match(part)
        if match is None:
            raise QueryError(f"Invalid $filter clause {part!r}. Expected '<property> <op> <literal>'.")
        if match.group("field") not in JOB_PROPERTIES:
            raise _property_error(match.group("field"))
        comparisons.append(Comparison(match.group("field"), match.group("op"), parse_literal(match.group("literal"))))
    return comparisons


def _parse_int(params: dict[str, str], name: str, minimum: int) -> int | None:
    if name not in params:
        return None
    try:
        value = int(params[name])
    except ValueError as error:
        raise QueryError(f"{name} must be an integer, got {params[name]!r}.") from error
    if value < minimum:
        raise QueryError(f"{name} must be at least {minimum}, got {value}.")
    return value


def parse_job_list_query(params: dict[str, str]) -> JobListQuery:
    """Parse $filter, $orderby, $top, $skip, $select and $count. Raises QueryError."""
    query = JobListQuery()
    if params.get("$filter"):
        query.filters = parse_filter(params["$filter"])
    for clause in filter(None, (c.strip() for c in params.get("$orderby", "").split(","))):
        words = clause.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(f"Invalid $orderby clause {clause!r}.")
        if words[0] not in JOB_PROPERTIES:
            raise _property_error(words[0])
        query.order_by.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    query.top = _parse_int(params, "$top", 1)
    query.skip = _parse_int(params, "$skip", 0) or 0
    if "$select" in params:
        query.select = [name.strip() for name in params["$select"].split(",") if name.strip()]
        for name in query.select:
            if name not in _SELECTABLE:
                raise _property_error(name)
    count = params.get("$count", "false").lower()
    if count not in ("true", "false"):
        raise QueryError(f"$count must be true or false, got {params['$count']!r}.")
    query.count = count == "true"
    return query


def _job_value(job: JSONDict, path: str) -> Any:
    value: Any = job
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _compare(actual: Any, operator: str, literal: Literal) -> bool:
    if literal.kind == "null":
        return (actual is None) == (operator == "eq")
    if actual is None:
        return operator == "ne"
    expected = literal.value
    if literal.kind == "datetime":
        actual = parse_time(actual) if isinstance(actual, str) else actual
    elif literal.kind == "guid":
        actual = str(actual).casefold()
    if operator == "eq":
        return bool(actual == expected)
    if operator == "ne":
        return bool(actual != expected)
    try:
        if operator == "gt":
            return bool(actual > expected)
        if operator == "ge":
            return bool(actual >= expected)
        if operator == "lt":
            return bool(actual < expected)
        return bool(actual <= expected)
    except TypeError as error:
        raise QueryError(f"Cannot compare {actual!r} with {literal.value!r}.") from error


def select_jobs(jobs: list[JSONDict], query: JobListQuery) -> list[JSONDict]:
    """Apply the $filter and $orderby of `query` to job list items."""
    matched = [
        job for job in jobs if all(_compare(_job_value(job, c.field), c.operator, c.literal) for c in query.filters)
    ]
    # Stable sorts applied from the last key to the first give a multi-key ordering.
    for path, descending in reversed(query.order_by):
        is_time = path in _TIME_FIELDS
        matched.sort(
            key=lambda job, path=path, is_time=is_time: _order_value(_job_value(job, path), is_time),
            reverse=descending,
        )
    return matched


def project_job(job: JSONDict, select: list[str] | None) -> JSONDict:
    """Keep only the $select properties of a job list item."""
    if select is None:
        return job
    return {name: job[name] for name in select if name in job}
