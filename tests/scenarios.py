"""Named scenarios for end-to-end tests, built on the fake Azure service's builders.

Every scenario lives in one factory (SUBSCRIPTION / RESOURCE_GROUP / FACTORY) and one ADLA
account (ACCOUNT) behind the linked service LS_ADLA, and returns the IDs its tests need.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tests.fakeazure import (
    Scenario,
    activity_error,
    activity_run,
    adla_linked_service,
    job_related,
    pipeline_run,
    usql_error,
    usql_inner_error,
    usql_job,
)

SUBSCRIPTION = "6f1c2a4e-8b3d-4e5f-9a7b-0c1d2e3f4a5b"
RESOURCE_GROUP = "rg-data"
FACTORY = "df-sales"
ACCOUNT = "contosoadla"
LINKED_SERVICE = "LS_ADLA"

SYNTAX_SCRIPT = "\n".join(
    [
        "// Daily orders roll-up",
        'DECLARE @in string = "/raw/orders/{date:yyyy}/{date:MM}/{date:dd}/orders.csv";',
        'DECLARE @out string = "/curated/orders/daily.csv";',
        "",
        "@orders =",
        "    EXTRACT OrderId int,",
        "            CustomerId int,",
        "            Amount decimal,",
        "            date DateTime",
        "    FROM @in",
        "    USING Extractors.Csv(skipFirstNRows: 1);",
        "",
        "@daily =",
        "    SELEC date, SUM(Amount) AS Total",
        "    FROM @orders",
        "    GROUP BY date;",
        "",
        "OUTPUT @daily TO @out USING Outputters.Csv(outputHeader: true);",
    ]
)


@dataclass
class Built:
    scenario: Scenario
    activity_run_id: str
    pipeline_run_id: str
    job_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def recent(hours: float = 3.0) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours)


def base(scenario: Scenario | None = None) -> tuple[Scenario, object]:
    scenario = scenario or Scenario()
    factory = scenario.factory(SUBSCRIPTION, RESOURCE_GROUP, FACTORY)
    factory.add_linked_service(adla_linked_service(LINKED_SERVICE, ACCOUNT))
    scenario.adla_account(ACCOUNT)
    return scenario, factory


def syntax_error_job(job_id: str, run_id: str, submit: datetime, related: bool = True) -> dict:
    return usql_job(
        job_id=job_id,
        name=f"ADF-{run_id}" if not related else "Daily orders roll-up",
        submit_time=submit,
        started=False,
        error_source="UserError",
        script=SYNTAX_SCRIPT,
        related=job_related(run_id, pipeline_name="PL_DailyOrders") if related else None,
        errors=[
            usql_error(
                "E_CSC_USER_SYNTAXERROR",
                "syntax error. Expected one of: ALL DISTINCT SELECT",
                description="Invalid syntax found in the script.",
                details="at token 'SELEC', line 14\nnear the ###:\n**************\n@daily =\n    ### SELEC date",
                resolution="Correct the script syntax, using expected token(s) as a guide.",
                line_number=14,
                start_offset=388,
                end_offset=393,
                inner_error=None,
            )
        ],
    )


def syntax_error(strategy: str = "job-id", pipeline_status: str = "Failed") -> Built:
    """A U-SQL syntax error at line 14; `strategy` picks how the job can be found."""
    scenario, factory = base()
    start = recent()
    run = factory.add_pipeline_run(
        pipeline_run(
            "PL_DailyOrders",
            run_id="9a1c4e2b-6d8f-4a3c-b5e7-1f2a3b4c5d6e",
            status=pipeline_status,
            run_start=start,
            parameters={"runDate": "2026-12-03"},
        )
    )
    activity_id = "3f2b8c1e-0d4a-4e7b-9c61-2a5d7e9f0b13"
    message = "Error Id: E_CSC_USER_SYNTAXERROR, Error Message: syntax error. Expected one of: ALL DISTINCT SELECT."
    factory.add_activity_run(
        activity_run(
            run,
            "Transform orders",
            linked_service_name=LINKED_SERVICE,
            activity_run_id=activity_id,
            error=activity_error("2703", message, "UserError", "Transform orders"),
        )
    )
    job_id = activity_id if strategy == "job-id" else "a1d0c6e8-3f4b-4c2a-8e9d-7b6a5c4d3e2f"
    submit = datetime.fromisoformat(run["runStart"].replace("Z", "+00:00")[:26] + "+00:00") + timedelta(seconds=20)
    job = syntax_error_job(job_id, activity_id, submit, related=(strategy != "submit-window"))
    scenario.adla_account(ACCOUNT).add_job(job)
    return Built(scenario, activity_id, run["runId"], job_id)


def runtime_error() -> Built:
    """A runtime failure with a two-level inner error and a long stack trace."""
    scenario, factory = base()
    run = factory.add_pipeline_run(
        pipeline_run("PL_CustomerScores", run_id="c0ffee00-4b1d-4e5a-9f3c-2d7e8a9b0c1d", run_start=recent(5))
    )
    activity_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    factory.add_activity_run(
        activity_run(
            run,
            "Score customers",
            linked_service_name=LINKED_SERVICE,
            activity_run_id=activity_id,
            error=activity_error("2703", "Job failed: vertex failure in SV1_Extract.", "UserError", "Score customers"),
        )
    )
    trace = "\n".join(
        f"   at Microsoft.Analytics.Runtime.Extract{n}.Process(IRow row) in Extract.cs:line {n}" for n in range(1, 60)
    )
    job = usql_job(
        job_id="d5a7f3c1-9b2e-4f6a-8c0d-1e2f3a4b5c6d",
        name="Score customers",
        submit_time=datetime.fromisoformat(run["runStart"].replace("Z", "+00:00")[:26] + "+00:00")
        + timedelta(seconds=25),
        related=job_related(activity_id),
        error_source="UserError",
        errors=[
            usql_error(
                "VertexFailedFast",
                "Vertex failed fast: SV1_Extract[0] failed with error "
                "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR.",
                source="SYSTEM",
                description="A vertex failed and the job was stopped.",
                resolution="Look at the inner error of the failing vertex.",
                inner_error=usql_inner_error(
                    "E_RUNTIME_USER_EXTRACT_COLUMN_CONVERSION_INVALID_ERROR",
                    "Invalid character when converting input record: 'N/A' to int for column Score.",
                    severity="Error",
                    source="USER",
                    component="RUNTIME",
                    description="Column 'Score' of row 1832 in /raw/customers/2026-12-03.csv holds 'N/A'.",
                    resolution="Make the column nullable (int?) or clean the input file.",
                    details=trace,
                    inner_error=usql_inner_error(
                        "E_RUNTIME_USER_ROW_DETAILS", "Row 1832: 4412,Contoso,N/A", severity="Error", source="USER"
                    ),
                ),
            )
        ],
    )
    scenario.adla_account(ACCOUNT).add_job(job)
    return Built(scenario, activity_id, run["runId"], job["jobId"])


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")[:26] + "+00:00")


def pre_submission(code: str = "2705") -> Built:
    """An ADLA activity that failed before any job existed (ACL check on the store)."""
    scenario, factory = base()
    run = factory.add_pipeline_run(pipeline_run("PL_Ingest", run_start=recent(2)))
    activity = factory.add_activity_run(
        activity_run(
            run,
            "Load raw",
            linked_service_name=LINKED_SERVICE,
            error=activity_error(
                code,
                "Forbidden. ACL verification failed. Either the resource does not exist "
                "or the user is not authorized to perform the requested operation.",
                "UserError",
            ),
        )
    )
    return Built(scenario, activity["activityRunId"], run["runId"])


def job_gone() -> Built:
    """A U-SQL failure whose job has aged out of the account's history."""
    scenario, factory = base()
    run = factory.add_pipeline_run(pipeline_run("PL_Monthly", run_start=recent(30)))
    activity = factory.add_activity_run(
        activity_run(
            run,
            "Aggregate month",
            linked_service_name=LINKED_SERVICE,
            error=activity_error("2703", "Error Id: E_RUNTIME_USER_STRINGTOOLONG", "UserError"),
        )
    )
    return Built(scenario, activity["activityRunId"], run["runId"])


