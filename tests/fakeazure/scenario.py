"""In-memory Azure state that FakeAzure serves, and builders for Azure-shaped payloads.

Builders return plain dicts in the JSON shape the services send, so a test can edit any
field afterwards (for example delete a key to simulate an older API response).
"""

from __future__ import annotations

import copy
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

JSONDict = dict[str, Any]
TimeValue = datetime | str

# ADF run statuses that have no runEnd/activityRunEnd yet.
RUNNING_STATUSES = frozenset({"Queued", "InProgress", "Canceling"})

ADLA_DNS_SUFFIX = "azuredatalakeanalytics.net"

_TIME_PATTERN = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)


def new_id() -> str:
    """Return a new random GUID string in the lower-case form Azure uses."""
    return str(uuid.uuid4())


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_arm_time(value: datetime) -> str:
    """Format a time like Data Factory does: UTC, 7 fractional digits, `Z` suffix.

    Azure stores 100 ns ticks, so the 7th digit is always 0 here because Python
    datetimes carry microseconds.
    """
    utc = _as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def format_adla_time(value: datetime) -> str:
    """Format a time like the ADLA job service does: UTC, 7 fractional digits, `+00:00`.

    Recorded ADLA responses (azure-cli and azure-sdk-for-python test cassettes, 2016 to
    2020) use a `+00:00` offset, not `Z`.
    """
    utc = _as_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0+00:00"


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time with any number of fractional digits into an aware datetime.

    A time without an offset is taken as UTC. Raises ValueError on anything else.
    """
    match = _TIME_PATTERN.match(text.strip())
    if match is None:
        raise ValueError(f"invalid ISO 8601 time: {text!r}")
    fraction = (match.group("fraction") or "").ljust(6, "0")[:6]
    zone = match.group("zone") or "+00:00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    return datetime.fromisoformat(f"{match.group('base')}.{fraction}{zone}")


def _to_datetime(value: TimeValue) -> datetime:
    return parse_time(value) if isinstance(value, str) else _as_utc(value)


def _arm_text(value: TimeValue | None) -> str | None:
    """Format a datetime for ADF. A string is passed through unchanged."""
    if value is None or isinstance(value, str):
        return value
    return format_arm_time(value)


def _adla_text(value: TimeValue | None) -> str | None:
    """Format a datetime for ADLA. A string is passed through unchanged."""
    if value is None or isinstance(value, str):
        return value
    return format_adla_time(value)


def _default_start() -> datetime:
    # Recent enough to fall inside the "last day" windows a CLI queries by default.
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


def _duration_ms(start: TimeValue | None, end: TimeValue | None) -> int | None:
    if start is None or end is None:
        return None
    delta = _to_datetime(end) - _to_datetime(start)
    return int(delta.total_seconds() * 1000)


# --- Azure Data Factory ------------------------------------------------------------------


def invoked_by(
    name: str = "Manual",
    invoked_by_type: str = "Manual",
    *,
    id: str | None = None,
    pipeline_name: str | None = None,
    pipeline_run_id: str | None = None,
) -> JSONDict:
    """Build a pipeline run's `invokedBy` block.

    For a child run started by an ExecutePipeline activity, pass
    `invoked_by_type="PipelineActivity"` with the parent's `pipeline_name` and
    `pipeline_run_id`.
    """
    block: JSONDict = {
        "id": id or uuid.uuid4().hex,
        "name": name,
        "invokedByType": invoked_by_type,
    }
    if pipeline_name is not None:
        block["pipelineName"] = pipeline_name
    if pipeline_run_id is not None:
        block["pipelineRunId"] = pipeline_run_id
    return block


def pipeline_run(
    pipeline_name: str,
    *,
    status: str = "Failed",
    run_id: str | None = None,
    run_start: TimeValue | None = None,
    run_end: TimeValue | None = None,
    duration: timedelta = timedelta(minutes=5),
    message: str = "",
    parameters: dict[str, str] | None = None,
    invoked: JSONDict | None = None,
    run_group_id: str | None = None,
    is_latest: bool = True,
    annotations: list[str] | None = None,
    run_dimensions: dict[str, str] | None = None,
    last_updated: TimeValue | None = None,
) -> JSONDict:
    """Build an ADF pipeline run as returned by PipelineRuns_Get (api-version 2018-06-01).

    Without `run_end`, a run in a running status (Queued, InProgress, Canceling) gets
    `runEnd: null` and `durationInMs: null`, and any other run ends `duration` after
    `run_start`. `lastUpdated` defaults to `runEnd`, or `runStart` while running.
    """
    run_id = run_id or new_id()
    start = run_start if run_start is not None else _default_start()
    end: TimeValue | None = run_end
    if end is None and status not in RUNNING_STATUSES:
        end = _to_datetime(start) + duration
    updated = last_updated
    if updated is None:
        updated = end if end is not None else start
    # NOTE: the 2018-06-01 swagger and the SDK model name this field `runDimensions`, but
    # the PipelineRuns_QueryByFactory example shows `runDimension`. Which one the live
    # service sends is unverified.
    return {
        "runId": run_id,
        "runGroupId": run_group_id or run_id,
        "isLatest": is_latest,
        "pipelineName": pipeline_name,
        "parameters": dict(parameters or {}),
        "invokedBy": invoked if invoked is not None else invoked_by(),
        "runStart": _arm_text(start),
        "runEnd": _arm_text(end),
        "durationInMs": _duration_ms(start, end),
        "status": status,
        "message": message,
        "lastUpdated": _arm_text(updated),
        "annotations": list(annotations or []),
        "runDimensions": dict(run_dimensions or {}),
    }


def activity_error(
    error_code: str = "",
    message: str = "",
    failure_type: str = "",
    target: str = "",
) -> JSONDict:
    """Build an activity run's `error` block. ADF sends empty strings for a run without error."""
    return {
        "errorCode": error_code,
        "message": message,
        "failureType": failure_type,
        "target": target,
    }


