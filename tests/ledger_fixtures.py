"""Customers and invoices made directly in the database for ledger tests, until month-end billing drives them.

Every invoice is posted through ``ledger.post_invoice`` in the same transaction
that saves it, as the billing run does, so the journal is always written.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from wwwtrak import db, instance, ledger
from wwwtrak.models import BillingRun, Customer, CustomerTag, Invoice, InvoiceLine, Login, UsageSession
from wwwtrak.money import round_cents
from wwwtrak.period import Period

ACCOUNTS = {"plan": "Income:Plans", "service": "Income:Services", "charge": "Income:Charges", "time": "Income:Usage", "late-fee": "Income:Late fees"}


class Books:
    """In-process access to the test database (opened per call, closed after, like a command)."""

    def __init__(self, path: str | None = None):
        self.path = path or os.environ["WWWTRAK_DB"]
        self.depth = 0

    def __enter__(self):
        if self.depth == 0:
            db.open_database(self.path)
        self.depth += 1
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        if self.depth == 0:
            db.close_database()

    def customer(self, name: str, state: str | None = "US-IL", terms: str = "net-30", tags=(), logins=(), **fields) -> int:
        with self, db.atomic():
            c = Customer.create(type=fields.pop("type", "individual"), name=name, country=fields.pop("country", "US"), state=state,
                                payment_terms=terms, start_date=fields.pop("start_date", date(2026, 1, 1)), **fields)
            for tag in tags:
                CustomerTag.create(customer=c.id, tag=tag)
            for login in logins:
                Login.create(customer=c.id, username=login, key=login.casefold())
            return c.id

    def invoice(self, customer_id: int, month: str, lines: list[tuple[str, str, bool]], tax_percent: str = "0", days: int = 30,
                number: int | None = None) -> int:
        """Save and post one invoice: ``lines`` are (kind, amount, taxable); tax rounded half-up once."""
        period = Period.parse(month)
        with self, db.atomic():
            run = BillingRun.get_or_none(BillingRun.month == month)
            if run is None:
                start, end = period.utc_bounds(instance.zone())
                run = BillingRun.create(month=month, at=start, operator=None, operator_name="test", start_utc=start, end_utc=end,
                                        subtotal=Decimal(0), tax=Decimal(0), total=Decimal(0))
            number = number or (Invoice.select(Invoice.number).order_by(Invoice.number.desc()).scalar() or 0) + 1
            amounts = [(k, Decimal(a), t) for k, a, t in lines]
            subtotal = sum((a for _k, a, _t in amounts), Decimal("0.00"))
            tax = round_cents(sum((a for _k, a, t in amounts if t), Decimal(0)) * Decimal(tax_percent) / 100)
            issue = period.next_first_day
            inv = Invoice.create(number=number, run=run, customer=customer_id, period=month, issue_date=issue,
                                 due_date=issue + timedelta(days=days), subtotal=subtotal, tax_percent=tax_percent, tax=tax,
                                 total=subtotal + tax, previous_balance=Decimal(0))
            for i, (kind, amount, taxable) in enumerate(amounts, 1):
                InvoiceLine.create(invoice=inv, position=i, kind=kind, account=ACCOUNTS[kind], description=f"{kind} {month}",
                                   amount=amount, taxable=taxable)
            run.invoices += 1
            run.total += inv.total
            run.save()
            ledger.post_invoice(inv)
            return number

    def session(self, customer_id: int | None, stop: str | None, seconds: int, bytes_in: int = 0, bytes_out: int = 0) -> None:
        """A RADIUS session of the customer that ended at ``stop`` (ISO 8601 with offset; None: still open)."""
        end = datetime.fromisoformat(stop).astimezone(timezone.utc) if stop else None
        start = (end or datetime(2026, 11, 1, tzinfo=timezone.utc)) - timedelta(seconds=seconds)
        with self, db.atomic():
            n = UsageSession.select().count() + 1
            UsageSession.create(nas="nas1", session_id=f"s{n}", login=f"user{customer_id}", login_key=f"user{customer_id}",
                                customer=customer_id, start=start, stop=end, last_event=end or start, seconds=seconds,
                                bytes_in=bytes_in, bytes_out=bytes_out)

    def sql(self, statement: str, *params) -> None:
        """Corrupt or adjust the database behind wwwtrak's back (for ``check`` tests)."""
        from helpers import sql

        sql(statement, *params)