def many_runs(count: int = 12, activities_per_run: int = 3) -> Built:
    """Many pipeline runs; the wanted activity sits in an older, succeeded run, on a later page."""
    scenario, factory = base()
    wanted = "5e4d3c2b-1a09-4f8e-a7d6-c5b4a3928170"
    pipeline_run_id = ""
    for index in range(count):
        status = "Failed" if index % 4 == 0 else "Succeeded"
        run = factory.add_pipeline_run(pipeline_run(f"PL_Batch{index % 3}", status=status, run_start=recent(1 + index)))
        for number in range(activities_per_run):
            is_wanted = index == count - 2 and number == activities_per_run - 1
            factory.add_activity_run(
                activity_run(
                    run,
                    f"Step {number}",
                    "Copy" if not is_wanted else "DataLakeAnalyticsU-SQL",
                    status="Failed" if is_wanted else "Succeeded",
                    linked_service_name=LINKED_SERVICE if is_wanted else "",
                    activity_run_id=wanted if is_wanted else None,
                    activity_run_start=_time(run["runStart"]) + timedelta(seconds=10 + number),
                    error=activity_error("2703", "Job failed.", "UserError") if is_wanted else None,
                )
            )
            if is_wanted:
                pipeline_run_id = run["runId"]
                scenario.adla_account(ACCOUNT).add_job(
                    syntax_error_job(wanted, wanted, _time(run["runStart"]) + timedelta(seconds=20))
                )
    return Built(scenario, wanted, pipeline_run_id, wanted)