def activity_run(
    run: JSONDict,
    activity_name: str,
    activity_type: str = "DataLakeAnalyticsU-SQL",
    *,
    status: str = "Failed",
    activity_run_id: str | None = None,
    activity_run_start: TimeValue | None = None,
    activity_run_end: TimeValue | None = None,
    duration: timedelta = timedelta(minutes=2),
    linked_service_name: str = "",
    input: JSONDict | None = None,
    output: JSONDict | None = None,
    error: JSONDict | None = None,
    retry_attempt: int | None = None,
    user_properties: dict[str, str] | None = None,
    iteration_hash: str | None = None,
) -> JSONDict:
    """Build an ADF activity run, as listed by ActivityRuns_QueryByPipelineRun, inside `run`.

    `run` is a dict from pipeline_run(); its name and id fill pipelineName and
    pipelineRunId. The start defaults to 10 s after the pipeline run's start. The end
    follows the same rules as pipeline_run(). Without `error`, the block carries empty
    strings and the activity name as target, like ADF.
    """
    if activity_run_start is not None:
        start: TimeValue = activity_run_start
    else:
        start = _to_datetime(run["runStart"]) + timedelta(seconds=10)
    end: TimeValue | None = activity_run_end
    if end is None and status not in RUNNING_STATUSES:
        end = _to_datetime(start) + duration
    activity: JSONDict = {
        "activityRunId": activity_run_id or new_id(),
        "activityName": activity_name,
        "activityType": activity_type,
        "pipelineName": run["pipelineName"],
        "pipelineRunId": run["runId"],
        "linkedServiceName": linked_service_name,
        "status": status,
        "activityRunStart": _arm_text(start),
        "activityRunEnd": _arm_text(end),
        "durationInMs": _duration_ms(start, end),
        "retryAttempt": retry_attempt,
        "input": dict(input or {}),
        "output": dict(output or {}),
        "error": error if error is not None else activity_error(target=activity_name),
        "userProperties": dict(user_properties or {}),
    }
    if iteration_hash is not None:
        activity["iterationHash"] = iteration_hash
    return activity


