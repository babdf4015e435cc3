"""Named scenarios for end-to-end tests, built on the fake Azure service's builders.

Every scenario lives in one factory (SUBSCRIPTION / RESOURCE_GROUP / FACTORY) and one ADLA
account (ACCOUNT) behind the linked service LS_ADLA, and returns the IDs its tests need.
"""

from __future__ import annotations

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
        pipeline_run("PL_DailyOrders", status=pipeline_status, run_start=start, parameters={"runDate": "2026-12-03"})
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
    run = factory.add_pipeline_run(pipeline_run("PL_CustomerScores", run_start=recent(5)))
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
