"""The one clock: every "now" and "today" of the core comes from here.

``WWWTRAK_NOW`` (an ISO 8601 timestamp) pins the clock, for tests, demos and
re-running a month-end as of a past day.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from wwwtrak.errors import InvalidInput


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    pinned = os.environ.get("WWWTRAK_NOW")
    if pinned:
        try:
            value = datetime.fromisoformat(pinned)
        except ValueError:
            raise InvalidInput(f"WWWTRAK_NOW: {pinned!r} is not an ISO 8601 timestamp") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def today(zone: ZoneInfo) -> date:
    """Today's date in the ISP's zone."""
    return now_utc().astimezone(zone).date()


def parse_date(text: str, field: str) -> date:
    """Parse YYYY-MM-DD or refuse naming the field."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{field}: {text!r} is not a date (YYYY-MM-DD)") from None


def iso_utc(value: datetime) -> str:
    """A stored UTC timestamp as ISO 8601 with offset."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()
