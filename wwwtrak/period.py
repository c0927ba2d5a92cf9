"""Calendar months as half-open periods, [first day, first day of the next month).

A month is a calendar month in the ISP's time zone; ``utc_bounds`` turns it
into the UTC instants that stored timestamps are compared with.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo

from wwwtrak.errors import InvalidInput

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, e.g. ``Period(2026, 11)`` for November 2026."""

    year: int
    month: int

    def __post_init__(self):
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9998):
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str, field: str = "month") -> Period:
        """``YYYY-MM`` as a Period, or an error naming ``field``."""
        m = _MONTH_RE.fullmatch(str(text).strip())
        if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
            raise InvalidInput(f"{field}: {text!r} is not a month (YYYY-MM)")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a day falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        """The first day after the period (its exclusive end)."""
        return self.next().first_day

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """How many days the month has."""
        return calendar.monthrange(self.year, self.month)[1]

    def contains(self, day: date) -> bool:
        return self.first_day <= day < self.next_first_day

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def utc_bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """The month's half-open bounds as aware UTC datetimes: midnight of its first day in ``zone``
        and midnight of the next month's first day."""

        def midnight(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(timezone.utc)

        return midnight(self.first_day), midnight(self.next_first_day)
