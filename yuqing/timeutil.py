"""Time helpers. Stored times are UTC; shown times are Asia/Shanghai (docs/design.md "Time")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_as_of(value: str | None) -> datetime:
    """Parse an ISO 8601 timestamp *with an offset* (CLI ``--as-of``); None means now."""
    if value is None:
        return utcnow()
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"not an ISO 8601 timestamp: {value!r}") from e
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp needs an offset (e.g. +08:00): {value!r}")
    return parsed.astimezone(UTC)


def to_utc(value: datetime) -> datetime:
    """Zone-less datetimes are Asia/Shanghai (feeds from Chinese sites); the result is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)


def shanghai(value: datetime) -> datetime:
    return to_utc(value).astimezone(SHANGHAI)


def fmt_local(value: datetime | None) -> str:
    """Human display in Asia/Shanghai, minute precision."""
    if value is None:
        return "—"
    return shanghai(value).strftime("%Y-%m-%d %H:%M")