def adla_linked_service(
    name: str,
    account: str,
    suffix: str = ADLA_DNS_SUFFIX,
    *,
    service_principal_id: str | None = None,
    tenant: str | None = None,
    subscription_id: str | None = None,
    resource_group_name: str | None = None,
    etag: str | None = None,
) -> JSONDict:
    """Build an `AzureDataLakeAnalytics` linked service as LinkedServices_Get returns it.

    ADF masks secure strings as `**********` in GET responses. The `id` is filled in by
    Factory.add_linked_service() because it depends on the factory's resource path.
    """
    type_properties: JSONDict = {
        "accountName": account,
        "dataLakeAnalyticsUri": suffix,
        "servicePrincipalId": service_principal_id or new_id(),
        "servicePrincipalKey": {"type": "SecureString", "value": "**********"},
        "tenant": tenant or new_id(),
    }
    if subscription_id is not None:
        type_properties["subscriptionId"] = subscription_id
    if resource_group_name is not None:
        type_properties["resourceGroupName"] = resource_group_name
    return {
        "name": name,
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {
            "type": "AzureDataLakeAnalytics",
            "typeProperties": type_properties,
        },
        "etag": etag or new_id(),
    }


# --- Azure Data Lake Analytics -------------------------------------------------------------


def usql_inner_error(
    error_id: str | None = None,
    message: str | None = None,
    *,
    severity: str | None = None,
    source: str | None = None,
    component: str | None = None,
    description: str | None = None,
    details: str | None = None,
    resolution: str | None = None,
    help_link: str | None = None,
    internal_diagnostics: str | None = None,
    diagnostic_code: int | None = None,
    inner_error: JSONDict | None = None,
) -> JSONDict:
    """Build a JobInnerError. Arguments left as None are omitted from the dict."""
    fields: JSONDict = {
        "errorId": error_id,
        "severity": severity,
        "source": source,
        "component": component,
        "message": message,
        "description": description,
        "details": details,
        "resolution": resolution,
        "helpLink": help_link,
        "internalDiagnostics": internal_diagnostics,
        "diagnosticCode": diagnostic_code,
        "innerError": inner_error,
    }
    return {key: value for key, value in fields.items() if value is not None}


def usql_error(
    error_id: str | None = None,
    message: str | None = None,
    *,
    severity: str | None = "Error",
    source: str | None = "USER",
    name: str | None = None,
    component: str | None = None,
    description: str | None = None,
    details: str | None = None,
    resolution: str | None = None,
    line_number: int | None = None,
    start_offset: int | None = None,
    end_offset: int | None = None,
    file_path: str | None = None,
    help_link: str | None = None,
    internal_diagnostics: str | None = None,
    inner_error: JSONDict | None = None,
) -> JSONDict:
    """Build one entry of a job's `errorMessage[]`.

    Arguments left as None are omitted, except `innerError`, which the live service sends
    as null when there is no inner error.
    """
    fields: JSONDict = {
        "errorId": error_id,
        "name": name,
        "severity": severity,
        "source": source,
        "component": component,
        "message": message,
        "description": description,
        "details": details,
        "resolution": resolution,
        "lineNumber": line_number,
        "startOffset": start_offset,
        "endOffset": end_offset,
        "filePath": file_path,
        "helpLink": help_link,
        "internalDiagnostics": internal_diagnostics,
    }
    entry = {key: value for key, value in fields.items() if value is not None}
    entry["innerError"] = inner_error
    return entry


def job_related(
    run_id: str,
    *,
    pipeline_id: str | None = None,
    pipeline_name: str | None = None,
    pipeline_uri: str | None = None,
    recurrence_id: str | None = None,
    recurrence_name: str | None = None,
) -> JSONDict:
    """Build a job's `related` block (JobRelationshipProperties) that links it to a pipeline."""
    fields: JSONDict = {
        "pipelineId": pipeline_id,
        "pipelineName": pipeline_name,
        "pipelineUri": pipeline_uri,
        "runId": run_id,
        "recurrenceId": recurrence_id,
        "recurrenceName": recurrence_name,
    }
    return {key: value for key, value in fields.items() if value is not None}


def state_audit_record(
    new_state: str,
    time_stamp: TimeValue,
    details: str | None = None,
    requested_by_user: str | None = None,
) -> JSONDict:
    """Build one JobStateAuditRecord."""
    record: JSONDict = {"newState": new_state, "timeStamp": _adla_text(time_stamp)}
    if requested_by_user is not None:
        record["requestedByUser"] = requested_by_user
    if details is not None:
        record["details"] = details
    return record


def _default_audit_records(
    submit: TimeValue, start: TimeValue | None, end: TimeValue | None, result: str
) -> list[JSONDict]:
    records = [
        state_audit_record("New", submit, "userName:;submitMachine:N/A"),
        state_audit_record("Compiling", _to_datetime(submit) + timedelta(seconds=1)),
    ]
    if start is not None:
        records.append(state_audit_record("Queued", _to_datetime(start) - timedelta(seconds=1)))
        records.append(state_audit_record("Running", start, "runAttempt:1"))
    if end is not None:
        records.append(state_audit_record("Ended", end, f"result:{result}"))
    return records


