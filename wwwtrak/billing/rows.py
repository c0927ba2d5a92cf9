"""Reading many rows fast: month-end reads 100,000s of rows, too many for Peewee's per-value conversion."""

from __future__ import annotations

from datetime import date

from wwwtrak.models import database


def raw(query) -> list[tuple]:
    """A query's rows as the database driver returns them (cents, epoch seconds, date text or dates)."""
    return database.execute_sql(*query.sql()).fetchall()


def as_date(value) -> date | None:
    """A date column's value: SQLite gives text, PostgreSQL a date."""
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)
