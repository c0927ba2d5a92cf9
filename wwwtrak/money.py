"""Money: ``Decimal`` in code, integer cents in storage, half-up rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
    return (Decimal(int(cents)) / 100).quantize(CENT)


def fmt(amount: Decimal | int) -> str:
    """Money as the contract's string: two decimals, no separators."""
    if isinstance(amount, int):
        amount = from_cents(amount)
    return f"{amount.quantize(CENT)}"


def parse_money(text: str, field: str, *, allow_negative: bool = False) -> Decimal:
    """Parse a money string from the user, refusing floats' surprises and bad input."""
    s = str(text).strip()
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise InvalidInput(f"{field}: {text!r} is not an amount of money") from None
    if not value.is_finite():
        raise InvalidInput(f"{field}: {text!r} is not an amount of money")
    if value.as_tuple().exponent < -2 and value != round_cents(value):
        raise InvalidInput(f"{field}: {text!r} has more than two decimals")
    if value < 0 and not allow_negative:
        raise InvalidInput(f"{field}: {text!r} must not be negative")
    if abs(value) >= Decimal("1e13"):
        raise InvalidInput(f"{field}: {text!r} is too large")
    return round_cents(value)


def parse_percent(text: str, field: str) -> Decimal:
    """Parse a percentage (0 to 100, up to four decimals)."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInput(f"{field}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise InvalidInput(f"{field}: {text!r} must be a percent from 0 to 100")
    if value != value.quantize(Decimal("0.0001")):
        raise InvalidInput(f"{field}: {text!r} has more than four decimals")
    return value
