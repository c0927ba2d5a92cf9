"""Month-end: load a month's facts with a fixed number of set-based queries, bill, save in one transaction.

The runner owns what the engine must not know: the database, the lock, the
clock and the dry run. A real run is one writing transaction (``db.atomic``:
BEGIN IMMEDIATE on SQLite, the writers' advisory lock on PostgreSQL), so two
runs started at once serialize and the second finds the month billed; a run
that fails or is killed leaves nothing behind.
"""

from __future__ import annotations

import gc
import os
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

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
    with _without_cycle_collection():
        return _run_month(actor, month, dry_run, progress)


@contextmanager
def _without_cycle_collection():
    """Pause Python's cycle collector while a run builds its millions of small objects (rows, lines, tuples).

    They hold no reference cycles, yet each collection would walk all of them again
    (a fifth of the run's CPU at 20,000 customers); reference counting still frees
    everything, and the collector is back on afterwards, failure or not.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_month(actor: Actor, month: str | None, dry_run: bool, progress: Callable) -> RunResult:
    zone = instance.zone()
    period = month_to_bill(month, clock.today(zone))
    done = _summary(period)
    if done is not None:
        return _already(period, dry_run, done)
    _refuse_out_of_order(period)
    if dry_run:
        with database.atomic():  # one consistent read; nothing is written
            _snapshot()
            _facts, bill = _bill(period, zone, progress)
            first = _next_number()
        return _result(period, True, bill, first)
    with _long_lock_wait(), db.atomic():  # serialized with every writer: a second run waits here
        done = _summary(period)
        if done is not None:
            return _already(period, dry_run, done)
        _refuse_out_of_order(period)
        facts, bill = _bill(period, zone, progress)
        first = _next_number()
        run, saved = _save(actor, period, zone, bill, first)
        post_to_ledger(saved, facts.customers)
        audit.record(actor, f"billing run {period}", {"invoices": [None, run.invoices], "total": [None, str(run.total)]})
        _hold_for_tests()
    return _result(period, False, bill, first)


def _refuse_out_of_order(period: Period) -> None:
    """Refuse a month before the latest billed one: its invoices would follow later months' in number and date,
    and those months' late fees, balances and late usage were worked out without it."""
    latest = BillingRun.select(fn.MAX(BillingRun.month)).scalar()
    if latest is not None and str(period) < latest:
        raise InvalidInput(f"--month: {period} comes before {latest}, which is already billed; months are billed in order")


def post_to_ledger(saved: list[tuple], customers: Sequence[engine.Account]) -> None:
    """Post every invoice of the run to the journal, inside the run's transaction.

    Each invoice posts receivable against its lines' income accounts
    (``InvoiceLine.account``) and sales tax; account credit is applied to it.
    ``saved`` are the invoices as :func:`_save` wrote them, posted from memory.
    """
    from wwwtrak import ledger

    ledger.post_billed(saved, {c.id: (c.country, c.state) for c in customers})


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


def _bill(period: Period, zone, progress: Callable) -> tuple[MonthFacts, MonthBill]:
    facts = load_facts(period, zone)
    with progress(len(facts.customers), f"Billing {period}") as bar:
        return facts, engine.bill_month(facts, bar.advance)


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
    """Each customer's seconds and bytes of the sessions that stopped in ``[start, end)``: one GROUP BY.

    On SQLite one pass over the table: its only index with ``customer_id`` first
    (customer, stop) would otherwise be walked whole, with a table lookup for
    each of the month's sessions (EXPLAIN QUERY PLAN: about 3x slower at 1M sessions a month).
    """
    p = database.obj.param
    sql = (
        f"SELECT customer_id, SUM(seconds), SUM(bytes_in + bytes_out) FROM usage_session{_NOT_INDEXED()} "
        f"WHERE stop >= {p} AND stop < {p} AND customer_id IS NOT NULL GROUP BY customer_id"
    )
    rows = database.execute_sql(sql, (int(start.timestamp()), int(end.timestamp()))).fetchall()
    return {cid: engine.Usage(int(sec), int(nbytes)) for cid, sec, nbytes in rows}


def _NOT_INDEXED() -> str:
    return "" if db.is_postgres_db(database.obj) else " NOT INDEXED"


# Earlier billed months whose sessions no longer add up to what was billed: the
# sessions now, each put in the billed month its stop falls in (a CASE over the
# billed months' bounds, read first), against the BilledUsage rows. One pass over
# the sessions before the month, whatever the number of billed months
# (usage_session has no index on stop alone), summed per customer and month before
# the comparison so the second grouping sees one row per customer and month.
_LATE_USAGE_SQL = """
SELECT customer_id, month, SUM(ns), SUM(nb), SUM(bs), SUM(bb), SUM(bt), SUM(bd), SUM(nrows), MAX(plan_id)
FROM (
    SELECT s.customer_id AS customer_id, {case} AS month, SUM(s.seconds) AS ns, SUM(s.bytes_in + s.bytes_out) AS nb,
           0 AS bs, 0 AS bb, 0 AS bt, 0 AS bd, 0 AS nrows, NULL AS plan_id
    FROM usage_session AS s{not_indexed}
    WHERE s.stop >= ? AND s.stop < ? AND s.customer_id IS NOT NULL
    GROUP BY 1, 2
    UNION ALL
    SELECT customer_id, month, 0, 0, seconds, bytes, time_amount, data_amount, 1, plan_id
    FROM billed_usage WHERE month < ?
) AS changes
GROUP BY customer_id, month
HAVING SUM(ns) != SUM(bs) OR SUM(nb) != SUM(bb)
"""


