"""The pricing rules of BILLING.md, one small function each.

Every rule computes exactly (integers and ratios, never float) and rounds
once, half-up to the cent, as the rule says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wwwtrak.money import round_cents
from wwwtrak.period import Period

SECONDS_PER_MINUTE = 60
BYTES_PER_MB = 10**6
MB_PER_GB = 1000


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (away from zero), as money is rounded."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def cents(amount: Decimal) -> int:
    """An amount of at most two decimals as integer cents."""
    return int(amount.scaleb(2))


def money(cents_: int) -> Decimal:
    """Integer cents as a two-decimal amount."""
    return Decimal(cents_).scaleb(-2)


def times(amount: Decimal, numerator: int, denominator: int = 1) -> Decimal:
    """``amount × numerator / denominator`` rounded half-up to the cent, computed exactly."""
    n, d = amount.as_integer_ratio()
    return money(_half_up(n * numerator * 100, d * denominator))


def active_days(period: Period, start: date | None, end: date | None) -> tuple[date, date] | None:
    """The first and last day (both inclusive) of ``[start, end]`` inside the period, or None."""
    first = period.first_day if start is None or start < period.first_day else start
    last = period.last_day if end is None or end > period.last_day else end
    return (first, last) if first <= last else None


def prorate(fee: Decimal, days: int, days_in_month: int) -> Decimal:
    """A monthly fee for ``days`` of a month: ``fee × days / days_in_month``; a whole month is the fee."""
    if days == days_in_month:
        return round_cents(fee)
    return times(fee, days, days_in_month)


def extend(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """``unit_price × quantity``, exact (rounding comes with proration or the line)."""
    return unit_price * quantity


@dataclass(frozen=True)
class Overage:
    """Units over an allowance (whole minutes or megabytes) and what they cost."""

    units: int
    amount: Decimal


NO_OVERAGE = Overage(0, Decimal("0.00"))


def time_overage(seconds: int, included_seconds: int | None, per_hour: Decimal) -> Overage:
    """Seconds over the allowance, rounded up to whole minutes, at ``per_hour / 60`` a minute.

    A plan without a time allowance (None) bills no time.
    """
    if included_seconds is None or seconds <= included_seconds:
        return NO_OVERAGE
    minutes = _ceil_div(seconds - included_seconds, SECONDS_PER_MINUTE)
    return Overage(minutes, times(per_hour, minutes, 60))


def data_overage(nbytes: int, included_bytes: int | None, per_gb: Decimal) -> Overage:
    """Bytes over the allowance, rounded up to whole megabytes (10^6), at ``per_gb / 1000`` a megabyte.

    A plan without a data allowance (None) bills no data.
    """
    if included_bytes is None or nbytes <= included_bytes:
        return NO_OVERAGE
    mb = _ceil_div(nbytes - included_bytes, BYTES_PER_MB)
    return Overage(mb, times(per_gb, mb, MB_PER_GB))


def tax(taxable_total: Decimal, percent: Decimal) -> Decimal:
    """The rate applied to the sum of an invoice's taxable lines, rounded once."""
    return times(taxable_total * percent, 1, 100)


def late_fee(overdue: Decimal, fixed: Decimal, percent: Decimal) -> Decimal:
    """The payment terms' fixed late fee plus ``percent`` of the overdue balance."""
    if overdue <= 0:
        return Decimal("0.00")
    return times(fixed, 1) + times(overdue * percent, 1, 100)
