"""Live ADLA job answers through azure-mgmt-datalake-analytics 0.6.0 (msrest).

The job SDK builds URLs from `https://{accountName}.{adlaJobDnsSuffix}`; the client's
`config.base_url` is replaced with ADLSTRACE_ADLA_JOB_ENDPOINT so that sovereign clouds,
private endpoints and test services work with the same code.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from azure.mgmt.datalake.analytics.job import DataLakeAnalyticsJobManagementClient
from msrest.exceptions import ClientRequestError, DeserializationError
from msrestazure.azure_exceptions import CloudError

from adlstrace.settings import DEFAULT_ADLA_SUFFIX, Settings
from adlstrace.sources.base import Json
from adlstrace.sources.live.failures import classify_status, require_object, tls_failure, wrong_shape
from adlstrace.sources.retry import RetryPolicy, TransientError

logger = logging.getLogger(__name__)

# Pages of the job list the tool reads at most; 200 jobs a page makes this 2,000 jobs.
MAX_LIST_PAGES = 10


class LiveAdlaSource:
    """Jobs of ADLA accounts."""

    def __init__(self, msrest_credentials: Any, settings: Settings, policy: RetryPolicy, identity: str) -> None:
        self._credentials = msrest_credentials
        self._settings = settings
        self._policy = policy
        self._identity = identity
        self._client_instance: DataLakeAnalyticsJobManagementClient | None = None
        self._lock = threading.Lock()

    def _client(self) -> DataLakeAnalyticsJobManagementClient:
        with self._lock:
            if self._client_instance is None:
                client = DataLakeAnalyticsJobManagementClient(self._credentials, DEFAULT_ADLA_SUFFIX)
                client.config.base_url = self._settings.adla_job_endpoint.replace("{account}", "{accountName}")
                client.config.connection.timeout = (self._settings.connect_timeout, self._settings.timeout)
                # msrest hands urllib3 a Retry with a status list of 408 and 5xx; switching it
                # off entirely leaves every retry, 429 included, to RetryPolicy.
                policy = client.config.retry_policy.policy
                policy.total = policy.connect = policy.read = policy.status = 0
                policy.status_forcelist = []
                policy.raise_on_status = False
                self._client_instance = client
            return self._client_instance

    def _run(self, call: str, resource: str, operation: Any) -> Any:
        def attempt() -> Any:
            try:
                return operation()
            except CloudError as error:
                response = error.response
                raise classify_status(
                    call, resource, error.status_code, response.headers, response.content, self._identity
                ) from None
            except ClientRequestError as error:
                tls = tls_failure(call, resource, error)
                if tls is not None:
                    raise tls from None
                raise TransientError(f"connection error ({type(error.inner_exception).__name__})") from error
            except DeserializationError:
                raise wrong_shape(call, resource, "the body could not be read as a job") from None

        logger.debug("%s %s", call, resource)
        return self._policy.run(f"{call} ({resource})", attempt)

    def get_job(self, account: str, job_id: str) -> Json:
        call, resource = "get ADLA job", f"job {job_id} in account {account}"
        raw = self._run(call, resource, lambda: self._client().job.get(account, job_id, raw=True))
        return require_object(call, resource, _json_body(call, resource, raw.response))

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]:
        call, resource = "list ADLA jobs", f"account {account}"
        paged = self._client().job.list(account, filter=odata_filter, top=top, orderby="submitTime desc")
        jobs: list[Json] = []
        seen_links: set[str] = set()
        for _ in range(MAX_LIST_PAGES):
            try:
                self._run(call, resource, paged.advance_page)
            except StopIteration:
                break
            page = require_object(call, resource, _json_body(call, resource, paged.raw.response))
            values = page.get("value", [])
            if not isinstance(values, list):
                raise wrong_shape(call, resource, "'value' is not a list")
            jobs.extend(item for item in values if isinstance(item, dict))
            next_link = page.get("nextLink")
            if not next_link:
                break
            if next_link in seen_links:
                logger.warning("%s on %s repeated a nextLink; stopped paging", call, resource)
                break
            seen_links.add(next_link)
        else:
            logger.warning("%s on %s: stopped after %d pages", call, resource, MAX_LIST_PAGES)
        return jobs


def _json_body(call: str, resource: str, response: Any) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise wrong_shape(call, resource, "the body is not valid JSON") from None
