"""UTC timestamps and durations as Azure writes them and users type them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from adlstrace.errors import UsageError

# Azure returns up to 7 fractional digits (100 ns ticks), e.g. "2018-06-16T00:37:44.6257014Z";
# datetime.fromisoformat accepts at most 6 before Python 3.11, so the extra digits are cut.
_FRACTION = re.compile(r"(\.\d{1,6})\d*")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Ten years: far past ADF's 45-day run history, and short enough that now minus the
# duration stays a valid datetime (a duration near timedelta.max would overflow).
MAX_DURATION = timedelta(days=3650)


def parse_utc(value: str) -> datetime:
    """Parse an ISO 8601 timestamp into an aware UTC datetime.

    A timestamp without an offset is taken as UTC, as ADF and ADLA write UTC. Raises
    ValueError on text that is not a timestamp.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(r"\1", text, count=1)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # For example 0001-01-01T00:00:00+01:00, which is before year 1 in UTC.
        raise ValueError(f"timestamp {value!r} is out of range in UTC") from None


def parse_optional_utc(value: object) -> datetime | None:
    """Parse a timestamp field that Azure may leave null or empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def format_utc(moment: datetime) -> str:
    """Format as ISO 8601 UTC with 7 fractional digits, the form Azure expects in queries."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def format_display(moment: datetime | None) -> str:
    """Format for people: second precision, explicit UTC."""
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def parse_duration(value: str) -> timedelta:
    """Parse a duration such as `90m`, `24h`, `7d` or `2w` (units s, m, h, d, w)."""
    match = _DURATION.match(value or "")
    if not match:
        raise UsageError(
            f"Invalid duration {value!r}.",
            "Use a number followed by a unit: s, m, h, d or w, for example 24h or 7d.",
        )
    amount = float(match.group(1))
    seconds = amount * _DURATION_UNITS[match.group(2).lower()]
    if seconds <= 0:
        raise UsageError(f"Invalid duration {value!r}: it must be longer than zero.", "Use for example 24h or 7d.")
    if seconds > MAX_DURATION.total_seconds():
        raise UsageError(
            f"Invalid duration {value!r}: it is longer than {MAX_DURATION.days} days.",
            "ADF keeps 45 days of run history, so 45d reaches every run.",
        )
    return timedelta(seconds=seconds)


def parse_user_time(value: str, option: str) -> datetime:
    """Parse a timestamp the user typed for `option`, with an actionable error."""
    try:
        return parse_utc(value)
    except ValueError:
        raise UsageError(
            f"Invalid time {value!r} for {option}.",
            "Use ISO 8601, for example 2026-11-01T00:00Z or 2026-11-01T00:00:00+01:00.",
        ) from None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