def execute_pipeline_chain() -> Built:
    """PL_Master -> PL_Region -> PL_Load, whose U-SQL activity failed with a syntax error."""
    scenario, factory = base()
    start = recent(4)
    names = ["PL_Master", "PL_Region", "PL_Load"]
    runs = [
        factory.add_pipeline_run(pipeline_run(name, run_start=start + timedelta(seconds=i)))
        for i, name in enumerate(names)
    ]
    parents = []
    for parent, child in itertools.pairwise(runs):
        parents.append(
            factory.add_activity_run(
                activity_run(
                    parent,
                    f"Run {child['pipelineName']}",
                    "ExecutePipeline",
                    activity_run_start=start + timedelta(seconds=5),
                    duration=timedelta(minutes=10),
                    output={"pipelineName": child["pipelineName"], "pipelineRunId": child["runId"]},
                    error=activity_error(
                        "2011", f"Operation on target {child['pipelineName']} failed: ...", "UserError"
                    ),
                )
            )
        )
    leaf_id = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"
    factory.add_activity_run(
        activity_run(
            runs[2],
            "Transform orders",
            linked_service_name=LINKED_SERVICE,
            activity_run_id=leaf_id,
            activity_run_start=start + timedelta(seconds=30),
            error=activity_error("2703", "Job failed.", "UserError"),
        )
    )
    scenario.adla_account(ACCOUNT).add_job(syntax_error_job(leaf_id, leaf_id, start + timedelta(seconds=40)))
    return Built(
        scenario,
        parents[0]["activityRunId"],
        runs[0]["runId"],
        leaf_id,
        extra={"leaf": leaf_id, "middle_run": runs[1]["runId"], "leaf_run": runs[2]["runId"]},
    )


def foreach_iterations(successes: int = 50) -> Built:
    """A ForEach whose inner U-SQL activity failed in one iteration among `successes` that passed."""
    scenario, factory = base()
    start = recent(6)
    run = factory.add_pipeline_run(pipeline_run("PL_PerRegion", run_start=start, duration=timedelta(minutes=40)))
    container = factory.add_activity_run(
        activity_run(
            run,
            "For each region",
            "ForEach",
            activity_run_start=start + timedelta(seconds=2),
            duration=timedelta(minutes=30),
            error=activity_error("ActivityFailed", "Activity failed because an inner activity failed", "UserError"),
        )
    )
    for index in range(successes):
        factory.add_activity_run(
            activity_run(
                run,
                "Process region",
                status="Succeeded",
                linked_service_name=LINKED_SERVICE,
                activity_run_start=start + timedelta(seconds=10 + index),
                iteration_hash=f"{index:032x}",
            )
        )
    failed_id = "f00dbabe-1234-4cde-8f01-23456789abcd"
    factory.add_activity_run(
        activity_run(
            run,
            "Process region",
            linked_service_name=LINKED_SERVICE,
            activity_run_id=failed_id,
            activity_run_start=start + timedelta(seconds=90),
            iteration_hash="deadbeef" * 4,
            error=activity_error("2703", "Job failed.", "UserError"),
        )
    )
    scenario.adla_account(ACCOUNT).add_job(syntax_error_job(failed_id, failed_id, start + timedelta(seconds=95)))
    return Built(scenario, container["activityRunId"], run["runId"], failed_id, extra={"failed": failed_id})


EMBEDDED_MESSAGE = (
    'Job failed. Error: [{"errorId":"E_CSC_USER_INVALIDCOLUMNTYPE","severity":"Error","source":"USER",'
    '"message":"Column Amount has type decimal which is not valid here.","description":"Invalid column type.",'
    '"resolution":"Cast the column to double before using it in SUM.","lineNumber":7,"startOffset":120,'
    '"endOffset":126,"innerError":{"errorId":"E_CSC_USER_TYPEMISMATCH","severity":"Error",'
    '"message":"Types decimal and double do not match.","details":"'
    + "   at Compiler.Check(Node n) in Check.cs:line 12\\n" * 40
    + '"}}]'
)


def embedded_error() -> Built:
    """ADF carries the ADLA errors as JSON inside its message; the ADLA account is retired."""
    scenario, factory = base()
    run = factory.add_pipeline_run(pipeline_run("PL_Finance", run_start=recent(8)))
    activity = factory.add_activity_run(
        activity_run(
            run,
            "Sum ledger",
            linked_service_name=LINKED_SERVICE,
            error=activity_error("2703", EMBEDDED_MESSAGE, "UserError"),
        )
    )
    scenario.adla_account(ACCOUNT).reachable = False
    return Built(scenario, activity["activityRunId"], run["runId"])