_DEFAULT_SCRIPT = "\n".join(
    [
        "@rows = SELECT * FROM (VALUES (1)) AS T(a);",
        'OUTPUT @rows TO "/out.csv" USING Outputters.Csv();',
    ]
)

# ADLA job states before a job reaches Running, so it has no startTime.
_NOT_STARTED_STATES = frozenset(
    {"Accepted", "New", "Compiling", "Queued", "Scheduling", "Starting", "WaitingForCapacity"}
)


def usql_job(
    *,
    job_id: str | None = None,
    name: str = "usql-job",
    state: str = "Ended",
    result: str = "Failed",
    submitter: str = "adf-service-principal@contoso.onmicrosoft.com",
    submit_time: TimeValue | None = None,
    start_time: TimeValue | None = None,
    end_time: TimeValue | None = None,
    errors: list[JSONDict] | None = None,
    state_audit_records: list[JSONDict] | None = None,
    script: str = _DEFAULT_SCRIPT,
    runtime_version: str = "default",
    error_source: str | None = None,
    started: bool = True,
    degree_of_parallelism: int = 1,
    priority: int = 1000,
    related: JSONDict | None = None,
    log_folder: str | None = None,
) -> JSONDict:
    """Build an ADLA U-SQL job (JobInformation) as the job service's GET returns it.

    Times default to a job submitted an hour ago that started 10 s later and, when
    `state` is Ended, ran for 1 minute. Pass `started=False` for a job that ended before
    it ran (a compile error or an early cancel), which then has no startTime. Without
    `state_audit_records`, a New/Compiling/Queued/Running/Ended sequence is derived from
    those times. `errors` becomes `errorMessage[]`. The key is omitted when None, as for
    a job without errors.
    """
    submit = submit_time if submit_time is not None else _default_start()
    start = start_time
    if start is None and started and state not in _NOT_STARTED_STATES:
        start = _to_datetime(submit) + timedelta(seconds=10)
    end = end_time
    if end is None and state == "Ended" and start is not None:
        end = _to_datetime(start) + timedelta(minutes=1)
    if end is None and state == "Ended":
        end = _to_datetime(submit) + timedelta(seconds=5)

    job: JSONDict = {
        "jobId": job_id or new_id(),
        "name": name,
        "type": "USql",
        "submitter": submitter,
        "degreeOfParallelism": degree_of_parallelism,
        "priority": priority,
        "submitTime": _adla_text(submit),
    }
    if start is not None:
        job["startTime"] = _adla_text(start)
    if end is not None:
        job["endTime"] = _adla_text(end)
    job["state"] = state
    job["result"] = result
    if errors is not None:
        job["errorMessage"] = list(errors)
    if log_folder is not None:
        job["logFolder"] = log_folder
    if state_audit_records is None:
        state_audit_records = _default_audit_records(submit, start, end, result)
    job["stateAuditRecords"] = list(state_audit_records)
    properties: JSONDict = {
        "owner": submitter,
        "runtimeVersion": runtime_version,
        "script": script,
        "type": "USql",
    }
    if error_source is not None:
        properties["errorSource"] = error_source
    job["properties"] = properties
    if related is not None:
        job["related"] = related
    return job


def job_list_item(job: JSONDict) -> JSONDict:
    """Return the JobInformationBasic view of a job, as the list operation returns it.

    Recorded list responses omit errorMessage, stateAuditRecords and the whole
    `properties` object (script included).
    """
    hidden = {"errorMessage", "stateAuditRecords", "properties", "logFolder", "logFilePatterns"}
    return {key: copy.deepcopy(value) for key, value in job.items() if key not in hidden}


# --- In-memory model ------------------------------------------------------------------------


def _key(name: str) -> str:
    # ARM resource names, ADF entity names and GUIDs compare case-insensitively.
    return name.casefold()


