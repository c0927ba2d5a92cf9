"""Money: ``Decimal`` in code, integer cents in storage, half-up rounding."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from wwwtrak.errors import InvalidInput

CENT = Decimal("0.01")


def round_cents(amount: Decimal) -> Decimal:
    """Round an amount half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    """Integer cents of an amount that already has at most two decimals."""
    q = round_cents(amount)
    if q != amount:
        raise ValueError(f"{amount} has more than two decimals")
    return int(q * 100)


def from_cents(cents: int) -> Decimal:
    """The Decimal amount of a number of cents."""
    return Decimal(int(cents)).scaleb(-2)  # exact: the same value and exponent as / 100 quantized to the cent


def fmt(amount: Decimal | int) -> str:
    """Money as the contract's string: two decimals, no separators."""
    if isinstance(amount, int):
        amount = from_cents(amount)
    return f"{amount.quantize(CENT)}"


_MONEY_RE = re.compile(r"^[+-]?[0-9]+(\.[0-9]*)?$|^[+-]?\.[0-9]+$", re.ASCII)
_NUMBER_RE = _MONEY_RE


def parse_money(text: str, field: str, *, allow_negative: bool = False) -> Decimal:
    """Parse a money string such as ``19.95`` (plain ASCII digits, no exponent or separators)."""
    s = str(text).strip()
    if not _MONEY_RE.match(s):
        raise InvalidInput(f"{field}: {text!r} is not an amount of money")
    value = Decimal(s)
    if value != round_cents(value):
        raise InvalidInput(f"{field}: {text!r} has more than two decimals")
    if value < 0 and not allow_negative:
        raise InvalidInput(f"{field}: {text!r} must not be negative")
    if abs(value) >= Decimal("1e13"):
        raise InvalidInput(f"{field}: {text!r} is too large")
    return round_cents(value)


def parse_percent(text: str, field: str) -> Decimal:
    """Parse a percentage (0 to 100, up to four decimals), returned in plain notation."""
    s = str(text).strip()
    if not _NUMBER_RE.match(s):
        raise InvalidInput(f"{field}: {text!r} is not a number")
    value = Decimal(s)
    if value < 0 or value > 100:
        raise InvalidInput(f"{field}: {text!r} must be a percent from 0 to 100")
    if value != value.quantize(Decimal("0.0001")):
        raise InvalidInput(f"{field}: {text!r} has more than four decimals")
    return plain(value)


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent: 1.50 -> 1.5, 1E+1 -> 10, -0 -> 0."""
    if value == 0:
        return Decimal(0)
    text = format(value.normalize(), "f")
    return Decimal(text)
