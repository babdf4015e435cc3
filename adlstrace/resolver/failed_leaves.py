"""Pick the failed activities that hold the root cause, not the wrappers around them."""

from __future__ import annotations

from adlstrace.sources.base import Json
from adlstrace.timeutil import parse_optional_utc

# Control activities whose failure only wraps the failure of an activity inside them; their
# inner activities run in the same pipeline run, with an iterationHash inside ForEach/Until.
CONTAINER_TYPES = frozenset({"foreach", "until", "ifcondition", "switch"})


def is_container(activity: Json) -> bool:
    return str(activity.get("activityType") or "").lower() in CONTAINER_TYPES


def _start_key(activity: Json) -> float:
    start = parse_optional_utc(activity.get("activityRunStart"))
    return start.timestamp() if start else 0.0


def failed_leaves(activities: list[Json]) -> list[Json]:
    """Failed activities, root cause first: leaves by start time, then containers.

    A container is listed only if no failed activity ran inside its time span; then its own
    error is all there is. Retries of one activity are reduced to the latest attempt.
    """
    failed = [a for a in activities if a.get("status") == "Failed"]
    latest: dict[tuple[str, str], Json] = {}
    for activity in failed:
        key = (str(activity.get("activityName")), str(activity.get("iterationHash") or ""))
        current = latest.get(key)
        if current is None or _start_key(activity) >= _start_key(current):
            latest[key] = activity
    leaves = sorted((a for a in latest.values() if not is_container(a)), key=_start_key)
    containers = [a for a in latest.values() if is_container(a) and not _wraps_any(a, leaves)]
    return leaves + sorted(containers, key=_start_key)


def _wraps_any(container: Json, leaves: list[Json]) -> bool:
    start = parse_optional_utc(container.get("activityRunStart"))
    end = parse_optional_utc(container.get("activityRunEnd"))
    if start is None:
        return bool(leaves)
    for leaf in leaves:
        leaf_start = parse_optional_utc(leaf.get("activityRunStart"))
        if leaf_start is not None and start <= leaf_start and (end is None or leaf_start <= end):
            return True
    return False


def inner_failures(container: Json, activities: list[Json]) -> list[Json]:
    """Failed non-container activities that ran inside the container's time span."""
    leaves = [a for a in failed_leaves(activities) if not is_container(a)]
    return [leaf for leaf in leaves if _wraps_any(container, [leaf])]
