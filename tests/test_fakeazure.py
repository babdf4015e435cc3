"""Tests of the fake Azure service itself: routes, paging, filters, faults and SDK interop."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakeazure import (
    FakeAzure,
    Scenario,
    activity_error,
    activity_run,
    adla_linked_service,
    format_arm_time,
    job_related,
    parse_time,
    pipeline_run,
    usql_error,
    usql_inner_error,
    usql_job,
)

SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
GROUP = "rg-data"
FACTORY = "adf-contoso"
ACCOUNT = "contosoadla"
BASE_TIME = datetime(2024, 3, 5, 6, 0, tzinfo=timezone.utc)
WINDOW = {
    "lastUpdatedAfter": format_arm_time(BASE_TIME - timedelta(days=1)),
    "lastUpdatedBefore": format_arm_time(BASE_TIME + timedelta(days=1)),
}
ARM_VERSION = {"api-version": "2018-06-01"}
ADLA_VERSION = {"api-version": "2016-11-01"}
ARM_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
ADLA_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}\+00:00$")


def build_scenario() -> tuple[Scenario, dict[str, Any]]:
    """Build a factory with five pipeline runs and an ADLA account with four jobs."""
    scenario = Scenario()
    factory = scenario.factory(SUBSCRIPTION, GROUP, FACTORY)
    runs = [
        pipeline_run("Ingest", status="Succeeded", run_start=BASE_TIME),
        pipeline_run("Ingest", status="Failed", run_start=BASE_TIME + timedelta(hours=1)),
        pipeline_run("Transform", status="Failed", run_start=BASE_TIME + timedelta(hours=2)),
        pipeline_run("Transform", status="InProgress", run_start=BASE_TIME + timedelta(hours=3)),
        pipeline_run("Export", status="Cancelled", run_start=BASE_TIME + timedelta(hours=4)),
    ]
    for run in runs:
        factory.add_pipeline_run(run)
    # Outside the query window used by the tests.
    old_run = factory.add_pipeline_run(pipeline_run("Ingest", status="Failed", run_start=BASE_TIME - timedelta(days=3)))

    failed = runs[2]
    activities = [
        activity_run(failed, "Lookup", "Lookup", status="Succeeded"),
        activity_run(
            failed,
            "RunUsql",
            linked_service_name="AdlaService",
            activity_run_start=BASE_TIME + timedelta(hours=2, minutes=1),
            error=activity_error("2703", "U-SQL job failed.", "UserError", "RunUsql"),
        ),
        activity_run(
            failed,
            "CopyOut",
            "Copy",
            status="Cancelled",
            activity_run_start=BASE_TIME + timedelta(hours=2, minutes=5),
        ),
    ]
    for activity in activities:
        factory.add_activity_run(activity)
    factory.add_linked_service(
        adla_linked_service("AdlaService", ACCOUNT, subscription_id=SUBSCRIPTION, resource_group_name=GROUP)
    )

    account = scenario.adla_account(ACCOUNT)
    inner = usql_inner_error("E_RUNTIME_USER_ROWTOOBIG", "Row too big.", severity="Error", source="USER")
    failed_job = account.add_job(
        usql_job(
            name="transform-daily",
            submit_time=BASE_TIME + timedelta(hours=2, minutes=1, seconds=5),
            errors=[
                usql_error(
                    "E_RUNTIME_USER_STRINGTOOLONG",
                    "String size exceeds the maximum allowed size.",
                    line_number=12,
                    start_offset=340,
                    end_offset=355,
                    inner_error=inner,
                )
            ],
            related=job_related(failed["runId"], pipeline_name="Transform"),
        )
    )
    other_jobs = [
        usql_job(name="ingest-a", result="Succeeded", submit_time=BASE_TIME + timedelta(minutes=2)),
        usql_job(name="ingest b and c", result="Succeeded", submit_time=BASE_TIME + timedelta(hours=1)),
        usql_job(
            name="early-cancel",
            result="Cancelled",
            started=False,
            submit_time=BASE_TIME + timedelta(hours=5),
        ),
    ]
    for job in other_jobs:
        account.add_job(job)
    return scenario, {
        "runs": runs,
        "old_run": old_run,
        "activities": activities,
        "failed_job": failed_job,
        "jobs": [failed_job, *other_jobs],
    }


@pytest.fixture
def world() -> Iterator[tuple[FakeAzure, dict[str, Any]]]:
    scenario, data = build_scenario()
    with FakeAzure(scenario) as server:
        yield server, data


@pytest.fixture
def server(world: tuple[FakeAzure, dict[str, Any]]) -> FakeAzure:
    return world[0]


@pytest.fixture
def data(world: tuple[FakeAzure, dict[str, Any]]) -> dict[str, Any]:
    return world[1]


@pytest.fixture
def http(server: FakeAzure) -> Iterator[requests.Session]:
    session = requests.Session()
    # With trust_env on, CURL_CA_BUNDLE or REQUESTS_CA_BUNDLE in the environment would
    # override session.verify.
    session.trust_env = False
    session.verify = server.ca_bundle
    session.headers["Authorization"] = "Bearer test-token"
    yield session
    session.close()


def factory_url(server: FakeAzure, suffix: str) -> str:
    return (
        f"{server.arm_endpoint}/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
        f"/providers/Microsoft.DataFactory/factories/{FACTORY}{suffix}"
    )


def jobs_url(server: FakeAzure, suffix: str = "") -> str:
    return f"{server.adla_endpoint(ACCOUNT)}/jobs{suffix}"


def query_runs(http: requests.Session, server: FakeAzure, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Page through queryPipelineRuns and return all runs."""
    runs: list[dict[str, Any]] = []
    request = dict(body)
    for _ in range(100):
        response = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=request)
        assert response.status_code == 200, response.text
        page = response.json()
        runs.extend(page["value"])
        if not page.get("continuationToken"):
            return runs
        request["continuationToken"] = page["continuationToken"]
    raise AssertionError("paging did not finish within 100 pages")


