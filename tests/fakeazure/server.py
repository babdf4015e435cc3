"""HTTPS server that imitates the Azure Data Factory ARM API and the ADLA job service.

It listens on 127.0.0.1 only, with a certificate from a throwaway trustme CA. Clients
trust it through `ca_bundle`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import re
import socket
import ssl
import struct
import tempfile
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import trustme

from . import queries
from .faults import PAGING_FAULTS, Fault, FaultPlan
from .scenario import AdlaAccount, Factory, JSONDict, Scenario, job_list_item

logger = logging.getLogger(__name__)

ARM_API_VERSIONS = frozenset({"2018-06-01"})
# azure-mgmt-datalake-analytics 0.6.0 sends 2017-09-01-preview.
ADLA_API_VERSIONS = frozenset({"2016-11-01", "2017-09-01-preview"})

_FACTORY = (
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)"
    r"/providers/Microsoft\.DataFactory/factories/(?P<factory>[^/]+)"
)
_ADLA = r"^/adla/(?P<account>[^/]+)"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    family: str  # "arm" or "adla"


# ARM matches literal path segments case-insensitively. re.IGNORECASE keeps the captured
# names as sent.
ROUTES = (
    Route(
        "get_pipeline_run",
        "GET",
        re.compile(_FACTORY + r"/pipelineruns/(?P<run_id>[^/]+)$", re.I),
        "arm",
    ),
    Route("query_pipeline_runs", "POST", re.compile(_FACTORY + r"/queryPipelineRuns$", re.I), "arm"),
    Route(
        "query_activity_runs",
        "POST",
        re.compile(_FACTORY + r"/pipelineruns/(?P<run_id>[^/]+)/queryActivityruns$", re.I),
        "arm",
    ),
    Route(
        "get_linked_service",
        "GET",
        re.compile(_FACTORY + r"/linkedservices/(?P<name>[^/]+)$", re.I),
        "arm",
    ),
    Route("get_job", "GET", re.compile(_ADLA + r"/jobs/(?P<job_id>[^/]+)$", re.I), "adla"),
    Route("list_jobs", "GET", re.compile(_ADLA + r"/jobs$", re.I), "adla"),
)

# Default ARM error codes for the `status` fault.
_ERROR_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it.

    `json` is the parsed body, or None when the body is empty or not JSON (see `text`).
    `headers` never contains Authorization. `route` is None for a path no route matches.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    text: str
    headers: dict[str, str]
    route: str | None


class _Reset(Exception):
    """Raised inside a handler to drop the connection without a response."""


class _Response:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, {"error": {"code": code, "message": message}}, headers)


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeAzure, context: ssl.SSLContext) -> None:
        self.fake = fake
        self.ssl_context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        # The handler sends headers and body in separate writes. With Nagle's algorithm on,
        # the body waits for the client's delayed ACK (about 40 ms on Linux) on every request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake runs later in the handler thread, so a slow or broken client
        # cannot block the accept loop.
        tls = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._connections_lock:
            self._connections.add(tls)
        return tls, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out, reset or fail the handshake are expected in fault tests.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeAzure/1.0"
    # Idle keep-alive connections close after this many seconds.
    timeout = 60
    server: _TLSServer

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # --- request flow -------------------------------------------------------------------

    def _dispatch(self) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        text = self._read_body()
        body = _parse_json(text)
        route, params = _match_route(self.command, url.path)
        fake._record(
            RecordedRequest(
                method=self.command,
                path=url.path,
                query=query,
                json=body,
                text=text,
                headers={k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                route=route.name if route else None,
            )
        )
        try:
            response = self._respond(route, params, query, body)
        except _Reset:
            self._reset_connection()
            return
        self._send(response, route)

    def _respond(self, route: Route | None, params: dict[str, str], query: dict[str, str], body: Any) -> _Response:
        fake = self.server.fake
        if route is None:
            return _error(
                404,
                "NotFound",
                f"No fake Azure route for {self.command} {urlsplit(self.path).path}.",
            )
        if route.family == "adla":
            account = fake.scenario.find_adla_account(unquote(params["account"]))
            if account is not None and not account.reachable:
                raise _Reset

        if not re.fullmatch(r"Bearer \S+", self.headers.get("Authorization", "")):
            return _error(
                401,
                "InvalidAuthenticationToken",
                "The access token is missing or invalid. Send 'Authorization: Bearer <token>'.",
            )
        version_error = _check_api_version(route, query)
        if version_error is not None:
            return version_error

        fake._sleep(fake.latency)
        fault = fake.faults.take(route.name)
        if fault is not None:
            logger.debug("applying fault %s to %s", fault.kind, route.name)
            faulted = self._apply_fault(fault)
            if faulted is not None:
                return faulted
        paging_fault = fault.kind if fault is not None and fault.kind in PAGING_FAULTS else None

        handlers = {
            "get_pipeline_run": self._get_pipeline_run,
            "query_pipeline_runs": self._query_pipeline_runs,
            "query_activity_runs": self._query_activity_runs,
            "get_linked_service": self._get_linked_service,
            "get_job": self._get_job,
            "list_jobs": self._list_jobs,
        }
        try:
            return handlers[route.name](params, query, body, paging_fault)
        except queries.QueryError as error:
            logger.debug("rejected %s request: %s", route.name, error.message)
            return _error(400, error.code, error.message)

    def _apply_fault(self, fault: Fault) -> _Response | None:
        """Return the fault's response, or None when the request continues normally."""
        params = fault.params
        if fault.kind == "status":
            status = int(params.get("status", 500))
            headers = dict(params.get("headers", {}))
            if "retry_after" in params:
                headers["Retry-After"] = str(params["retry_after"])
            if "body" in params:
                return _Response(status, params["body"], headers)
            code = params.get("code") or _default_error_code(status)
            message = params.get("message") or f"Injected fault: HTTP {status}."
            return _error(status, code, message, headers)
        if fault.kind == "reset":
            raise _Reset
        if fault.kind == "hang":
            self.server.fake._sleep(float(params.get("seconds", 30.0)))
            return None
        if fault.kind == "malformed_json":
            return _Response(200, _RawBody(params.get("body", '{"value": [{"runId": ')))
        if fault.kind == "wrong_shape":
            return _Response(200, params.get("body", [{"unexpected": "shape"}]))
        return None

    def _read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0:
            return ""
        return self.rfile.read(length).decode("utf-8", "replace")

    def _send(self, response: _Response, route: Route | None) -> None:
        if isinstance(response.body, _RawBody):
            payload = response.body.text.encode()
        elif response.body is None:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        request_id = str(uuid.uuid4())
        self.send_header("x-ms-request-id", request_id)
        if route is None or route.family == "arm":
            self.send_header("x-ms-correlation-request-id", request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _reset_connection(self) -> None:
        """Close the TCP connection with a reset (SO_LINGER 0) and no TLS close_notify."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            # Closing the raw descriptor skips the TLS shutdown alert.
            os.close(self.connection.detach())

    # --- Data Factory ------------------------------------------------------------------

    def _factory_or_error(self, params: dict[str, str]) -> Factory | _Response:
        factory = self.server.fake.scenario.find_factory(
            unquote(params["subscription"]),
            unquote(params["resource_group"]),
            unquote(params["factory"]),
        )
        if factory is None:
            return _error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.DataFactory/factories/{unquote(params['factory'])}'"
                f" under resource group '{unquote(params['resource_group'])}' was not found.",
            )
        return factory

    def _get_pipeline_run(
        self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None
    ) -> _Response:
        factory = self._factory_or_error(params)
        if isinstance(factory, _Response):
            return factory
        run_id = unquote(params["run_id"])
        run = factory.find_pipeline_run(run_id)
        if run is None:
            return _error(404, "PipelineRunNotFound", f"Pipeline run '{run_id}' was not found.")
        return _Response(200, run)

    def _query_pipeline_runs(
        self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None
    ) -> _Response:
        factory = self._factory_or_error(params)
        if isinstance(factory, _Response):
            return factory
        result = queries.evaluate_run_query(queries.PIPELINE_RUN_QUERY, factory.list_pipeline_runs(), body)
        return self._run_page(result, paging)

    def _query_activity_runs(
        self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None
    ) -> _Response:
        factory = self._factory_or_error(params)
        if isinstance(factory, _Response):
            return factory
        run_id = unquote(params["run_id"])
        if factory.find_pipeline_run(run_id) is None:
            return _error(404, "PipelineRunNotFound", f"Pipeline run '{run_id}' was not found.")
        result = queries.evaluate_run_query(queries.ACTIVITY_RUN_QUERY, factory.list_activity_runs(run_id), body)
        return self._run_page(result, paging)

    def _run_page(self, result: queries.RunQueryResult, paging: str | None) -> _Response:
        page_size = self.server.fake.page_size
        start = result.offset
        if paging == "empty_page_with_token":
            token = queries.encode_token(start, result.fingerprint)
            return _Response(200, {"value": [], "continuationToken": token})
        items = copy.deepcopy(result.matched[start : start + page_size])
        body: JSONDict = {"value": items}
        if paging == "repeat_token":
            body["continuationToken"] = queries.encode_token(start, result.fingerprint)
        elif start + page_size < len(result.matched):
            body["continuationToken"] = queries.encode_token(start + page_size, result.fingerprint)
        return _Response(200, body)

    def _get_linked_service(
        self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None
    ) -> _Response:
        factory = self._factory_or_error(params)
        if isinstance(factory, _Response):
            return factory
        name = unquote(params["name"])
        service = factory.find_linked_service(name)
        if service is None:
            return _error(
                404,
                "ResourceNotFound",
                f"Linked service '{name}' was not found in factory '{factory.name}'.",
            )
        return _Response(200, service)

    # --- Data Lake Analytics -------------------------------------------------------------

    def _account_or_error(self, params: dict[str, str]) -> AdlaAccount | _Response:
        name = unquote(params["account"])
        account = self.server.fake.scenario.find_adla_account(name)
        if account is None:
            # NOTE: a nonexistent account has no DNS name in real Azure, so a real client
            # gets a name resolution error rather than this 404.
            return _error(404, "AccountNotFound", f"Data Lake Analytics account '{name}' was not found.")
        return account

    def _get_job(self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None) -> _Response:
        account = self._account_or_error(params)
        if isinstance(account, _Response):
            return account
        job_id = unquote(params["job_id"])
        job = account.find_job(job_id)
        if job is None:
            # NOTE: the live job service's error code and message for an unknown job are
            # unverified. This body uses the ARM error shape that msrestazure parses.
            return _error(404, "JobNotFound", f"Job '{job_id}' was not found in account '{account.name}'.")
        return _Response(200, job)

    def _list_jobs(self, params: dict[str, str], query: dict[str, str], body: Any, paging: str | None) -> _Response:
        account = self._account_or_error(params)
        if isinstance(account, _Response):
            return account
        options = queries.parse_job_list_query(query)
        items = [job_list_item(job) for job in account.list_jobs()]
        matched = queries.select_jobs(items, options)

        # $skip and $top bound the whole result, and the server page size splits it into pages.
        end = len(matched) if options.top is None else min(len(matched), options.skip + options.top)
        start = options.skip
        page_end = min(end, start + self.server.fake.adla_page_size)
        page = [queries.project_job(job, options.select) for job in matched[start:page_end]]

        body_out: JSONDict = {"value": page}
        if paging == "empty_page_with_token":
            body_out = {
                "value": [],
                "nextLink": self._next_link(params["account"], query, start, end),
            }
        elif paging == "repeat_token":
            body_out["nextLink"] = self._next_link(params["account"], query, start, end)
        elif page_end < end:
            body_out["nextLink"] = self._next_link(params["account"], query, page_end, end)
        if options.count:
            body_out["count"] = len(matched)
        return _Response(200, body_out)

    def _next_link(self, account: str, query: dict[str, str], skip: int, end: int) -> str:
        next_query = {key: value for key, value in query.items() if key not in ("$skip", "$top")}
        next_query["$skip"] = str(skip)
        if "$top" in query:
            next_query["$top"] = str(max(end - skip, 1))
        encoded = urlencode(next_query, safe="$/", quote_via=quote)
        return f"{self.server.fake.arm_endpoint}/adla/{account}/jobs?{encoded}"


class _RawBody:
    """A response body sent as is, for faults that return invalid JSON."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _default_error_code(status: int) -> str:
    if status in _ERROR_CODES:
        return _ERROR_CODES[status]
    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return f"Http{status}"


def _match_route(method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, match.groupdict()
    return None, {}


def _check_api_version(route: Route, query: dict[str, str]) -> _Response | None:
    supported = ARM_API_VERSIONS if route.family == "arm" else ADLA_API_VERSIONS
    version = query.get("api-version")
    if version is None:
        return _error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version not in supported:
        return _error(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{', '.join(sorted(supported))}'.",
        )
    return None


class FakeAzure:
    """HTTPS fake of the ADF and ADLA REST APIs, serving the state in `scenario`.

    Use it as a context manager, or call start() and stop(). Attributes `page_size`
    (ADF query pages), `adla_page_size` (job list pages) and `latency` (seconds added to
    every request) can change while it runs.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        page_size: int = 100,
        adla_page_size: int = 100,
        latency: float = 0.0,
    ) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        self.faults = FaultPlan()
        self.page_size = page_size
        self.adla_page_size = adla_page_size
        self.latency = latency
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._counts: Counter[str] = Counter()
        self._ca_path: str | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeAzure:
        if self._server is not None:
            raise RuntimeError("FakeAzure is already running.")
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)

        handle, self._ca_path = tempfile.mkstemp(prefix="fakeazure-ca-", suffix=".pem")
        with os.fdopen(handle, "wb") as ca_file:
            ca_file.write(authority.cert_pem.bytes())

        self._stopping.clear()
        self._server = _TLSServer(self, context)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeazure",
            daemon=True,
        )
        self._thread.start()
        logger.debug("FakeAzure listening on %s", self.arm_endpoint)
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections, end any hang faults and delete the CA file."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        if self._ca_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._ca_path)
            self._ca_path = None
        logger.debug("FakeAzure stopped")

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- endpoints -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeAzure is not running; call start() first.")
        return int(self._server.server_address[1])

    @property
    def arm_endpoint(self) -> str:
        """Base URL for ARM clients, such as DataFactoryManagementClient's `base_url`."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def adla_endpoint_template(self) -> str:
        """ADLA job service base URL with an `{account}` placeholder."""
        return f"{self.arm_endpoint}/adla/{{account}}"

    def adla_endpoint(self, account: str) -> str:
        return self.adla_endpoint_template.format(account=account)

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM file with the CA certificate that signed the server certificate."""
        if self._ca_path is None:
            raise RuntimeError("FakeAzure is not running; call start() first.")
        return self._ca_path

    # --- request log ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of all requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def request_counts(self) -> Counter[str]:
        """A copy of the number of requests per route name. Unmatched paths count as "unmatched"."""
        with self._lock:
            return Counter(self._counts)

    def count(self, route: str) -> int:
        with self._lock:
            return self._counts[route]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._counts.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._counts[request.route or "unmatched"] += 1

    def _sleep(self, seconds: float) -> None:
        # Waiting on the stop event lets stop() end hang faults and latency at once.
        if seconds > 0:
            self._stopping.wait(seconds)
