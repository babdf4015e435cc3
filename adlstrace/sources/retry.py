"""Bounded retries for Azure calls, shared by every live adapter.

The SDKs' own retry policies are switched off so that one policy applies everywhere. msrest
(the ADLA job SDK) never retries 429, and a sweep's workers must all pause when any one of
them is told to wait, which per-client policies cannot do.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from adlstrace.errors import AzureCallError

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class TransientError(Exception):
    """A failure worth retrying; `retry_after` is the server's wait in seconds, if it sent one."""

    def __init__(self, description: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(description)
        self.description = description
        self.status = status
        self.retry_after = retry_after


class ThrottleGate:
    """A pause that every worker honours once any worker receives Retry-After."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._clock = clock

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)

    def wait(self) -> None:
        with self._lock:
            delay = self._resume_at - self._clock()
        if delay > 0:
            time.sleep(delay)


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at `max_backoff` seconds."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_backoff: float = 30.0
    gate: ThrottleGate | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.gate is None:
            self.gate = ThrottleGate()

    def delay_for(self, attempt: int, error: TransientError) -> float:
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_backoff)
        backoff = self.base_delay * (2 ** (attempt - 1))
        return min(backoff * (0.75 + random.random() / 2), self.max_backoff)

    def run(self, call_name: str, operation: Callable[[], T]) -> T:
        """Run `operation`, retrying TransientError up to `max_attempts` tries in all."""
        assert self.gate is not None
        for attempt in range(1, self.max_attempts + 1):
            self.gate.wait()
            try:
                return operation()
            except TransientError as error:
                if attempt == self.max_attempts:
                    raise AzureCallError(
                        f"{call_name} failed after {attempt} attempts: {error.description}.",
                        "Azure may be throttling or unavailable, or the endpoint is unreachable; "
                        "try again later, or raise ADLSTRACE_TIMEOUT for slow answers.",
                        status=error.status,
                        code="RetryExhausted",
                    ) from error
                delay = self.delay_for(attempt, error)
                if error.retry_after is not None:
                    self.gate.hold(delay)
                logger.warning(
                    "%s failed with %s; retry %d of %d in %.1f s",
                    call_name,
                    error.description,
                    attempt,
                    self.max_attempts - 1,
                    delay,
                )
                if error.retry_after is None:
                    self.sleep(delay)
        raise AssertionError("unreachable")
