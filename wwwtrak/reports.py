"""Reports for accounting: receivable aging, revenue by income account, top users of a month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import fn

from wwwtrak import clock, instance, ledger
from wwwtrak.errors import InvalidInput
from wwwtrak.journal import RECEIVABLE, SALES_TAX
from wwwtrak.models import Customer, JournalEntry, Posting, UsageSession
from wwwtrak.money import fmt, from_cents
from wwwtrak.period import Period

ZERO = Decimal("0.00")
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def bucket(days_past_due: int) -> str:
    """The aging column of an invoice so many days past its due date."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "days_1_30"
    if days_past_due <= 60:
        return "days_31_60"
    if days_past_due <= 90:
        return "days_61_90"
    return "days_over_90"


@dataclass(frozen=True)
class Aging:
    as_of: date
    rows: list[dict]  # per customer: customer_id, name, the buckets, credit, total (money as strings)
    totals: dict


def aging(as_of: str | None = None) -> Aging:
    """Each customer's open balance by days past due, on ``as_of`` (default today).

    Only what was known that day counts: invoices issued, payments and credits
    dated and voids made by then. Unapplied credit is shown, negative, under
    ``current`` (as QuickBooks does), so ``total`` is the customer's balance.
    """
    day = clock.parse_date(as_of, "as-of") if as_of is not None else clock.today(instance.zone())
    amounts: dict[int, dict[str, Decimal]] = defaultdict(lambda: {b: ZERO for b in (*BUCKETS, "credit")})
    for item in ledger.invoice_items(as_of=day):
        if item.balance > 0:
            amounts[item.customer_id][bucket((day - item.due_date).days)] += item.balance
    for cid, credit in ledger.unapplied_credit(as_of=day).items():
        if credit:
            amounts[cid]["credit"] += credit
            amounts[cid]["current"] -= credit
    names = _names(list(amounts))
    rows, totals = [], {b: ZERO for b in (*BUCKETS, "credit", "total")}
    for cid in sorted(amounts):
        a = amounts[cid]
        a["total"] = sum((a[b] for b in BUCKETS), ZERO)
        if not any(a.values()):
            continue
        for k in totals:
            totals[k] += a[k]
        rows.append({"customer_id": cid, "name": names.get(cid, ""), **{k: fmt(a[k]) for k in (*BUCKETS, "credit", "total")}})
    return Aging(day, rows, {k: fmt(v) for k, v in totals.items()})


def _names(ids: list[int]) -> dict[int, str]:
    out = {}
    for i in range(0, len(ids), 500):
        out.update(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(ids[i : i + 500])).tuples())
    return out


@dataclass(frozen=True)
class Revenue:
    month: str
    rows: list[dict]  # account, amount
    total: str  # income, net of credit memos
    sales_tax: str
    invoiced: str  # receivable debited by the month's invoices


def revenue(month: str) -> Revenue:
    """The month's income by account (the month's invoices, credit memos and voids), from the journal."""
    period = str(Period.parse(month))
    q = (
        Posting.select(Posting.account, fn.SUM(Posting.amount).coerce(False))
        .join(JournalEntry)
        .where(JournalEntry.period == period)
        .group_by(Posting.account)
        .order_by(Posting.account)
        .tuples()
    )
    by_account = {a: -from_cents(c) for a, c in q}
    income = {a: v for a, v in by_account.items() if a.startswith("Income:")}
    tax = sum((v for a, v in by_account.items() if a.startswith(SALES_TAX + ":")), ZERO)
    invoiced = (
        Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0).coerce(False))
        .join(JournalEntry)
        .where((JournalEntry.period == period) & (JournalEntry.kind == "invoice") & (Posting.account == RECEIVABLE))
        .scalar()
    )
    return Revenue(
        period,
        [{"account": a, "amount": fmt(v)} for a, v in income.items()],
        fmt(sum(income.values(), ZERO)),
        fmt(tax),
        fmt(from_cents(invoiced)),
    )


USAGE_ORDER = ("hours", "bytes")


def usage(month: str, by: str = "hours", limit: int = 20) -> list[dict]:
    """The month's top users: sessions that ended in the month (ISP's zone), by customer."""
    if by not in USAGE_ORDER:
        raise InvalidInput(f"by: {by!r} is not one of {', '.join(USAGE_ORDER)}")
    period = Period.parse(month)
    start, end = period.utc_bounds(instance.zone())
    seconds = fn.SUM(UsageSession.seconds)
    nbytes = fn.SUM(UsageSession.bytes_in + UsageSession.bytes_out)
    order = (seconds.desc(), nbytes.desc()) if by == "hours" else (nbytes.desc(), seconds.desc())
    q = (
        UsageSession.select(UsageSession.customer, Customer.name, fn.COUNT(UsageSession.id), seconds, nbytes)
        .join(Customer)
        .where((UsageSession.stop >= start) & (UsageSession.stop < end))
        .group_by(UsageSession.customer, Customer.name)
        .order_by(*order, UsageSession.customer)
        .limit(limit)
        .tuples()
    )
    rows = []
    for rank, (cid, name, count, secs, b) in enumerate(q, 1):
        secs, b = int(secs), int(b)  # PostgreSQL sums bigints as numeric
        rows.append({"rank": rank, "customer_id": cid, "name": name, "sessions": int(count), "hours": f"{Decimal(secs) / 3600:.2f}",
                     "seconds": secs, "bytes": b, "gb": f"{Decimal(b) / 10**9:.3f}"})
    return rows
