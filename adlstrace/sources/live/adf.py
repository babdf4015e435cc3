"""Live ADF answers through azure-mgmt-datafactory (REST api-version 2018-06-01)."""

from __future__ import annotations

import io
import json
import logging
import threading
from datetime import datetime
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.datafactory import DataFactoryManagementClient

from adlstrace.errors import AuthError
from adlstrace.ids import FactoryRef
from adlstrace.settings import Settings
from adlstrace.sources.base import Json, QueryFilter
from adlstrace.sources.live.failures import classify_status, require_object, tls_failure, wrong_shape
from adlstrace.sources.retry import RetryPolicy, TransientError
from adlstrace.timeutil import format_utc

logger = logging.getLogger(__name__)


def run_filter_body(
    after: datetime,
    before: datetime,
    filters: tuple[QueryFilter, ...],
    continuation_token: str | None,
    order_by: str | None = None,
) -> Json:
    """Build the RunFilterParameters body of queryPipelineRuns / queryActivityruns."""
    body: Json = {"lastUpdatedAfter": format_utc(after), "lastUpdatedBefore": format_utc(before)}
    if continuation_token:
        body["continuationToken"] = continuation_token
    if filters:
        body["filters"] = [
            {"operand": operand, "operator": operator, "values": list(values)} for operand, operator, values in filters
        ]
    if order_by:
        body["orderBy"] = [{"orderBy": order_by, "order": "DESC"}]
    return body


class LiveAdfSource:
    """Pipeline runs, activity runs and linked services of data factories."""

    def __init__(self, credential: Any, settings: Settings, policy: RetryPolicy, identity: str) -> None:
        self._credential = credential
        self._settings = settings
        self._policy = policy
        self._identity = identity
        self._clients: dict[str, DataFactoryManagementClient] = {}
        self._lock = threading.Lock()

    def _client(self, subscription_id: str) -> DataFactoryManagementClient:
        with self._lock:
            client = self._clients.get(subscription_id)
            if client is None:
                client = DataFactoryManagementClient(
                    credential=self._credential,
                    subscription_id=subscription_id,
                    base_url=self._settings.arm_endpoint,
                    credential_scopes=[self._settings.arm_scope],
                    retry_total=0,
                    connection_timeout=self._settings.connect_timeout,
                    read_timeout=self._settings.timeout,
                    logging_enable=False,
                )
                self._clients[subscription_id] = client
            return client

    def _call(self, call: str, resource: str, operation: Any) -> Json:
        def attempt() -> Json:
            try:
                response = operation(stream=True, cls=lambda pipeline_response, *_: pipeline_response.http_response)
                raw = response.read()
            except ClientAuthenticationError as error:
                if error.response is None:
                    # Raised by the credential itself before any request was sent.
                    raise AuthError(
                        f"Could not get an Azure token for {call}: {type(error).__name__}.",
                        "Sign in with `az login`, or set ADLSTRACE_CREDENTIAL (cli, environment, "
                        "managed-identity ...) to a credential that works on this machine.",
                    ) from None
                raise classify_status(
                    call,
                    resource,
                    error.status_code or 401,
                    getattr(error.response, "headers", None),
                    error.response.text(),
                    self._identity,
                ) from None
            except HttpResponseError as error:
                response = error.response
                status = error.status_code or 0
                body = response.text() if response is not None else None
                headers = getattr(response, "headers", None)
                raise classify_status(call, resource, status, headers, body, self._identity) from None
            except (ServiceRequestError, ServiceResponseError) as error:
                tls = tls_failure(call, resource, error)
                if tls is not None:
                    raise tls from None
                raise TransientError(f"connection error ({type(error).__name__})") from error
            try:
                data = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise wrong_shape(call, resource, "the body is not valid JSON") from None
            return require_object(call, resource, data)

        logger.debug("%s %s", call, resource)
        return self._policy.run(f"{call} ({resource})", attempt)

    def get_pipeline_run(self, factory: FactoryRef, run_id: str) -> Json:
        client = self._client(factory.subscription_id)
        return self._call(
            "get pipeline run",
            f"pipeline run {run_id} in factory {factory.name}",
            lambda **kw: client.pipeline_runs.get(factory.resource_group, factory.name, run_id, **kw),
        )

    def query_pipeline_runs(
        self,
        factory: FactoryRef,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        client = self._client(factory.subscription_id)
        body = json.dumps(run_filter_body(after, before, filters, continuation_token, "RunStart")).encode()
        return self._checked_page(
            "query pipeline runs",
            f"factory {factory.name}",
            lambda **kw: client.pipeline_runs.query_by_factory(
                factory.resource_group, factory.name, io.BytesIO(body), content_type="application/json", **kw
            ),
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
        client = self._client(factory.subscription_id)
        body = json.dumps(run_filter_body(after, before, filters, continuation_token)).encode()
        return self._checked_page(
            "query activity runs",
            f"pipeline run {pipeline_run_id} in factory {factory.name}",
            lambda **kw: client.activity_runs.query_by_pipeline_run(
                factory.resource_group,
                factory.name,
                pipeline_run_id,
                io.BytesIO(body),
                content_type="application/json",
                **kw,
            ),
        )

    def _checked_page(self, call: str, resource: str, operation: Any) -> Json:
        page = self._call(call, resource, operation)
        if not isinstance(page.get("value", []), list):
            raise wrong_shape(call, resource, "'value' is not a list")
        return page

    def get_linked_service(self, factory: FactoryRef, name: str) -> Json:
        client = self._client(factory.subscription_id)
        return self._call(
            "get linked service",
            f"linked service {name} in factory {factory.name}",
            lambda **kw: client.linked_services.get(factory.resource_group, factory.name, name, **kw),
        )