def list_jobs(http: requests.Session, url: str, params: dict[str, str] | None) -> list[dict[str, Any]]:
    """Follow nextLink through the job list and return all jobs."""
    jobs: list[dict[str, Any]] = []
    next_url: str | None = url
    for _ in range(100):
        assert next_url is not None
        response = http.get(next_url, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        jobs.extend(page["value"])
        next_url = page.get("nextLink")
        params = None
        if next_url is None:
            return jobs
    raise AssertionError("paging did not finish within 100 pages")


# --- builders -------------------------------------------------------------------------------


def test_builders_format_times_like_azure() -> None:
    run = pipeline_run("P", run_start=BASE_TIME)
    job = usql_job(submit_time=BASE_TIME)

    assert ARM_TIME.match(run["runStart"])
    assert ARM_TIME.match(run["runEnd"])
    assert ARM_TIME.match(run["lastUpdated"])
    assert ADLA_TIME.match(job["submitTime"])
    assert all(ADLA_TIME.match(record["timeStamp"]) for record in job["stateAuditRecords"])
    assert parse_time(run["runStart"]) == BASE_TIME
    assert parse_time("2024-03-05T06:00:00.1234567Z") == BASE_TIME + timedelta(microseconds=123456)


def test_running_pipeline_has_no_end() -> None:
    run = pipeline_run("P", status="InProgress", run_start=BASE_TIME)

    assert run["runEnd"] is None
    assert run["durationInMs"] is None
    assert run["lastUpdated"] == run["runStart"]


def test_unstarted_job_lacks_start_time() -> None:
    job = usql_job(started=False, result="Cancelled", submit_time=BASE_TIME)

    assert "startTime" not in job
    assert "endTime" in job
    assert [record["newState"] for record in job["stateAuditRecords"]] == ["New", "Compiling", "Ended"]


def test_usql_error_omits_unset_fields() -> None:
    error = usql_error("E_X", "boom")

    assert error == {"errorId": "E_X", "severity": "Error", "source": "USER", "message": "boom", "innerError": None}


# --- Data Factory routes ------------------------------------------------------------------


def test_get_pipeline_run(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    run = data["runs"][1]

    response = http.get(factory_url(server, f"/pipelineruns/{run['runId']}"), params=ARM_VERSION)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["x-ms-request-id"]
    assert response.json() == run


def test_arm_paths_ignore_case(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    run_id = data["runs"][0]["runId"]
    url = (
        f"{server.arm_endpoint}/SUBSCRIPTIONS/{SUBSCRIPTION}/resourcegroups/{GROUP.upper()}"
        f"/providers/microsoft.datafactory/FACTORIES/{FACTORY.upper()}/PipelineRuns/{run_id.upper()}"
    )

    response = http.get(url, params=ARM_VERSION)

    assert response.status_code == 200
    assert response.json()["runId"] == run_id


def test_unknown_pipeline_run_is_404(server: FakeAzure, http: requests.Session) -> None:
    response = http.get(factory_url(server, "/pipelineruns/does-not-exist"), params=ARM_VERSION)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PipelineRunNotFound"


def test_unknown_factory_is_404(server: FakeAzure, http: requests.Session) -> None:
    url = (
        f"{server.arm_endpoint}/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
        "/providers/Microsoft.DataFactory/factories/nope/pipelineruns/x"
    )

    response = http.get(url, params=ARM_VERSION)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceNotFound"


def test_unknown_route_is_404(server: FakeAzure, http: requests.Session) -> None:
    response = http.get(f"{server.arm_endpoint}/subscriptions/{SUBSCRIPTION}/whatever", params=ARM_VERSION)

    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message"}
    assert server.count("unmatched") == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MissingApiVersionParameter"),
        ({"api-version": "2017-09-01-preview"}, "InvalidApiVersionParameter"),
    ],
)
def test_arm_api_version_is_checked(
    server: FakeAzure, data: dict[str, Any], http: requests.Session, params: dict[str, str], code: str
) -> None:
    response = http.get(factory_url(server, f"/pipelineruns/{data['runs'][0]['runId']}"), params=params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Basic dXNlcjpwYXNz"])
def test_missing_bearer_token_is_401(server: FakeAzure, data: dict[str, Any], authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    arm = requests.get(
        factory_url(server, f"/pipelineruns/{data['runs'][0]['runId']}"),
        params=ARM_VERSION,
        headers=headers,
        verify=server.ca_bundle,
    )
    adla = requests.get(jobs_url(server), params=ADLA_VERSION, headers=headers, verify=server.ca_bundle)

    assert arm.status_code == 401
    assert arm.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert adla.status_code == 401


def test_pipeline_query_pages_to_end(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.page_size = 2

    runs = query_runs(http, server, WINDOW)

    assert [run["runId"] for run in runs] == [run["runId"] for run in data["runs"]]
    assert server.count("query_pipeline_runs") == 3


def test_last_page_omits_token(server: FakeAzure, http: requests.Session) -> None:
    response = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=WINDOW)

    assert response.status_code == 200
    assert len(response.json()["value"]) == 5
    assert "continuationToken" not in response.json()


def test_pipeline_query_window(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    wide = {
        "lastUpdatedAfter": format_arm_time(BASE_TIME - timedelta(days=10)),
        "lastUpdatedBefore": format_arm_time(BASE_TIME - timedelta(days=2)),
    }

    runs = query_runs(http, server, wide)

    assert [run["runId"] for run in runs] == [data["old_run"]["runId"]]


@pytest.mark.parametrize(
    ("filters", "expected_indexes"),
    [
        ([{"operand": "PipelineName", "operator": "Equals", "values": ["Transform"]}], [2, 3]),
        ([{"operand": "pipelinename", "operator": "Equals", "values": ["transform"]}], [2, 3]),
        ([{"operand": "Status", "operator": "In", "values": ["Failed", "Cancelled"]}], [1, 2, 4]),
        ([{"operand": "Status", "operator": "NotEquals", "values": ["Failed"]}], [0, 3, 4]),
        ([{"operand": "PipelineName", "operator": "NotIn", "values": ["Ingest", "Export"]}], [2, 3]),
        (
            [
                {"operand": "PipelineName", "operator": "Equals", "values": ["Ingest"]},
                {"operand": "Status", "operator": "Equals", "values": ["Failed"]},
            ],
            [1],
        ),
    ],
)
def test_pipeline_query_filters(
    server: FakeAzure,
    data: dict[str, Any],
    http: requests.Session,
    filters: list[dict[str, Any]],
    expected_indexes: list[int],
) -> None:
    runs = query_runs(http, server, {**WINDOW, "filters": filters})

    assert [run["runId"] for run in runs] == [data["runs"][i]["runId"] for i in expected_indexes]


def test_pipeline_query_run_group(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    group = data["runs"][3]["runGroupId"]
    filters = [{"operand": "RunGroupId", "operator": "Equals", "values": [group]}]

    runs = query_runs(http, server, {**WINDOW, "filters": filters})

    assert [run["runId"] for run in runs] == [data["runs"][3]["runId"]]


@pytest.mark.parametrize(
    ("order_by", "expected_indexes"),
    [
        ([{"orderBy": "RunStart", "order": "DESC"}], [4, 3, 2, 1, 0]),
        ([{"orderBy": "RunStart", "order": "ASC"}], [0, 1, 2, 3, 4]),
        ([{"orderBy": "PipelineName", "order": "ASC"}, {"orderBy": "RunStart", "order": "DESC"}], [4, 1, 0, 3, 2]),
        # A run still in progress has runEnd null, which sorts last in ascending order.
        ([{"orderBy": "RunEnd", "order": "ASC"}], [0, 1, 2, 4, 3]),
    ],
)
def test_pipeline_query_order_by(
    server: FakeAzure,
    data: dict[str, Any],
    http: requests.Session,
    order_by: list[dict[str, str]],
    expected_indexes: list[int],
) -> None:
    server.page_size = 2

    runs = query_runs(http, server, {**WINDOW, "orderBy": order_by})

    assert [run["runId"] for run in runs] == [data["runs"][i]["runId"] for i in expected_indexes]


@pytest.mark.parametrize(
    "body",
    [
        {"lastUpdatedBefore": WINDOW["lastUpdatedBefore"]},
        {**WINDOW, "lastUpdatedAfter": "yesterday"},
        {**WINDOW, "filters": [{"operand": "Color", "operator": "Equals", "values": ["red"]}]},
        {**WINDOW, "filters": [{"operand": "Status", "operator": "Like", "values": ["F%"]}]},
        {**WINDOW, "filters": [{"operand": "Status", "operator": "Equals", "values": ["A", "B"]}]},
        {**WINDOW, "orderBy": [{"orderBy": "Color", "order": "ASC"}]},
        {**WINDOW, "continuationToken": "not-a-token"},
    ],
)
def test_pipeline_query_invalid_body(server: FakeAzure, http: requests.Session, body: dict[str, Any]) -> None:
    response = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=body)

    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_query_rejects_non_json_body(server: FakeAzure, http: requests.Session) -> None:
    response = http.post(
        factory_url(server, "/queryPipelineRuns"),
        params=ARM_VERSION,
        data="{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert server.requests[-1].text == "{not json"


def test_continuation_token_bound_to_query(server: FakeAzure, http: requests.Session) -> None:
    server.page_size = 1
    first = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=WINDOW).json()
    changed = {
        **WINDOW,
        "filters": [{"operand": "Status", "operator": "Equals", "values": ["Failed"]}],
        "continuationToken": first["continuationToken"],
    }

    response = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=changed)

    assert response.status_code == 400


def test_query_activity_runs(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    run_id = data["runs"][2]["runId"]
    url = factory_url(server, f"/pipelineruns/{run_id}/queryActivityruns")
    filters = [{"operand": "ActivityType", "operator": "Equals", "values": ["DataLakeAnalyticsU-SQL"]}]

    every = http.post(url, params=ARM_VERSION, json=WINDOW)
    usql = http.post(url, params=ARM_VERSION, json={**WINDOW, "filters": filters})

    assert every.status_code == 200
    assert [a["activityName"] for a in every.json()["value"]] == ["Lookup", "RunUsql", "CopyOut"]
    assert usql.json()["value"] == [data["activities"][1]]
    assert usql.json()["value"][0]["error"]["errorCode"] == "2703"


def test_activity_query_window_and_status(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    run_id = data["runs"][2]["runId"]
    url = factory_url(server, f"/pipelineruns/{run_id}/queryActivityruns")
    # Lookup and RunUsql end before this window opens; CopyOut ends inside it.
    window = {
        "lastUpdatedAfter": format_arm_time(BASE_TIME + timedelta(hours=2, minutes=6)),
        "lastUpdatedBefore": format_arm_time(BASE_TIME + timedelta(hours=3)),
    }
    status_filter = [{"operand": "Status", "operator": "NotIn", "values": ["Succeeded", "Cancelled"]}]

    in_window = http.post(url, params=ARM_VERSION, json=window).json()["value"]
    not_finished_ok = http.post(url, params=ARM_VERSION, json={**WINDOW, "filters": status_filter}).json()["value"]

    assert [a["activityName"] for a in in_window] == ["CopyOut"]
    assert [a["activityName"] for a in not_finished_ok] == ["RunUsql"]


def test_activity_query_order_and_pages(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.page_size = 2
    run_id = data["runs"][2]["runId"]
    url = factory_url(server, f"/pipelineruns/{run_id}/queryActivityruns")
    body: dict[str, Any] = {**WINDOW, "orderBy": [{"orderBy": "ActivityName", "order": "ASC"}]}

    first = http.post(url, params=ARM_VERSION, json=body).json()
    second = http.post(url, params=ARM_VERSION, json={**body, "continuationToken": first["continuationToken"]}).json()

    assert [a["activityName"] for a in first["value"]] == ["CopyOut", "Lookup"]
    assert [a["activityName"] for a in second["value"]] == ["RunUsql"]
    assert second.get("continuationToken") is None


def test_activity_query_unknown_run(server: FakeAzure, http: requests.Session) -> None:
    url = factory_url(server, "/pipelineruns/unknown-run/queryActivityruns")

    response = http.post(url, params=ARM_VERSION, json=WINDOW)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "PipelineRunNotFound"


def test_get_linked_service(server: FakeAzure, http: requests.Session) -> None:
    response = http.get(factory_url(server, "/linkedservices/adlaservice"), params=ARM_VERSION)

    body = response.json()
    assert response.status_code == 200
    assert body["id"] == (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.DataFactory"
        f"/factories/{FACTORY}/linkedservices/AdlaService"
    )
    assert body["type"] == "Microsoft.DataFactory/factories/linkedservices"
    assert body["properties"]["type"] == "AzureDataLakeAnalytics"
    type_properties = body["properties"]["typeProperties"]
    assert type_properties["accountName"] == ACCOUNT
    assert type_properties["dataLakeAnalyticsUri"] == "azuredatalakeanalytics.net"
    assert type_properties["servicePrincipalKey"] == {"type": "SecureString", "value": "**********"}
    assert type_properties["subscriptionId"] == SUBSCRIPTION
    assert body["etag"]


def test_unknown_linked_service_is_404(server: FakeAzure, http: requests.Session) -> None:
    response = http.get(factory_url(server, "/linkedservices/missing"), params=ARM_VERSION)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceNotFound"


# --- Data Lake Analytics routes -----------------------------------------------------------


@pytest.mark.parametrize("version", ["2016-11-01", "2017-09-01-preview"])
def test_get_job(server: FakeAzure, data: dict[str, Any], http: requests.Session, version: str) -> None:
    job = data["failed_job"]

    response = http.get(jobs_url(server, f"/{job['jobId']}"), params={"api-version": version})

    body = response.json()
    assert response.status_code == 200
    assert body == job
    assert body["errorMessage"][0]["innerError"]["errorId"] == "E_RUNTIME_USER_ROWTOOBIG"
    assert body["properties"]["type"] == "USql"
    assert body["properties"]["script"]
    assert body["stateAuditRecords"][-1]["newState"] == "Ended"


def test_get_job_errors(server: FakeAzure, http: requests.Session) -> None:
    missing_job = http.get(jobs_url(server, "/00000000-0000-0000-0000-000000000000"), params=ADLA_VERSION)
    missing_account = http.get(f"{server.adla_endpoint('nosuch')}/jobs/x", params=ADLA_VERSION)
    no_version = http.get(jobs_url(server, "/x"))
    arm_version = http.get(jobs_url(server, "/x"), params=ARM_VERSION)

    assert missing_job.status_code == 404
    assert missing_job.json()["error"]["code"] == "JobNotFound"
    assert missing_account.status_code == 404
    assert no_version.status_code == 400
    assert arm_version.status_code == 400


def test_unreachable_account_closes_connection(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.scenario.adla_account(ACCOUNT).reachable = False

    with pytest.raises(requests.ConnectionError):
        http.get(jobs_url(server, f"/{data['failed_job']['jobId']}"), params=ADLA_VERSION)

    assert server.count("get_job") == 1


def test_list_jobs_hides_detail_fields(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    jobs = list_jobs(http, jobs_url(server), ADLA_VERSION)

    assert [job["jobId"] for job in jobs] == [job["jobId"] for job in data["jobs"]]
    for job in jobs:
        assert "errorMessage" not in job
        assert "stateAuditRecords" not in job
        assert "properties" not in job
        assert job["submitTime"]


@pytest.mark.parametrize(
    ("odata_filter", "expected_names"),
    [
        ("related/runId eq guid'{run_id}'", ["transform-daily"]),
        ("related/runId eq guid'{run_id_upper}'", ["transform-daily"]),
        ("name eq 'ingest-a'", ["ingest-a"]),
        ("name eq 'ingest b and c'", ["ingest b and c"]),
        ("result ne 'Succeeded'", ["transform-daily", "early-cancel"]),
        ("submitTime ge datetimeoffset'{hour_one}'", ["transform-daily", "ingest b and c", "early-cancel"]),
        (
            "submitTime ge datetimeoffset'{hour_one}' and submitTime le datetimeoffset'{hour_three}'",
            ["transform-daily", "ingest b and c"],
        ),
        (
            "submitTime ge datetimeoffset'{hour_one}' and result eq 'Failed' and related/runId eq guid'{run_id}'",
            ["transform-daily"],
        ),
        ("related/runId eq null", ["ingest-a", "ingest b and c", "early-cancel"]),
    ],
)
def test_list_jobs_filters(
    server: FakeAzure,
    data: dict[str, Any],
    http: requests.Session,
    odata_filter: str,
    expected_names: list[str],
) -> None:
    run_id = data["runs"][2]["runId"]
    text = odata_filter.format(
        run_id=run_id,
        run_id_upper=run_id.upper(),
        hour_one=(BASE_TIME + timedelta(hours=1)).isoformat(),
        hour_three=format_arm_time(BASE_TIME + timedelta(hours=3)),
    )

    jobs = list_jobs(http, jobs_url(server), {**ADLA_VERSION, "$filter": text})

    assert [job["name"] for job in jobs] == expected_names


@pytest.mark.parametrize(
    "odata_filter",
    [
        "SubmitTime ge datetimeoffset'2024-03-05T00:00:00Z'",
        "name eq 'a' or name eq 'b'",
        "(name eq 'a')",
        "name eq 'unterminated",
        "name startswith 'a'",
        "submitTime ge datetimeoffset'not-a-time'",
    ],
)
def test_list_jobs_rejects_invalid_filter(server: FakeAzure, http: requests.Session, odata_filter: str) -> None:
    response = http.get(jobs_url(server), params={**ADLA_VERSION, "$filter": odata_filter})

    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_list_jobs_pages_with_next_link(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.adla_page_size = 1
    params = {**ADLA_VERSION, "$filter": "result ne 'Failed'", "$orderby": "submitTime desc"}

    jobs = list_jobs(http, jobs_url(server), params)

    assert [job["name"] for job in jobs] == ["early-cancel", "ingest b and c", "ingest-a"]
    assert server.count("list_jobs") == 3
    next_requests = [r for r in server.requests if r.route == "list_jobs"][1:]
    assert all(r.query["$filter"] == "result ne 'Failed'" for r in next_requests)
    assert all(r.query["api-version"] == "2016-11-01" for r in next_requests)


def test_list_jobs_top_skip_select_count(server: FakeAzure, http: requests.Session) -> None:
    server.adla_page_size = 1
    params = {
        **ADLA_VERSION,
        "$orderby": "submitTime asc",
        "$skip": "1",
        "$top": "2",
        "$select": "jobId,name",
        "$count": "true",
    }

    first = http.get(jobs_url(server), params=params).json()
    second = http.get(first["nextLink"]).json()

    assert [job["name"] for job in first["value"] + second["value"]] == ["ingest b and c", "transform-daily"]
    assert set(first["value"][0]) == {"jobId", "name"}
    assert first["count"] == 4
    assert "nextLink" not in second


# --- faults ---------------------------------------------------------------------------------


def test_status_fault_with_retry_after(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("get_pipeline_run", "status", times=2, status=429, retry_after=3)
    url = factory_url(server, f"/pipelineruns/{data['runs'][0]['runId']}")

    responses = [http.get(url, params=ARM_VERSION) for _ in range(3)]

    assert [r.status_code for r in responses] == [429, 429, 200]
    assert responses[0].headers["Retry-After"] == "3"
    assert responses[0].json()["error"]["code"] == "TooManyRequests"
    assert server.faults.pending() == []


def test_status_fault_custom_body(server: FakeAzure, http: requests.Session) -> None:
    server.faults.add("list_jobs", "status", status=503, body={"message": "down"})

    response = http.get(jobs_url(server), params=ADLA_VERSION)

    assert response.status_code == 503
    assert response.json() == {"message": "down"}


def test_faults_apply_in_order(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("*", "status", status=500)
    server.faults.add("get_job", "status", status=502)
    job_url = jobs_url(server, f"/{data['failed_job']['jobId']}")

    statuses = [http.get(job_url, params=ADLA_VERSION).status_code for _ in range(3)]

    assert statuses == [500, 502, 200]


def test_fault_for_other_route_is_kept(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("list_jobs", "status", status=500)

    job = http.get(jobs_url(server, f"/{data['failed_job']['jobId']}"), params=ADLA_VERSION)

    assert job.status_code == 200
    assert len(server.faults.pending()) == 1


def test_reset_fault(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("get_job", "reset")
    url = jobs_url(server, f"/{data['failed_job']['jobId']}")

    with pytest.raises(requests.ConnectionError):
        http.get(url, params=ADLA_VERSION)
    after = http.get(url, params=ADLA_VERSION)

    assert after.status_code == 200


def test_hang_fault_triggers_read_timeout(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("get_pipeline_run", "hang", seconds=5)
    url = factory_url(server, f"/pipelineruns/{data['runs'][0]['runId']}")

    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        http.get(url, params=ARM_VERSION, timeout=0.5)

    assert time.monotonic() - started < 4


def test_malformed_json_fault(server: FakeAzure, http: requests.Session) -> None:
    server.faults.add("query_pipeline_runs", "malformed_json")

    response = http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=WINDOW)

    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_wrong_shape_fault(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("get_job", "wrong_shape")

    response = http.get(jobs_url(server, f"/{data['failed_job']['jobId']}"), params=ADLA_VERSION)

    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_repeat_token_fault_adf(server: FakeAzure, http: requests.Session) -> None:
    server.page_size = 2
    server.faults.add("query_pipeline_runs", "repeat_token", times=None)
    url = factory_url(server, "/queryPipelineRuns")

    first = http.post(url, params=ARM_VERSION, json=WINDOW).json()
    second = http.post(url, params=ARM_VERSION, json={**WINDOW, "continuationToken": first["continuationToken"]})
    third = http.post(url, params=ARM_VERSION, json={**WINDOW, "continuationToken": second.json()["continuationToken"]})

    assert second.json()["continuationToken"] == first["continuationToken"]
    assert third.json()["continuationToken"] == first["continuationToken"]
    assert second.json()["value"] == first["value"]


def test_repeat_token_fault_adla(server: FakeAzure, http: requests.Session) -> None:
    server.adla_page_size = 1
    server.faults.add("list_jobs", "repeat_token", times=None)

    first = http.get(jobs_url(server), params=ADLA_VERSION).json()
    second = http.get(first["nextLink"]).json()

    assert second["nextLink"] == first["nextLink"]
    assert second["value"] == first["value"]


def test_empty_page_fault_adf(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.page_size = 2
    server.faults.add("query_pipeline_runs", "empty_page_with_token")

    runs = query_runs(http, server, WINDOW)

    assert [run["runId"] for run in runs] == [run["runId"] for run in data["runs"]]
    assert server.count("query_pipeline_runs") == 4


def test_empty_page_fault_adla(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.faults.add("list_jobs", "empty_page_with_token")

    first = http.get(jobs_url(server), params=ADLA_VERSION).json()
    jobs = list_jobs(http, first["nextLink"], None)

    assert first["value"] == []
    assert len(jobs) == len(data["jobs"])


@pytest.mark.parametrize(
    ("route", "kind", "params"),
    [
        ("no_such_route", "status", {}),
        ("get_job", "explode", {}),
        ("get_job", "hang", {"status": 500}),
        ("get_job", "repeat_token", {}),
        ("get_job", "status", {"times": 0}),
    ],
)
def test_invalid_fault_is_rejected(server: FakeAzure, route: str, kind: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        server.faults.add(route, kind, **params)


# --- server behaviour -----------------------------------------------------------------------


def test_requests_are_recorded(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    http.post(factory_url(server, "/queryPipelineRuns"), params=ARM_VERSION, json=WINDOW)
    http.get(jobs_url(server), params={**ADLA_VERSION, "$top": "1"})

    recorded = server.requests
    assert [r.route for r in recorded] == ["query_pipeline_runs", "list_jobs"]
    assert recorded[0].method == "POST"
    assert recorded[0].json == WINDOW
    assert recorded[1].json is None
    assert recorded[1].text == ""
    assert recorded[0].query == ARM_VERSION
    assert recorded[1].query == {**ADLA_VERSION, "$top": "1"}
    assert all("authorization" not in {name.lower() for name in r.headers} for r in recorded)
    assert server.request_counts == {"query_pipeline_runs": 1, "list_jobs": 1}


def test_latency_delays_each_request(server: FakeAzure, data: dict[str, Any], http: requests.Session) -> None:
    server.latency = 0.2
    url = jobs_url(server, f"/{data['failed_job']['jobId']}")

    started = time.monotonic()
    response = http.get(url, params=ADLA_VERSION)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


def test_serves_requests_concurrently(server: FakeAzure, data: dict[str, Any]) -> None:
    server.latency = 0.5
    url = jobs_url(server, f"/{data['failed_job']['jobId']}")

    def fetch(_: int) -> int:
        with requests.Session() as session:
            response = session.get(
                url, params=ADLA_VERSION, headers={"Authorization": "Bearer t"}, verify=server.ca_bundle
            )
            return response.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(fetch, range(8)))

    assert statuses == [200] * 8
    # Serial handling would take 8 x 0.5 s.
    assert time.monotonic() - started < 3


def test_stop_ends_hanging_request() -> None:
    scenario, built = build_scenario()
    server = FakeAzure(scenario).start()
    server.faults.add("get_job", "hang", seconds=60)
    url = jobs_url(server, f"/{built['failed_job']['jobId']}")
    outcome: list[BaseException | int] = []

    def fetch() -> None:
        try:
            outcome.append(
                requests.get(
                    url, params=ADLA_VERSION, headers={"Authorization": "Bearer t"}, verify=server.ca_bundle
                ).status_code
            )
        except requests.RequestException as error:
            outcome.append(error)

    client = threading.Thread(target=fetch)
    client.start()
    time.sleep(0.3)
    started = time.monotonic()
    server.stop()
    client.join(timeout=10)

    assert not client.is_alive()
    assert time.monotonic() - started < 10
    assert len(outcome) == 1


def test_untrusted_client_is_rejected(server: FakeAzure) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(jobs_url(server), params=ADLA_VERSION, headers={"Authorization": "Bearer t"}, verify=True)


# --- paging property ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeAzure]:
    scenario, _ = build_scenario()
    with FakeAzure(scenario) as server:
        yield server


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page_size=st.integers(min_value=1, max_value=7), adla_page_size=st.integers(min_value=1, max_value=5))
def test_paging_returns_every_item_once(shared_server: FakeAzure, page_size: int, adla_page_size: int) -> None:
    shared_server.page_size = page_size
    shared_server.adla_page_size = adla_page_size
    with requests.Session() as http:
        http.trust_env = False
        http.verify = shared_server.ca_bundle
        http.headers["Authorization"] = "Bearer t"

        runs = query_runs(http, shared_server, WINDOW)
        jobs = list_jobs(http, jobs_url(shared_server), ADLA_VERSION)

    assert len(runs) == 5
    assert len({run["runId"] for run in runs}) == 5
    assert len(jobs) == 4
    assert len({job["jobId"] for job in jobs}) == 4


# --- real SDK clients ---------------------------------------------------------------------


class FakeCredential:
    """azure-core TokenCredential that returns a fixed token without contacting Entra ID."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("fake-token", int(time.time()) + 3600)


class FakeMsrestCredentials:
    """msrest credentials object: signed_session() returns a session with a bearer token."""

    def signed_session(self, session: requests.Session | None = None) -> requests.Session:
        session = session or requests.Session()
        session.headers["Authorization"] = "Bearer fake-token"
        return session


def test_real_sdk_clients_interoperate(server: FakeAzure, data: dict[str, Any]) -> None:
    from azure.mgmt.datafactory import DataFactoryManagementClient
    from azure.mgmt.datafactory.models import RunFilterParameters
    from azure.mgmt.datalake.analytics.job import DataLakeAnalyticsJobManagementClient
    from msrestazure.azure_exceptions import CloudError

    failed_run = data["runs"][2]
    adf = DataFactoryManagementClient(
        credential=FakeCredential(),
        subscription_id=SUBSCRIPTION,
        base_url=server.arm_endpoint,
        connection_verify=server.ca_bundle,
    )
    run = adf.pipeline_runs.get(GROUP, FACTORY, failed_run["runId"])
    activities = adf.activity_runs.query_by_pipeline_run(
        GROUP,
        FACTORY,
        failed_run["runId"],
        RunFilterParameters(
            last_updated_after=BASE_TIME - timedelta(days=1),
            last_updated_before=BASE_TIME + timedelta(days=1),
        ),
    )
    service = adf.linked_services.get(GROUP, FACTORY, "AdlaService")

    assert run.run_id == failed_run["runId"]
    assert run.status == "Failed"
    assert run.run_start == BASE_TIME + timedelta(hours=2)
    assert [a.activity_name for a in activities.value] == ["Lookup", "RunUsql", "CopyOut"]
    assert activities.value[1].error["errorCode"] == "2703"
    assert service.properties.type == "AzureDataLakeAnalytics"
    assert service.properties.type_properties["accountName"] == ACCOUNT

    jobs = DataLakeAnalyticsJobManagementClient(
        FakeMsrestCredentials(), adla_job_dns_suffix="azuredatalakeanalytics.net"
    )
    jobs.config.base_url = f"{server.arm_endpoint}/adla/{{accountName}}"
    jobs.config.connection.verify = server.ca_bundle
    server.adla_page_size = 1
    job = jobs.job.get(ACCOUNT, data["failed_job"]["jobId"])
    listed = list(jobs.job.list(ACCOUNT, filter=f"related/runId eq guid'{failed_run['runId']}'"))
    every = list(jobs.job.list(ACCOUNT))

    assert job.error_message[0].error_id == "E_RUNTIME_USER_STRINGTOOLONG"
    assert job.error_message[0].line_number == 12
    assert job.related.run_id == failed_run["runId"]
    assert job.submit_time == BASE_TIME + timedelta(hours=2, minutes=1, seconds=5)
    assert [item.job_id for item in listed] == [data["failed_job"]["jobId"]]
    assert len(every) == 4
    assert {r.query["api-version"] for r in server.requests if r.route in ("get_job", "list_jobs")} == {
        "2017-09-01-preview"
    }
    with pytest.raises(CloudError) as missing:
        jobs.job.get(ACCOUNT, "11111111-2222-3333-4444-555555555555")
    assert missing.value.status_code == 404
