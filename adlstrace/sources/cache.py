"""A thread-safe AzureSource wrapper that sends each distinct lookup once.

A sweep resolves many failures at once, and they ask the same things: the linked service
behind every U-SQL activity, a child pipeline run, a job. Concurrent identical calls wait
for the first one instead of sending their own request. Its result, or its AdlstraceError
(a 404 is a normal outcome), is kept for later callers.

Run queries (queryPipelineRuns, queryActivityruns) pass through uncached: the sweep reads
each page once, and keeping every page would hold the factory's whole run history in memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adlstrace.errors import AdlstraceError
from adlstrace.ids import FactoryRef
from adlstrace.sources.base import AzureSource, Json, QueryFilter

# Bodies kept for job GETs, job lists and pipeline-run GETs. A job body carries its script,
# so an unbounded cache would grow with the number of failures in the window.
DEFAULT_MAX_ENTRIES = 512


@dataclass
class CacheStats:
    """Counts per call name: `sent` reached the inner source, `reused` were returned from the cache."""

    sent: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)


class _Slot:
    """One cached call: complete once `done` is set, with either `value` or `error`."""

    __slots__ = ("abandoned", "done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: AdlstraceError | None = None
        self.abandoned = False


class CachingSource:
    """A caching wrapper around `inner` that returns repeated lookups from memory.

    Linked services are few per factory and always kept. Other bodies are kept up to
    `max_entries`, least recently used first out.
    """

    def __init__(self, inner: AzureSource, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._inner = inner
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._pinned: dict[Hashable, _Slot] = {}
        self._recent: OrderedDict[Hashable, _Slot] = OrderedDict()
        self.stats = CacheStats()

    def _cached(self, call: str, key: Hashable, compute: Callable[[], Any], pinned: bool = False) -> Any:
        table = self._pinned if pinned else self._recent
        with self._lock:
            slot = table.get(key)
            owner = slot is None
            if slot is None:
                slot = _Slot()
                table[key] = slot
                self._count(self.stats.sent, call)
                if not pinned:
                    self._evict()
            else:
                self._count(self.stats.reused, call)
                if not pinned:
                    self._recent.move_to_end(key)
        if not owner:
            slot.done.wait()
            if slot.abandoned:
                # The first caller failed with an error that is not an Azure response, so ask again.
                return self._cached(call, key, compute, pinned)
            if slot.error is not None:
                raise slot.error
            return slot.value
        try:
            slot.value = compute()
        except AdlstraceError as error:
            slot.error = error
            raise
        except BaseException:
            # Unexpected failures (bugs, interrupts) are not results worth keeping.
            slot.abandoned = True
            with self._lock:
                if table.get(key) is slot:
                    del table[key]
            raise
        finally:
            slot.done.set()
        return slot.value

    def _evict(self) -> None:
        excess = len(self._recent) - self._max_entries
        if excess <= 0:
            return
        for key in [key for key, slot in self._recent.items() if slot.done.is_set()][:excess]:
            del self._recent[key]

    @staticmethod
    def _count(counter: dict[str, int], call: str) -> None:
        counter[call] = counter.get(call, 0) + 1

    def get_pipeline_run(self, factory: FactoryRef, run_id: str) -> Json:
        key = ("get_pipeline_run", factory.resource_id.lower(), run_id.lower())
        return self._cached(key[0], key, lambda: self._inner.get_pipeline_run(factory, run_id))

    def query_pipeline_runs(
        self,
        factory: FactoryRef,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._inner.query_pipeline_runs(factory, after, before, filters, continuation_token)

    def query_activity_runs(
        self,
        factory: FactoryRef,
        pipeline_run_id: str,
        after: datetime,
        before: datetime,
        filters: tuple[QueryFilter, ...] = (),
        continuation_token: str | None = None,
    ) -> Json:
        return self._inner.query_activity_runs(factory, pipeline_run_id, after, before, filters, continuation_token)

    def get_linked_service(self, factory: FactoryRef, name: str) -> Json:
        # ADF entity names compare case-insensitively.
        key = ("get_linked_service", factory.resource_id.lower(), name.lower())
        return self._cached(key[0], key, lambda: self._inner.get_linked_service(factory, name), pinned=True)

    def get_job(self, account: str, job_id: str) -> Json:
        key = ("get_job", account.lower(), job_id.lower())
        return self._cached(key[0], key, lambda: self._inner.get_job(account, job_id))

    def list_jobs(self, account: str, odata_filter: str, top: int = 200) -> list[Json]:
        key = ("list_jobs", account.lower(), odata_filter, top)
        return self._cached(key[0], key, lambda: self._inner.list_jobs(account, odata_filter, top))
