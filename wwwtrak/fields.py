"""Peewee fields for money and time that never pass through float."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from peewee import BigIntegerField

from wwwtrak.money import from_cents, to_cents


class MoneyField(BigIntegerField):
    """Decimal in Python, integer cents in the database."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, int):
            raise TypeError("MoneyField takes Decimal, not int")
        return to_cents(Decimal(value))

    def python_value(self, value):
        return None if value is None else from_cents(int(value))


class TimestampField(BigIntegerField):
    """Aware UTC datetime in Python, whole epoch seconds in the database."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, (int,)):
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times only")
        return int(value.timestamp())

    def python_value(self, value):
        if value is None:
            return None
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
