"""Plans, customers and sessions for billing tests.

Plans and customers go through the real commands (``plan add``, ``customer
add``...). Sessions are written straight into the test's database until the
usage importer (issue 4) lands.
"""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from helpers import invoke
from wwwtrak import db
from wwwtrak.models import UsageSession

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


def _ok(*args) -> str:
    r = invoke(*args)
    assert r.exit_code == 0, r.stderr
    return r.stdout


def _price_options(monthly_fee, setup_fee, included_hours, overage_per_hour, included_gb, overage_per_gb, taxable) -> list[str]:
    options = ["--monthly-fee", monthly_fee, "--setup-fee", setup_fee, "--overage-per-hour", overage_per_hour,
               "--overage-per-gb", overage_per_gb, "--taxable" if taxable else "--not-taxable"]
    options += ["--included-hours", "none" if included_hours is None else included_hours]
    options += ["--included-gb", "none" if included_gb is None else included_gb]
    return options


def add_plan(code="basic", name="Basic", monthly_fee="30.00", effective="2000-01", setup_fee="0", included_hours=None,
             overage_per_hour="0", included_gb=None, overage_per_gb="0", taxable=True) -> str:
    """``plan add``; returns the plan code."""
    _ok("plan", "add", code, "--name", name, "--effective", effective,
        *_price_options(monthly_fee, setup_fee, included_hours, overage_per_hour, included_gb, overage_per_gb, taxable))
    return code


def add_price(plan: str, effective: str, monthly_fee="30.00", setup_fee="0", included_hours=None, overage_per_hour="0",
              included_gb=None, overage_per_gb="0", taxable=True) -> None:
    """``plan edit --effective``: new prices from a month on."""
    _ok("plan", "edit", plan, "--effective", effective,
        *_price_options(monthly_fee, setup_fee, included_hours, overage_per_hour, included_gb, overage_per_gb, taxable))


def add_customer(name="Alice Smith", start="2026-01-01", plan=None, close=None, state="US-IL", country="US",
                 payment_terms=None, tax_exempt=None, logins=(), **fields) -> int:
    """``customer add`` (an individual on ``plan``, else a commercial customer) and ``customer close``; the account number."""
    kind = fields.pop("type", "individual" if plan else "commercial")
    args = ["customer", "add", "--type", kind, "--name", name, "--start-date", start, "--state", state, "--country", country]
    if kind == "commercial":
        args += ["--company", fields.pop("company", name), "--contact", fields.pop("contact", name)]
    for option, value in (("--plan", plan), ("--payment-terms", payment_terms), ("--tax-exempt", tax_exempt)):
        if value is not None:
            args += [option, value]
    for login in logins:
        args += ["--login", login]
    for key, value in fields.items():
        args += [f"--{key.replace('_', '-')}", value]
    customer_id = int(_ok(*args).split()[2])
    if close is not None:
        _ok("customer", "close", customer_id, "--date", close)
    return customer_id


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


def link_login(customer_id: int, login: str) -> None:
    """``customer login add``: the login's unmatched sessions become the customer's."""
    _ok("customer", "login", "add", customer_id, login)


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
    r = invoke("billing", "run-month", "--month", month, "--format", "json", *options)
    assert r.exit_code == 0, r.stderr
    return r.json


def invoices(*options: str) -> list[dict]:
    """``invoice list --format json`` with the options given."""
    r = invoke("invoice", "list", "--format", "json", *options)
    assert r.exit_code == 0, r.stderr
    return r.json


def lines(customer_id: int, month: str) -> list[tuple[str, str]]:
    """(kind, amount) of each line of a customer's invoice for a month; [] when it has none."""
    found = invoices("--customer", str(customer_id), "--month", month)
    assert len(found) <= 1
    return [(ln["kind"], ln["amount"]) for inv in found for ln in inv["lines"]]