def _late_usage(period: Period, start: datetime, plans: dict[int, int | None]) -> dict[int, list[engine.BilledMonth]]:
    out: dict[int, list[engine.BilledMonth]] = defaultdict(list)
    runs = raw(BillingRun.select(BillingRun.month, BillingRun.start_utc, BillingRun.end_utc).where(BillingRun.month < str(period)))
    if not runs:  # nothing billed before: nothing can be late
        return out
    case = "CASE " + " ".join("WHEN s.stop >= ? AND s.stop < ? THEN ?" for _ in runs) + " END"
    params = [x for month, first, end in runs for x in (int(first), int(end), month)]
    params += [min(int(first) for _, first, _ in runs), int(start.timestamp()), str(period)]
    sql = _LATE_USAGE_SQL.format(case=case, not_indexed=_NOT_INDEXED())
    cursor = database.execute_sql(sql.replace("?", database.obj.param), params)
    parsed: dict[str, Period] = {}
    for cid, month, ns, nb, bs, bb, bt, bd, nrows, plan in cursor.fetchall():
        if month is None:  # sessions of a month never billed: not late, never billed
            continue
        out[cid].append(
            engine.BilledMonth(
                customer_id=cid,
                month=parsed.get(month) or parsed.setdefault(month, Period.parse(month)),
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


def _save(actor: Actor, period: Period, zone, bill: MonthBill, first: int) -> tuple[BillingRun, list[tuple]]:
    """Write the run, its invoices, lines and usage; returns the run and, for the ledger, each invoice as
    (number, customer id, period, ISO issue date, tax cents, total cents, [(account, cents) of each line])."""
    start, end = period.utc_bounds(zone)
    n = len(bill.invoices)
    run = BillingRun.create(
        month=str(period), at=clock.now_utc(), operator=actor.id, operator_name=actor.name,
        start_utc=start, end_utc=end, invoices=n, first_number=first if n else None,
        last_number=first + n - 1 if n else None, subtotal=bill.subtotal, tax=bill.tax, total=bill.total,
    )
    numbers: dict[int, int] = {}
    percents: dict[Decimal, str] = {}
    days: dict[date, str] = {}
    amounts = _Cents()  # a few thousand distinct amounts among a million
    invoice_rows, line_rows, saved = [], [], []
    run_id, accounts = run.id, engine.ACCOUNTS
    for number, inv in enumerate(bill.invoices, first):
        cid = inv.customer_id
        numbers[cid] = number
        percent = percents.get(inv.tax_percent)
        if percent is None:
            percent = percents[inv.tax_percent] = format(inv.tax_percent.normalize(), "f")
        issue = days.get(inv.issue_date) or days.setdefault(inv.issue_date, inv.issue_date.isoformat())
        due = days.get(inv.due_date) or days.setdefault(inv.due_date, inv.due_date.isoformat())
        tax, total = amounts[inv.tax], amounts[inv.total]
        invoice_rows.append((number, run_id, cid, inv.period, issue, due, amounts[inv.subtotal], percent, tax, total, amounts[inv.previous_balance]))
        legs = []
        for pos, line in enumerate(inv.lines, 1):
            account, amount = accounts[line.kind], amounts[line.amount]
            line_rows.append((number, pos, line.kind, account, line.description, amount, line.taxable))
            legs.append((account, amount))
        saved.append((number, cid, inv.period, issue, tax, total, legs))
    usage_rows = [
        (u.customer_id, u.month, run_id, numbers.get(u.customer_id), u.plan_id, u.seconds, u.bytes, amounts[u.time_amount], amounts[u.data_amount])
        for u in bill.usage
    ]
    # one statement per table, however many customers
    db.bulk_insert(Invoice, ["number", "run_id", "customer_id", "period", "issue_date", "due_date", "subtotal", "tax_percent", "tax", "total", "previous_balance"], invoice_rows, chunk=None)
    db.bulk_insert(InvoiceLine, ["invoice_id", "position", "kind", "account", "description", "amount", "taxable"], line_rows, chunk=None)
    db.bulk_insert(BilledUsage, ["customer_id", "month", "run_id", "invoice_id", "plan_id", "seconds", "bytes", "time_amount", "data_amount"], usage_rows, chunk=None)
    return run, saved


class _Cents(dict):
    """Integer cents of Decimal amounts, each distinct amount converted once: ``amounts[Decimal("1.50")] == 150``."""

    def __missing__(self, amount: Decimal) -> int:
        value = self[amount] = cents(amount)
        return value
