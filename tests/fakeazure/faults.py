"""Fault plan for FakeAzure: scripted failures that the server applies to matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

ROUTE_NAMES = (
    "get_pipeline_run",
    "query_pipeline_runs",
    "query_activity_runs",
    "get_linked_service",
    "get_job",
    "list_jobs",
)
ANY_ROUTE = "*"
PAGED_ROUTES = frozenset({"query_pipeline_runs", "query_activity_runs", "list_jobs"})

# Allowed keyword parameters per fault kind.
FAULT_PARAMETERS: dict[str, frozenset[str]] = {
    # HTTP error status with an ARM-shaped error body, or with `body` when given.
    "status": frozenset({"status", "retry_after", "code", "message", "body", "headers"}),
    # Close the socket with a TCP reset and send nothing.
    "reset": frozenset(),
    # Wait `seconds` before handling the request normally.
    "hang": frozenset({"seconds"}),
    # HTTP 200 with a JSON content type and a body that does not parse.
    "malformed_json": frozenset({"body"}),
    # HTTP 200 with valid JSON of the wrong shape (a list by default).
    "wrong_shape": frozenset({"body"}),
    # A page whose continuationToken or nextLink points back at the page just served.
    "repeat_token": frozenset(),
    # An empty page whose token or link leads to the page that would have been served.
    "empty_page_with_token": frozenset(),
}
PAGING_FAULTS = frozenset({"repeat_token", "empty_page_with_token"})


@dataclass
class Fault:
    """One scripted fault. `remaining` is None for a fault that never runs out."""

    route: str
    kind: str
    remaining: int | None
    params: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, route: str) -> bool:
        if self.route not in (route, ANY_ROUTE):
            return False
        # A wildcard paging fault skips routes that have no pages.
        return self.kind not in PAGING_FAULTS or route in PAGED_ROUTES


class FaultPlan:
    """Faults queued in the order added. Each request takes the first fault that
    applies to its route and uses up one of that fault's `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, route: str, kind: str, times: int | None = 1, **params: Any) -> Fault:
        """Queue a fault for `route` (a route name or "*") for the next `times` requests.

        `times=None` keeps the fault active until clear(). Raises ValueError for an
        unknown route, kind or parameter, or a paging fault on a route without pages.
        """
        if route != ANY_ROUTE and route not in ROUTE_NAMES:
            raise ValueError(f"unknown route {route!r}. Expected one of {ROUTE_NAMES} or '*'.")
        if kind not in FAULT_PARAMETERS:
            raise ValueError(f"unknown fault kind {kind!r}. Expected one of {sorted(FAULT_PARAMETERS)}.")
        unknown = set(params) - FAULT_PARAMETERS[kind]
        if unknown:
            allowed = sorted(FAULT_PARAMETERS[kind])
            raise ValueError(f"invalid parameters {sorted(unknown)} for {kind!r}. Allowed: {allowed}.")
        if kind in PAGING_FAULTS and route not in (ANY_ROUTE, *PAGED_ROUTES):
            raise ValueError(f"fault {kind!r} needs a paged route, not {route!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1 or None, got {times}")
        fault = Fault(route, kind, times, dict(params))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, route: str) -> Fault | None:
        """Return the first queued fault for `route` and use up one of its times."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.applies_to(route):
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        del self._faults[index]
                return fault
        return None

    def pending(self) -> list[Fault]:
        """Return the faults not yet used up, in queue order."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
