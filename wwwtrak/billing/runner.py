"""Month-end: load a month's facts with a fixed number of set-based queries, bill, save in one transaction.

The runner owns what the engine must not know: the database, the lock, the
clock and the dry run. A real run is one writing transaction (``db.atomic``:
BEGIN IMMEDIATE on SQLite, the writers' advisory lock on PostgreSQL), so two
runs started at once serialize and the second finds the month billed; a run
that fails or is killed leaves nothing behind.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable

from peewee import fn

from wwwtrak import audit, clock, db, instance
from wwwtrak.audit import Actor
from wwwtrak.billing import balances, engine
from wwwtrak.billing.rows import as_date, raw
from wwwtrak.billing.rules import cents
from wwwtrak.billing.engine import DraftInvoice, MonthBill, MonthFacts
from wwwtrak.errors import InvalidInput
from wwwtrak.models import (
    BilledUsage,
    BillingRun,
    Charge,
    Customer,
    Invoice,
    InvoiceLine,
    Lookup,
    Plan,
    PlanPrice,
    Service,
    Subscription,
    UsageSession,
    database,
)
from wwwtrak.money import from_cents
from wwwtrak.period import Period

# Test hook: a real run creates this file once its invoices are written (inside the
# transaction) and waits until the file is removed, so a test can kill it or race it.
HOLD_ENV = "WWWTRAK_TEST_HOLD_BILLING"


@dataclass(frozen=True)
class RunSummary:
    """A month billed, as ``billing runs`` lists it."""

    month: str
    at: datetime
    operator: str
    invoices: int
    first_number: int | None
    last_number: int | None
    subtotal: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class RunResult:
    """What a run did (or, for a dry run, would do)."""

    month: str
    dry_run: bool
    invoices: tuple[tuple[int, DraftInvoice], ...]  # (number, invoice)
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    already_billed: RunSummary | None = None


def _no_progress(total: int, description: str):
    return nullcontext(_Sink())


class _Sink:
    def advance(self, n: int = 1) -> None:
        pass


def month_to_bill(month: str | None, today) -> Period:
    """The month named, else the last complete month before today; refuse a month not over yet."""
    period = Period.parse(month, "--month") if month is not None else Period.of(today).previous()
    if period.next_first_day > today:
        raise InvalidInput(f"--month: {period} is not over yet (today is {today}); it can be billed from {period.next_first_day} on")
    return period


def run_month(actor: Actor, month: str | None = None, dry_run: bool = False, progress: Callable = _no_progress) -> RunResult:
    """Bill a month (default: the last complete one); a dry run computes the same and writes nothing."""
    zone = instance.zone()
    period = month_to_bill(month, clock.today(zone))
    done = _summary(period)
    if done is not None:
        return _already(period, dry_run, done)
    if dry_run:
        with database.atomic():  # one consistent read; nothing is written
            _snapshot()
            bill = _bill(period, zone, progress)
            first = _next_number()
        return _result(period, True, bill, first)
    with _long_lock_wait(), db.atomic():  # serialized with every writer: a second run waits here
        done = _summary(period)
        if done is not None:
            return _already(period, dry_run, done)
        bill = _bill(period, zone, progress)
        first = _next_number()
        run = _save(actor, period, zone, bill, first)
        post_to_ledger(run)
        audit.record(actor, f"billing run {period}", {"invoices": [None, run.invoices], "total": [None, str(run.total)]})
        _hold_for_tests()
    return _result(period, False, bill, first)


def post_to_ledger(run: BillingRun) -> None:
    """Post every invoice of the run to the journal, inside the run's transaction.

    Each invoice posts receivable against its lines' income accounts
    (``InvoiceLine.account``) and sales tax; account credit is applied to it.
    """
    from wwwtrak import ledger

    ledger.post_run(run)


def _already(period: Period, dry_run: bool, done: RunSummary) -> RunResult:
    return RunResult(str(period), dry_run, (), done.subtotal, done.tax, done.total, already_billed=done)


def _result(period: Period, dry_run: bool, bill: MonthBill, first: int) -> RunResult:
    numbered = tuple(zip(range(first, first + len(bill.invoices)), bill.invoices))
    return RunResult(str(period), dry_run, numbered, bill.subtotal, bill.tax, bill.total)


def _snapshot() -> None:
    """Make a PostgreSQL read transaction see one snapshot (SQLite's always does)."""
    if db.is_postgres_db(database.obj):
        database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


@contextmanager
def _long_lock_wait():
    """Let a run wait for another run's lock as long as month-end may take (SQLite's busy timeout)."""
    if db.is_postgres_db(database.obj):
        yield
        return
    database.execute_sql("PRAGMA busy_timeout = 3600000")
    try:
        yield
    finally:
        database.execute_sql(f"PRAGMA busy_timeout = {db.SQLITE_PRAGMAS['busy_timeout']}")


def _hold_for_tests() -> None:
    path = os.environ.get(HOLD_ENV)
    if not path:
        return
    Path(path).touch()
    deadline = time.monotonic() + 120
    while Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _summary(period: Period) -> RunSummary | None:
    run = BillingRun.get_or_none(BillingRun.month == str(period))
    return None if run is None else summarize(run)


def summarize(run: BillingRun) -> RunSummary:
    return RunSummary(run.month, run.at, run.operator_name, run.invoices, run.first_number, run.last_number, run.subtotal, run.tax, run.total)


def runs() -> list[RunSummary]:
    """Every month billed, oldest month first (dry runs leave no trace)."""
    return [summarize(r) for r in BillingRun.select().order_by(BillingRun.month)]


def billed_months() -> set[str]:
    return {m for (m,) in BillingRun.select(BillingRun.month).tuples()}


def _next_number() -> int:
    return (Invoice.select(fn.MAX(Invoice.number)).scalar() or 0) + 1


def _bill(period: Period, zone, progress: Callable) -> MonthBill:
    facts = load_facts(period, zone)
    with progress(len(facts.customers), f"Billing {period}") as bar:
        return engine.bill_month(facts, bar.advance)


# --- loading: one query per kind of fact, whatever the number of customers ------------


def load_facts(period: Period, zone) -> MonthFacts:
    """Everything the engine needs for the month, in a fixed number of set-based queries."""
    start, end = period.utc_bounds(zone)
    customers = _accounts()
    plans = {a.id: a.plan_id for a in customers}
    return MonthFacts(
        period=period,
        customers=customers,
        prices=_prices(),
        subscriptions=_subscriptions(period),
        charges=_charges(period),
        usage=usage_totals(start, end),
        late_usage=_late_usage(period, start, plans),
        open_invoices=balances.open_before(period.next_first_day),
        tax_rates=_tax_rates(),
        terms=_terms(),
    )


def _accounts() -> list[engine.Account]:
    q = Customer.select(
        Customer.id, Customer.start_date, Customer.close_date, Customer.plan, Customer.country,
        Customer.state, Customer.payment_terms, Customer.tax_exempt,
    ).order_by(Customer.id)
    return [
        engine.Account(cid, as_date(start), as_date(close), plan, country, state, terms.casefold() if terms else None, bool(exempt))
        for cid, start, close, plan, country, state, terms, exempt in raw(q)
    ]


def _prices() -> dict[int, list[engine.PlanPrice]]:
    q = PlanPrice.select(
        PlanPrice.plan, Plan.name, PlanPrice.effective, PlanPrice.monthly_fee, PlanPrice.setup_fee,
        PlanPrice.included_seconds, PlanPrice.overage_per_hour, PlanPrice.included_bytes, PlanPrice.overage_per_gb,
        PlanPrice.taxable,
    ).join(Plan)
    out: dict[int, list[engine.PlanPrice]] = defaultdict(list)
    for row in q.tuples():
        out[row[0]].append(engine.PlanPrice(*row))
    return out


def _subscriptions(period: Period) -> dict[int, list[engine.Subscribed]]:
    first, last = period.first_day, period.last_day
    q = (
        Subscription.select(
            Subscription.id, Subscription.customer, Service.description, Subscription.price, Service.unit_price, Subscription.quantity, Service.recurring, Service.taxable, Subscription.start, Subscription.end, Service.unit,
        )
        .join(Service)
        .where((Subscription.start <= last) & (Subscription.end.is_null() | (Subscription.end >= first)) & (Service.recurring | (Subscription.start >= first)))
        .order_by(Subscription.id)
    )
    out: dict[int, list[engine.Subscribed]] = defaultdict(list)
    for sid, cid, desc, own_price, unit_price, qty, recurring, taxable, start, end_, unit in q.tuples():
        price = unit_price if own_price is None else own_price
        out[cid].append(engine.Subscribed(sid, cid, desc, price, qty, bool(recurring), bool(taxable), start, end_, unit))
    return out


def _charges(period: Period) -> dict[int, list[engine.OneTimeCharge]]:
    q = Charge.select(Charge.id, Charge.customer, Charge.date, Charge.description, Charge.amount, Charge.taxable).where(
        (Charge.date >= period.first_day) & (Charge.date <= period.last_day)
    )
    out: dict[int, list[engine.OneTimeCharge]] = defaultdict(list)
    for row in q.tuples():
        out[row[1]].append(engine.OneTimeCharge(*row))
    return out


def usage_totals(start: datetime, end: datetime) -> dict[int, engine.Usage]:
    """Each customer's seconds and bytes of the sessions that stopped in ``[start, end)``: one GROUP BY."""
    s = UsageSession
    q = (
        s.select(s.customer, fn.SUM(s.seconds), fn.SUM(s.bytes_in + s.bytes_out))
        .where(s.customer.is_null(False) & (s.stop >= start) & (s.stop < end))
        .group_by(s.customer)
    )
    return {cid: engine.Usage(int(sec), int(nbytes)) for cid, sec, nbytes in raw(q)}


# Earlier billed months whose sessions no longer add up to what was billed: the
# sessions now (each put in the billed month its stop falls in) against the
# BilledUsage rows. One pass over the sessions before the month, whatever the
# number of billed months (usage_session has no index on stop alone).
_LATE_USAGE_SQL = """
SELECT customer_id, month, SUM(ns), SUM(nb), SUM(bs), SUM(bb), SUM(bt), SUM(bd), SUM(nrows), MAX(plan_id)
FROM (
    SELECT s.customer_id AS customer_id, r.month AS month, s.seconds AS ns, s.bytes_in + s.bytes_out AS nb,
           0 AS bs, 0 AS bb, 0 AS bt, 0 AS bd, 0 AS nrows, NULL AS plan_id
    FROM usage_session AS s CROSS JOIN billing_run AS r
    WHERE s.stop < ? AND s.customer_id IS NOT NULL AND s.stop >= r.start_utc AND s.stop < r.end_utc AND r.month < ?
    UNION ALL
    SELECT customer_id, month, 0, 0, seconds, bytes, time_amount, data_amount, 1, plan_id
    FROM billed_usage WHERE month < ?
) AS changes
GROUP BY customer_id, month
HAVING SUM(ns) != SUM(bs) OR SUM(nb) != SUM(bb)
"""


def _late_usage(period: Period, start: datetime, plans: dict[int, int | None]) -> dict[int, list[engine.BilledMonth]]:
    out: dict[int, list[engine.BilledMonth]] = defaultdict(list)
    params = (int(start.timestamp()), str(period), str(period))
    cursor = database.execute_sql(_LATE_USAGE_SQL.replace("?", database.obj.param), params)
    for cid, month, ns, nb, bs, bb, bt, bd, nrows, plan in cursor.fetchall():
        out[cid].append(
            engine.BilledMonth(
                customer_id=cid,
                month=Period.parse(month),
                plan_id=plan if nrows else plans.get(cid),  # never billed before: the customer's plan
                billed=engine.Usage(int(bs), int(bb)),
                now=engine.Usage(int(ns), int(nb)),
                time_amount=from_cents(bt),
                data_amount=from_cents(bd),
            )
        )
    return out


def _tax_rates() -> dict[tuple[str, str | None], Decimal]:
    rates = {}
    for attrs in Lookup.select(Lookup.attrs).where((Lookup.kind == "tax-rate") & Lookup.active).tuples():
        a = attrs[0]
        rates[(a.get("country"), a.get("state") or None)] = Decimal(a["percent"])
    return rates


def _terms() -> dict[str, engine.Terms]:
    terms = {}
    for key, attrs in Lookup.select(Lookup.key, Lookup.attrs).where(Lookup.kind == "payment-terms").tuples():
        terms[key] = engine.Terms(int(attrs.get("days", 0)), Decimal(attrs.get("late_fee", "0")), Decimal(attrs.get("late_fee_percent", "0")))
    return terms


# --- saving: one row for the run, then bulk inserts ------------------------------------


def _save(actor: Actor, period: Period, zone, bill: MonthBill, first: int) -> BillingRun:
    start, end = period.utc_bounds(zone)
    n = len(bill.invoices)
    run = BillingRun.create(
        month=str(period), at=clock.now_utc(), operator=actor.id, operator_name=actor.name,
        start_utc=start, end_utc=end, invoices=n, first_number=first if n else None,
        last_number=first + n - 1 if n else None, subtotal=bill.subtotal, tax=bill.tax, total=bill.total,
    )
    numbers = {inv.customer_id: number for number, inv in zip(range(first, first + n), bill.invoices)}
    percents = {p: format(p.normalize(), "f") for p in {inv.tax_percent for inv in bill.invoices}}
    invoice_rows = [
        (number, run.id, inv.customer_id, inv.period, inv.issue_date.isoformat(), inv.due_date.isoformat(), cents(inv.subtotal),
         percents[inv.tax_percent], cents(inv.tax), cents(inv.total), cents(inv.previous_balance))
        for inv, number in ((inv, numbers[inv.customer_id]) for inv in bill.invoices)
    ]
    line_rows = [
        (numbers[inv.customer_id], pos, line.kind, line.account, line.description, cents(line.amount), line.taxable)
        for inv in bill.invoices
        for pos, line in enumerate(inv.lines, 1)
    ]
    usage_rows = [
        (u.customer_id, u.month, run.id, numbers.get(u.customer_id), u.plan_id, u.seconds, u.bytes, cents(u.time_amount), cents(u.data_amount))
        for u in bill.usage
    ]
    whole = max(1, len(line_rows), len(usage_rows))  # one statement per table, however many customers
    db.bulk_insert(Invoice, ["number", "run_id", "customer_id", "period", "issue_date", "due_date", "subtotal", "tax_percent", "tax", "total", "previous_balance"], invoice_rows, chunk=whole)
    db.bulk_insert(InvoiceLine, ["invoice_id", "position", "kind", "account", "description", "amount", "taxable"], line_rows, chunk=whole)
    db.bulk_insert(BilledUsage, ["customer_id", "month", "run_id", "invoice_id", "plan_id", "seconds", "bytes", "time_amount", "data_amount"], usage_rows, chunk=whole)
    return run
