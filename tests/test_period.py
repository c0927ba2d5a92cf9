"""Period: a calendar month in the ISP's zone, half-open [first day, next first day)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wwwtrak.errors import InvalidInput
from wwwtrak.period import Period

CHICAGO = ZoneInfo("America/Chicago")


def test_parse_and_format():
    p = Period.parse("2026-11")
    assert (p.year, p.month) == (2026, 11)
    assert str(p) == "2026-11"
    assert p.first_day == date(2026, 11, 1)
    assert p.next_first_day == date(2026, 12, 1)
    assert p.last_day == date(2026, 11, 30)
    assert p.days == 30


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "november", "2026-11-01"])
def test_parse_refuses_what_is_not_a_month(text):
    with pytest.raises(InvalidInput) as e:
        Period.parse(text, "--month")
    assert str(e.value) == f"--month: {text!r} is not a month (YYYY-MM)"


def test_previous_and_next_cross_years():
    assert str(Period.parse("2026-01").previous()) == "2025-12"
    assert str(Period.parse("2025-12").next()) == "2026-01"
    assert Period.parse("2024-02").days == 29
    assert Period.parse("2100-02").days == 28


def test_of_a_date_and_ordering():
    assert Period.of(date(2026, 3, 31)) == Period(2026, 3)
    assert Period(2025, 12) < Period(2026, 1)
    assert Period(2026, 3).contains(date(2026, 3, 1)) and not Period(2026, 3).contains(date(2026, 4, 1))


def test_utc_bounds_in_a_daylight_saving_month():
    # March 2026 in Chicago starts on CST (-6) and ends on CDT (-5): one hour short.
    lo, hi = Period(2026, 3).utc_bounds(CHICAGO)
    assert lo == datetime(2026, 3, 1, 6, tzinfo=timezone.utc)
    assert hi == datetime(2026, 4, 1, 5, tzinfo=timezone.utc)
    assert (hi - lo).total_seconds() == 31 * 86400 - 3600
    lo, hi = Period(2026, 11).utc_bounds(CHICAGO)
    assert lo == datetime(2026, 11, 1, 5, tzinfo=timezone.utc)
    assert hi == datetime(2026, 12, 1, 6, tzinfo=timezone.utc)
    assert (hi - lo).total_seconds() == 30 * 86400 + 3600


def test_utc_bounds_in_utc():
    lo, hi = Period(2026, 2).utc_bounds(timezone.utc)
    assert (lo.isoformat(), hi.isoformat()) == ("2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00")


@given(st.integers(min_value=1971 * 12, max_value=2200 * 12))
def test_consecutive_months_tile_time(n):
    """Each month's upper bound is the next month's lower bound, whatever the zone's rules."""
    p = Period(n // 12, n % 12 + 1)
    assert p.utc_bounds(CHICAGO)[1] == p.next().utc_bounds(CHICAGO)[0]
    assert p.next().previous() == p
    assert Period.parse(str(p)) == p
    assert (p.next_first_day - p.first_day).days == p.days
