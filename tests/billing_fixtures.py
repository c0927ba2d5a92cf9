"""Plans, customers and sessions for billing tests, written straight into the test's database.

The customer and usage commands (issues 3 and 4) are built on other branches;
until they land these helpers stand in for ``plan add``, ``customer add`` and
``usage import`` by creating the same rows with the models.
"""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from wwwtrak import db
from wwwtrak.models import Customer, Login, Plan, PlanPrice, UsageSession

CHICAGO = ZoneInfo("America/Chicago")
_session_ids = itertools.count(1)


@contextmanager
def opened():
    """The test's database, open for direct writes, in one transaction."""
    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        with db.atomic():
            yield
    finally:
        db.close_database()


def add_plan(code="basic", name="Basic", monthly_fee="30.00", effective="2000-01", **price) -> int:
    with opened():
        plan = Plan.create(code=code, name=name)
    add_price(plan.id, effective, monthly_fee, **price)
    return plan.id


def add_price(plan_id: int, effective: str, monthly_fee="30.00", setup_fee="0", included_hours=None, overage_per_hour="0",
              included_gb=None, overage_per_gb="0", taxable=True) -> None:
    with opened():
        PlanPrice.create(
            plan=plan_id, effective=effective, monthly_fee=Decimal(monthly_fee), setup_fee=Decimal(setup_fee),
            included_seconds=None if included_hours is None else int(Decimal(included_hours) * 3600),
            overage_per_hour=Decimal(overage_per_hour),
            included_bytes=None if included_gb is None else int(Decimal(included_gb) * 10**9),
            overage_per_gb=Decimal(overage_per_gb), taxable=taxable,
        )


def add_customer(name="Alice Smith", start="2026-01-01", plan=None, close=None, state="US-IL", country="US",
                 payment_terms=None, tax_exempt=None, logins=(), **fields) -> int:
    with opened():
        c = Customer.create(
            type=fields.pop("type", "individual"), name=name, start_date=date.fromisoformat(start), plan=plan,
            close_date=None if close is None else date.fromisoformat(close), status="closed" if close else "active",
            state=state, country=country, payment_terms=payment_terms, tax_exempt=tax_exempt, **fields,
        )
        for login in logins:
            Login.create(customer=c.id, username=login, key=login.casefold())
    return c.id


def local(text: str) -> datetime:
    """A wall-clock time in Chicago (the test database's zone) as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).astimezone(timezone.utc)


def add_session(customer_id: int | None, stop: str | datetime, seconds: int = 0, bytes_in: int = 0, bytes_out: int = 0,
                login: str = "user", start: str | datetime | None = None) -> int:
    """A finished session; ``stop`` and ``start`` are Chicago wall-clock times unless aware."""
    stop_at = local(stop) if isinstance(stop, str) else stop
    start_at = local(start) if isinstance(start, str) else start or stop_at
    with opened():
        s = UsageSession.create(
            nas="nas1", session_id=f"s{next(_session_ids)}", login=login, login_key=login.casefold(), customer=customer_id,
            start=start_at, stop=stop_at, last_event=stop_at, seconds=seconds, bytes_in=bytes_in, bytes_out=bytes_out,
        )
    return s.id


def link_sessions(login: str, customer_id: int) -> None:
    """Give a login's unmatched sessions to a customer, as linking a login later does."""
    with opened():
        UsageSession.update(customer=customer_id).where(UsageSession.login_key == login.casefold()).execute()


def dump() -> str:
    """Every table but the seed lookups, as text, to prove a command changed nothing."""
    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        tables = sorted(t for t in db.database.get_tables() if t != "lookup")
        return "\n".join(f"{t}: {db.database.execute_sql(f'SELECT * FROM {t} ORDER BY 1').fetchall()}" for t in tables)
    finally:
        db.close_database()


def bill(month: str, *options: str) -> dict:
    """Run month-end for ``month`` through the CLI; its JSON summary."""
    from helpers import invoke

    r = invoke("billing", "run-month", "--month", month, "--format", "json", *options)
    assert r.exit_code == 0, r.stderr
    return r.json


def invoices(*options: str) -> list[dict]:
    """``invoice list --format json`` with the options given."""
    from helpers import invoke

    r = invoke("invoice", "list", "--format", "json", *options)
    assert r.exit_code == 0, r.stderr
    return r.json


def lines(customer_id: int, month: str) -> list[tuple[str, str]]:
    """(kind, amount) of each line of a customer's invoice for a month; [] when it has none."""
    found = invoices("--customer", str(customer_id), "--month", month)
    assert len(found) <= 1
    return [(ln["kind"], ln["amount"]) for inv in found for ln in inv["lines"]]
