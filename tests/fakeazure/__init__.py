"""A fake Azure Data Factory and Data Lake Analytics service for tests.

FakeAzure serves a Scenario over HTTPS on 127.0.0.1. The builders create payloads shaped
like the real services' JSON (ADF api-version 2018-06-01, ADLA job service 2016-11-01 and
2017-09-01-preview).
"""

from .faults import ANY_ROUTE, ROUTE_NAMES, Fault, FaultPlan
from .queries import QueryError
from .scenario import (
    ADLA_DNS_SUFFIX,
    AdlaAccount,
    Factory,
    JSONDict,
    Scenario,
    activity_error,
    activity_run,
    adla_linked_service,
    format_adla_time,
    format_arm_time,
    invoked_by,
    job_list_item,
    job_related,
    new_id,
    parse_time,
    pipeline_run,
    state_audit_record,
    usql_error,
    usql_inner_error,
    usql_job,
)
from .server import ADLA_API_VERSIONS, ARM_API_VERSIONS, FakeAzure, RecordedRequest

__all__ = [
    "ADLA_API_VERSIONS",
    "ADLA_DNS_SUFFIX",
    "ANY_ROUTE",
    "ARM_API_VERSIONS",
    "ROUTE_NAMES",
    "AdlaAccount",
    "Factory",
    "FakeAzure",
    "Fault",
    "FaultPlan",
    "JSONDict",
    "QueryError",
    "RecordedRequest",
    "Scenario",
    "activity_error",
    "activity_run",
    "adla_linked_service",
    "format_adla_time",
    "format_arm_time",
    "invoked_by",
    "job_list_item",
    "job_related",
    "new_id",
    "parse_time",
    "pipeline_run",
    "state_audit_record",
    "usql_error",
    "usql_inner_error",
    "usql_job",
]