@dataclass
class Factory:
    """One Data Factory: its pipeline runs, activity runs and linked services."""

    subscription_id: str
    resource_group: str
    name: str
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    pipeline_runs: list[JSONDict] = field(default_factory=list)
    activity_runs: dict[str, list[JSONDict]] = field(default_factory=dict)
    linked_services: dict[str, JSONDict] = field(default_factory=dict)
    # Pipeline runs by lowercase run ID, so that a lookup in a factory of thousands of runs
    # (the sweep benchmark) does not scan them all.
    _runs_by_id: dict[str, JSONDict] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for run in self.pipeline_runs:
            self._runs_by_id.setdefault(_key(run["runId"]), run)

    @property
    def resource_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.DataFactory/factories/{self.name}"
        )

    def add_pipeline_run(self, run: JSONDict) -> JSONDict:
        with self.lock:
            self.pipeline_runs.append(run)
            self._runs_by_id.setdefault(_key(run["runId"]), run)
        return run

    def add_activity_run(self, activity: JSONDict) -> JSONDict:
        """Store an activity run under its `pipelineRunId`."""
        with self.lock:
            key = _key(activity["pipelineRunId"])
            self.activity_runs.setdefault(key, []).append(activity)
        return activity

    def add_linked_service(self, service: JSONDict) -> JSONDict:
        """Store a linked service, setting its `id` from this factory's resource id."""
        with self.lock:
            resource_id = f"{self.resource_id}/linkedservices/{service['name']}"
            stored = {"id": resource_id, **{k: v for k, v in service.items() if k != "id"}}
            self.linked_services[_key(service["name"])] = stored
        return stored

    def find_pipeline_run(self, run_id: str) -> JSONDict | None:
        with self.lock:
            run = self._runs_by_id.get(_key(run_id))
            return copy.deepcopy(run) if run is not None else None

    def list_pipeline_runs(self) -> list[JSONDict]:
        """Return the stored runs themselves, not copies: callers must copy what they change or send."""
        with self.lock:
            return list(self.pipeline_runs)

    def list_activity_runs(self, run_id: str) -> list[JSONDict]:
        """Return the stored activity runs themselves, not copies, as list_pipeline_runs does."""
        with self.lock:
            return list(self.activity_runs.get(_key(run_id), []))

    def find_linked_service(self, name: str) -> JSONDict | None:
        with self.lock:
            service = self.linked_services.get(_key(name))
            return copy.deepcopy(service) if service is not None else None


@dataclass
class AdlaAccount:
    """One ADLA account and its jobs.

    Set `reachable = False` to simulate a retired account: the server then closes the
    connection on every request to it without sending a response.
    """

    name: str
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    jobs: dict[str, JSONDict] = field(default_factory=dict)
    reachable: bool = True

    def add_job(self, job: JSONDict) -> JSONDict:
        with self.lock:
            self.jobs[_key(job["jobId"])] = job
        return job

    def find_job(self, job_id: str) -> JSONDict | None:
        with self.lock:
            job = self.jobs.get(_key(job_id))
            return copy.deepcopy(job) if job is not None else None

    def list_jobs(self) -> list[JSONDict]:
        with self.lock:
            return copy.deepcopy(list(self.jobs.values()))


class Scenario:
    """All fake Azure state: Data Factories keyed by (subscription, resource group, name)
    and ADLA accounts keyed by name. Lookups ignore case, like Azure."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._factories: dict[tuple[str, str, str], Factory] = {}
        self._accounts: dict[str, AdlaAccount] = {}

    def factory(self, subscription_id: str, resource_group: str, name: str) -> Factory:
        """Return the factory with this path, creating an empty one if it does not exist."""
        key = (_key(subscription_id), _key(resource_group), _key(name))
        with self._lock:
            if key not in self._factories:
                self._factories[key] = Factory(subscription_id, resource_group, name)
            return self._factories[key]

    def find_factory(self, subscription_id: str, resource_group: str, name: str) -> Factory | None:
        key = (_key(subscription_id), _key(resource_group), _key(name))
        with self._lock:
            return self._factories.get(key)

    def adla_account(self, name: str) -> AdlaAccount:
        """Return the ADLA account with this name, creating an empty one if it does not exist."""
        with self._lock:
            if _key(name) not in self._accounts:
                self._accounts[_key(name)] = AdlaAccount(name)
            return self._accounts[_key(name)]

    def find_adla_account(self, name: str) -> AdlaAccount | None:
        with self._lock:
            return self._accounts.get(_key(name))
