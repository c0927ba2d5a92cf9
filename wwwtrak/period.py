"""A billing period: one calendar month, half-open ``[first day, first day of next month)``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from wwwtrak.errors import InvalidInput

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month; ``str(p)`` is ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self):
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9998):
            raise InvalidInput(f"month: {self.year:04d}-{self.month:02d} is not a month (YYYY-MM)")

    @classmethod
    def parse(cls, text: str, field: str = "month") -> Period:
        """``YYYY-MM`` or an error naming the field."""
        m = _MONTH.fullmatch(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1 <= int(m.group(1)) <= 9998:
            raise InvalidInput(f"{field}: {text!r} is not a month (YYYY-MM)")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month a day falls in."""
        return cls(day.year, day.month)

    @cached_property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @cached_property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @cached_property
    def next_first_day(self) -> date:
        """The first day after the period (its exclusive end; the invoices' issue date)."""
        return self.last_day + timedelta(days=1)

    @cached_property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``(start, end)`` in UTC of the month's midnights in ``zone``, half-open."""

        def midnight(d: date) -> datetime:
            return datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(timezone.utc)

        return midnight(self.first_day), midnight(self.next_first_day)

    def contains(self, day: date) -> bool:
        return self.first_day <= day < self.next_first_day

    def previous(self) -> Period:
        return Period.of(self.first_day - timedelta(days=1))

    def next(self) -> Period:
        return Period.of(self.next_first_day)

    @cached_property
    def _text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self._text
