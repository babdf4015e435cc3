"""Read every page of an ADF run query, guarding against tokens that never end."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from adlstrace.errors import AzureCallError
from adlstrace.sources.base import Json

logger = logging.getLogger(__name__)

# An upper bound so a service that keeps issuing new tokens cannot keep us here forever:
# 2,000 pages of ADF's ~100 runs is far past the run count of a 45-day factory history.
MAX_PAGES = 2000


def iter_run_pages(fetch: Callable[[str | None], Json], what: str) -> Iterator[list[Json]]:
    """Yield the `value` list of each page; stop on a missing token or a token seen before.

    A run already yielded (same `activityRunId` or `runId`) is left out, because a token that
    points back at its own page serves that page twice before the repeat is noticed.
    """
    token: str | None = None
    seen: set[str] = set()
    yielded_ids: set[str] = set()
    for _ in range(MAX_PAGES):
        page = fetch(token)
        values = page.get("value") or []
        if not isinstance(values, list):
            raise AzureCallError(f"{what} returned a page whose 'value' is not a list.")
        yield [item for item in values if isinstance(item, dict) and _is_new(item, yielded_ids)]
        token = page.get("continuationToken")
        if not token:
            return
        if token in seen:
            logger.warning("%s repeated a continuation token; stopped reading pages", what)
            return
        seen.add(token)
    logger.warning("%s: stopped after %d pages", what, MAX_PAGES)


def _is_new(item: Json, yielded_ids: set[str]) -> bool:
    run_id = item.get("activityRunId") or item.get("runId")
    if not isinstance(run_id, str) or not run_id:
        return True
    if run_id in yielded_ids:
        return False
    yielded_ids.add(run_id)
    return True
