"""Reading sessions back: by customer, login or month, and the logins no customer holds."""

from __future__ import annotations

from datetime import datetime
from typing import Iterator

from peewee import fn

from wwwtrak import instance
from wwwtrak.errors import NotFound
from wwwtrak.models import Customer, UsageSession
from wwwtrak.period import Period


def _local(value: datetime | None, zone) -> datetime | None:
    return None if value is None else value.astimezone(zone)


def list_sessions(customer: int | None = None, login: str | None = None, month: Period | None = None) -> Iterator[dict]:
    """Sessions in order of start, times in the ISP's zone; ``month`` selects by stop time in that zone.

    Checks its arguments at once (a missing customer is an error before any row), then streams.
    """
    zone = instance.zone()
    S = UsageSession
    query = S.select(S.id, S.login, S.customer, S.nas, S.session_id, S.start, S.stop, S.seconds, S.bytes_in, S.bytes_out)
    if customer is not None:
        if not 0 < customer < 2**63 or Customer.get_or_none(Customer.id == customer) is None:  # no SQLite overflow
            raise NotFound(f"customer {customer} not found")
        query = query.where(S.customer == customer)
    if login is not None:
        query = query.where(S.login_key == login.strip().casefold())
    if month is not None:
        lo, hi = month.utc_bounds(zone)
        query = query.where((S.stop >= lo) & (S.stop < hi))
    return (
        {"id": sid, "login": login_, "customer_id": customer_id, "nas": nas, "session_id": session_id,
         "start": _local(start, zone), "stop": _local(stop, zone), "seconds": secs, "bytes_in": bytes_in, "bytes_out": bytes_out}
        for sid, login_, customer_id, nas, session_id, start, stop, secs, bytes_in, bytes_out
        in query.order_by(S.start, S.id).tuples().iterator()
    )


def unmatched() -> list[dict]:
    """Per login that no customer holds: its sessions, their totals, first start and last stop."""
    zone = instance.zone()
    S = UsageSession
    query = (
        S.select(fn.MIN(S.login), fn.COUNT(S.id), fn.SUM(S.seconds), fn.SUM(S.bytes_in), fn.SUM(S.bytes_out),
                 fn.MIN(S.start), fn.MAX(S.stop))
        .where(S.customer.is_null())
        .group_by(S.login_key)
        .order_by(S.login_key)
    )
    return [
        # PostgreSQL's SUM of a bigint is a numeric: counts stay whole numbers on both backends
        {"login": login, "sessions": n, "seconds": int(secs), "bytes_in": int(bytes_in), "bytes_out": int(bytes_out),
         "first_start": _local(first, zone), "last_stop": _local(last, zone)}
        for login, n, secs, bytes_in, bytes_out, first, last in query.tuples()
    ]
