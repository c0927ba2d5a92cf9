"""Money owed and received: invoices posted to the journal, payments, credit memos, balances.

A payment or credit memo is applied to the customer's oldest open invoice
first, then the next; what is left stays on the account as credit and is
applied when the next invoices are posted. Each application is a row
(:class:`~wwwtrak.models.Application`) dated the day it took effect, so a
void (a negative row) reopens exactly what was paid and every past day's
balances stay known. A negative invoice (late usage refunded) is credit too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

from peewee import JOIN, Value, fn

from wwwtrak import audit, clock, db, instance, journal
from wwwtrak.customers import get as get_customer
from wwwtrak.audit import Actor
from wwwtrak.errors import Conflict, InvalidInput, NotFound
from wwwtrak.journal import CASH, CREDITS, RECEIVABLE, Entry, Legs, Post
from wwwtrak.models import Application, BillingRun, Credit, Customer, Invoice, InvoiceLine, JournalEntry, Lookup, Payment
from wwwtrak.money import fmt, from_cents, parse_money, to_cents

ZERO = Decimal("0.00")
METHODS = tuple(CASH)
APPLICATION_COLUMNS = ["customer_id", "invoice_id", "payment_id", "credit_id", "source_invoice_id", "amount", "date"]
_CHUNK = 500


def _chunks(values: Sequence, size: int = _CHUNK):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _sum_cents(field):
    """SUM of a money column as integer cents (Peewee would otherwise coerce the total)."""
    return fn.COALESCE(fn.SUM(field), 0).coerce(False)


# --- posting invoices --------------------------------------------------------------


def _jurisdictions() -> dict[tuple[str, str | None], str]:
    """(country, state) -> the tax jurisdiction a rate is kept for: the state, else the country.

    Only active rates, as billing charges them: a deactivated state rate leaves the country's.
    """
    out: dict[tuple[str, str | None], str] = {}
    for row in Lookup.select(Lookup.attrs).where((Lookup.kind == "tax-rate") & Lookup.active):
        country, state = row.attrs.get("country"), row.attrs.get("state") or None
        if country:
            out[(country, state)] = state or country
    return out


def _jurisdiction(rates: dict, country: str | None, state: str | None) -> str | None:
    if state and (country, state) in rates:
        return rates[(country, state)]
    return rates.get((country, None)) or state or country


def _raw(query) -> list[tuple]:
    """A query's rows as the database returns them, without Peewee's per-value conversion (month-end reads)."""
    return Invoice._meta.database.execute(query).fetchall()


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def invoice_entries(lo: int, hi: int, wanted: set[int] | None = None) -> list[Entry]:
    """The journal entries of invoices ``lo``..``hi`` (only ``wanted`` ones when given): receivable against
    each line's income account, and sales tax by jurisdiction."""
    lines: dict[int, list[tuple[str, int]]] = defaultdict(list)
    q = InvoiceLine.select(InvoiceLine.invoice, InvoiceLine.account, InvoiceLine.amount).where(InvoiceLine.invoice.between(lo, hi))
    for number, account, cents in _raw(q.order_by(InvoiceLine.invoice, InvoiceLine.position)):
        lines[number].append((account, int(cents)))
    q = (
        Invoice.select(Invoice.number, Invoice.customer, Invoice.period, Invoice.issue_date, Invoice.tax, Invoice.total,
                       Customer.country, Customer.state)
        .join(Customer)
        .where(Invoice.number.between(lo, hi))
        .order_by(Invoice.number)
    )
    rates = _jurisdictions()
    entries = []
    for number, cid, period, issue, tax, total, country, state in _raw(q):
        if wanted is not None and number not in wanted:
            continue
        legs = Legs()
        legs.add(RECEIVABLE, from_cents(total))
        for account, cents in lines[number]:
            legs.add(account, -from_cents(cents))
        if tax:
            legs.add(journal.sales_tax_account(_jurisdiction(rates, country, state)), -from_cents(tax))
        entries.append(Entry(_day(issue), "invoice", f"Invoice {number} for {period}", legs.posts(cid), cid, invoice=number, period=period))
    return entries


def _post(lo: int, hi: int, wanted: set[int] | None = None) -> int:
    count = len(journal.write(invoice_entries(lo, hi, wanted)))
    # Only customers with credit (paid ahead, a credit memo, a negative invoice) have anything to apply.
    _apply(Invoice.select(Invoice.customer).where(Invoice.number.between(lo, hi)))
    return count


def post_billed(invoices, customers: dict[int, tuple[str | None, str | None]]) -> int:
    """Post invoices a billing run has just written, from what it holds in memory (no reading them back).

    ``invoices`` are (number, customer id, period, ISO issue date, tax cents, total cents,
    [(account, cents) of each line]) as saved; ``customers`` gives each customer's (country, state)
    for the sales tax account. The entries are those :func:`invoice_entries` reads back from the
    saved rows; then account credit is applied, as :func:`post_run` does. Call inside the run's transaction.
    """
    if not invoices:
        return 0
    rates = _jurisdictions()
    tax_accounts: dict[tuple[str | None, str | None], str] = {}
    postings = []
    for number, cid, period, issue, tax, total, lines in invoices:
        where = customers[cid]
        account = tax_accounts.get(where)
        if account is None:
            account = tax_accounts[where] = journal.sales_tax_account(_jurisdiction(rates, *where))
        postings.append(journal.InvoicePosting(number, cid, issue, period, journal.invoice_legs(total, lines, tax, account)))
    count = len(journal.write_invoices(postings))
    _apply(Invoice.select(Invoice.customer).where(Invoice.number.between(invoices[0][0], invoices[-1][0])))
    return count


def post_run(run: BillingRun) -> int:
    """Post every invoice of a billing run to the journal and apply account credit; call inside the run's transaction.

    About ten statements, however many invoices (month-end counts them).
    """
    return _post(run.first_number, run.last_number) if run.invoices else 0


def post_invoices(invoices: Sequence[Invoice]) -> int:
    """Post these invoices to the journal and apply account credit to them, in one transaction."""
    wanted = {inv.number for inv in invoices}
    if not wanted:
        return 0
    with db.atomic():
        return _post(min(wanted), max(wanted), wanted)


def post_invoice(invoice: Invoice) -> None:
    """Post one invoice (tests and single invoices; month-end posts a run with :func:`post_invoices`)."""
    post_invoices([invoice])


# --- sources of credit and their applications -----------------------------------------


@dataclass
class Source:
    """A payment, credit memo or negative invoice, and how much of it is not yet applied."""

    kind: str  # payment | credit | invoice
    id: int
    customer_id: int
    date: date
    remaining: Decimal



def _active(model, as_of: date | None):
    """Payments or credits that count on ``as_of`` (today when None): dated by then, not yet voided."""
    if as_of is None:
        return model.voided_on.is_null()
    return (model.date <= as_of) & (model.voided_on.is_null() | (model.voided_on > as_of))


def _applied_from(column, as_of: date | None, customers):
    """Cents applied so far from each source of one kind, as a subquery (sid, cents)."""
    q = Application.select(column.alias("sid"), fn.SUM(Application.amount).coerce(False).alias("cents")).where(column.is_null(False))
    if as_of is not None:
        q = q.where(Application.date <= as_of)
    if customers is not None:
        q = q.where(Application.customer.in_(customers))
    return q.group_by(column).alias(f"applied_{column.name}")


def sources(customers=None, as_of: date | None = None) -> list[Source]:
    """Every source of credit with something left to apply, oldest first (customers: ids, a subquery, or None).

    One statement: payments, credit memos and negative invoices, each with what is applied from it.
    """
    parts = []
    for model, kind, column in ((Payment, "payment", Application.payment), (Credit, "credit", Application.credit)):
        applied = _applied_from(column, as_of, customers)
        q = (
            model.select(Value(kind), model.id, model.customer, model.date, model.amount, fn.COALESCE(applied.c.cents, 0))
            .join(applied, JOIN.LEFT_OUTER, on=(applied.c.sid == model.id))
            .where(_active(model, as_of))
        )
        parts.append(q if customers is None else q.where(model.customer.in_(customers)))
    applied = _applied_from(Application.source_invoice, as_of, customers)
    q = (
        Invoice.select(Value("invoice"), Invoice.number, Invoice.customer, Invoice.issue_date, fn.ABS(Invoice.total),
                       fn.COALESCE(applied.c.cents, 0))
        .join(applied, JOIN.LEFT_OUTER, on=(applied.c.sid == Invoice.number))
        .where(Invoice.total < ZERO)
    )
    if as_of is not None:
        q = q.where(Invoice.issue_date <= as_of)
    parts.append(q if customers is None else q.where(Invoice.customer.in_(customers)))
    out = [
        Source(kind, sid, cid, _day(day), from_cents(int(cents) - int(used)))
        for kind, sid, cid, day, cents, used in _raw(parts[0] + parts[1] + parts[2])
        if int(cents) != int(used)
    ]
    order = {"invoice": 0, "credit": 1, "payment": 2}
    out.sort(key=lambda s: (s.customer_id, s.date, order[s.kind], s.id))
    return out


def unapplied_credit(customers=None, as_of: date | None = None) -> dict[int, Decimal]:
    """Each customer's account credit not yet applied to an invoice (customers: ids, a subquery, or None for all)."""
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    batches = _chunks(list(customers)) if isinstance(customers, (list, tuple, set)) else [customers]
    for batch in batches:
        for s in sources(batch, as_of):
            out[s.customer_id] += s.remaining
    return dict(out)


@dataclass(frozen=True)
class OpenItem:
    """An invoice and what is paid on it."""

    customer_id: int
    number: int
    period: str
    issue_date: date
    due_date: date
    total: Decimal
    paid: Decimal
    last_applied: date | None = None  # the latest application to it (a payment, or a void reopening it)

    @property
    def balance(self) -> Decimal:
        return self.total - self.paid if self.total > 0 else ZERO


def invoice_items(customers=None, as_of: date | None = None, open_only: bool = True) -> list[OpenItem]:
    """Invoices issued by ``as_of`` (all when None) with what was paid on them by then, oldest first."""
    day = _day_parser()
    return [OpenItem(c, n, p, day(i), day(d), from_cents(t), from_cents(pd), last and day(last))
            for c, n, p, i, d, t, pd, last in _invoice_rows(customers, as_of, open_only)]


def _invoice_rows(customers, as_of: date | None, open_only: bool) -> list[tuple]:
    """:func:`invoice_items` as raw rows: (customer, number, period, issue date, due date, total cents, paid cents,
    date of the latest application or None)."""
    paid = Application.select(Application.invoice.alias("number"), fn.SUM(Application.amount).coerce(False).alias("cents"),
                              fn.MAX(Application.date).alias("last")).group_by(Application.invoice)
    if as_of is not None:
        paid = paid.where(Application.date <= as_of)
    if customers is not None:
        paid = paid.where(Application.customer.in_(customers))
    paid = paid.alias("paid")
    q = (
        Invoice.select(Invoice.customer, Invoice.number, Invoice.period, Invoice.issue_date, Invoice.due_date,
                       Invoice.total, fn.COALESCE(paid.c.cents, 0), paid.c.last)
        .join(paid, JOIN.LEFT_OUTER, on=(paid.c.number == Invoice.number))
        .order_by(Invoice.customer, Invoice.issue_date, Invoice.number)
    )
    if open_only:
        q = q.where(Invoice.total > fn.COALESCE(paid.c.cents, 0))
    if as_of is not None:
        q = q.where(Invoice.issue_date <= as_of)
    if customers is not None:
        q = q.where(Invoice.customer.in_(customers))
    return _raw(q)


def _day_parser():
    """A date column's values as dates, each distinct value parsed once (many invoices share a few dates)."""
    days: dict = {}

    def day(value) -> date:
        found = days.get(value)
        if found is None:
            found = days[value] = _day(value)
        return found

    return day


def _apply(customers, on: date | None = None) -> dict[int, tuple[list[tuple[int, Decimal]], Decimal]]:
    """Apply each customer's credit to their open invoices, oldest first.

    ``customers`` are ids or a subquery. Returns, for each customer with
    credit, the (invoice, amount) pairs applied and the credit left. An
    application is dated when it took effect: not before its source, its
    invoice, the invoice's latest application (a void may have reopened it
    only then) or ``on`` (the void that freed the credit), so no past day
    sees an invoice paid beyond its total.
    """
    credit: dict[int, list[Source]] = defaultdict(list)
    for s in sources(customers):
        if s.remaining > 0:
            credit[s.customer_id].append(s)
    if not credit:
        return {}
    items: dict[int, list[OpenItem]] = defaultdict(list)
    for item in invoice_items(customers if len(credit) > _CHUNK else list(credit)):
        if item.customer_id in credit:
            items[item.customer_id].append(item)
    rows, result = [], {}
    for cid, queue in credit.items():
        applied = []
        for item in items[cid]:
            due = item.balance
            while due > 0 and queue:
                s = queue[0]
                take = min(due, s.remaining)
                day = max(s.date, item.issue_date, item.last_applied or date.min, on or date.min)
                ref = {"payment": None, "credit": None, "invoice": None, s.kind: s.id}
                rows.append((cid, item.number, ref["payment"], ref["credit"], ref["invoice"], to_cents(take), day.isoformat()))
                applied.append((item.number, take))
                s.remaining -= take
                due -= take
                if s.remaining == 0:
                    queue.pop(0)
        result[cid] = (applied, sum((s.remaining for s in queue), ZERO))
    db.bulk_insert(Application, APPLICATION_COLUMNS, rows)
    return result


def _apply_one(customer_id: int, on: date | None = None) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Apply one customer's credit; returns what was applied and the credit left."""
    return _apply([customer_id], on).get(customer_id, ([], ZERO))


# --- payments and credit memos -----------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What recording a payment or credit memo did."""

    kind: str  # payment | credit
    id: int
    customer_id: int
    amount: Decimal
    date: date
    applied: tuple[tuple[int, Decimal], ...]
    credit: Decimal  # the customer's unapplied credit afterwards
    balance: Decimal  # the customer's balance afterwards


def _amount(text: str) -> Decimal:
    amount = parse_money(text, "amount")
    if amount <= 0:
        raise InvalidInput(f"amount: {text!r} must be more than 0.00")
    return amount


def _when(text: str | None) -> date:
    today = clock.today(instance.zone())
    if text is None:
        return today
    day = clock.parse_date(text, "date")
    if day > today:
        raise InvalidInput(f"date: {day} is in the future (today is {today})")
    return day


def _receipt(kind: str, row) -> Receipt:
    applied, left = _apply_one(row.customer_id)
    return Receipt(kind, row.id, row.customer_id, row.amount, row.date, tuple(applied), left, customer_balance(row.customer_id))


def add_payment(actor: Actor, customer_id: int, amount: str, method: str = "check", reference: str | None = None,
                day: str | None = None, allow_duplicate: bool = False) -> Receipt:
    """Record a payment: cash (by method) against receivable, applied to the oldest open invoices."""
    method = (method or "").strip().lower()
    if method not in METHODS:
        raise InvalidInput(f"method: {method!r} is not one of {', '.join(METHODS)}")
    value = _amount(amount)
    ref = " ".join((reference or "").split())
    when = _when(day)
    with db.atomic():
        customer = get_customer(customer_id)
        if ref and not allow_duplicate:
            dup = (
                Payment.select()
                .where((Payment.customer == customer.id) & (Payment.reference == ref) & (Payment.amount == value) & Payment.voided_on.is_null())
                .first()
            )
            if dup is not None:
                raise Conflict(
                    f"payment: reference {ref!r} of {fmt(value)} is already recorded for customer {customer.id} "
                    f"(payment {dup.id} on {dup.date}); add --allow-duplicate to record it again"
                )
        p = Payment.create(customer=customer.id, amount=value, method=method, reference=ref, date=when, created_at=clock.now_utc())
        text = f"Payment {p.id} by {method}" + (f" {ref}" if ref else "")
        journal.write([Entry(when, "payment", text, (Post(CASH[method], value, customer.id), Post(RECEIVABLE, -value, customer.id)), customer.id, payment=p.id)])
        receipt = _receipt("payment", p)
        audit.record(actor, f"payment {p.id}", {"customer": [None, customer.id], "amount": [None, fmt(value)], "method": [None, method],
                                                "reference": [None, ref], "date": [None, when.isoformat()]})
        return receipt


def add_credit(actor: Actor, customer_id: int, amount: str, description: str, day: str | None = None) -> Receipt:
    """Record a credit memo: the contra income account against receivable, applied like a payment."""
    value = _amount(amount)
    text = " ".join((description or "").split())
    if not text:
        raise InvalidInput("description: must not be empty")
    when = _when(day)
    with db.atomic():
        customer = get_customer(customer_id)
        c = Credit.create(customer=customer.id, amount=value, description=text, date=when, created_at=clock.now_utc())
        journal.write([Entry(when, "credit", f"Credit memo {c.id}: {text}", (Post(CREDITS, value, customer.id), Post(RECEIVABLE, -value, customer.id)), customer.id, credit=c.id)])
        receipt = _receipt("credit", c)
        audit.record(actor, f"credit {c.id}", {"customer": [None, customer.id], "amount": [None, fmt(value)], "description": [None, text],
                                               "date": [None, when.isoformat()]})
        return receipt


@dataclass(frozen=True)
class Void:
    """What voiding a payment or credit memo did."""

    kind: str
    id: int
    customer_id: int
    date: date
    reopened: tuple[tuple[int, Decimal], ...]  # invoice, amount taken back
    reapplied: tuple[tuple[int, Decimal], ...]  # other credit applied to the reopened invoices
    balance: Decimal


def _void(actor: Actor, model, kind: str, source_id: int) -> Void:
    column = {"payment": Application.payment, "credit": Application.credit}[kind]
    label = "payment" if kind == "payment" else "credit memo"
    with db.atomic():
        row = model.get_or_none(model.id == source_id) if 0 < source_id < 2**63 else None
        if row is None:
            raise NotFound(f"{kind} {source_id} does not exist")
        if row.voided_on is not None:
            raise Conflict(f"{kind} {source_id} was already voided on {row.voided_on}")
        # Not before the source's last application took effect, so no past day sees it both void and applied.
        last = Application.select(fn.MAX(Application.date)).where(column == row.id).scalar()
        if isinstance(last, str):  # SQLite hands back the stored text
            last = date.fromisoformat(last)
        day = max(clock.today(instance.zone()), row.date, last or date.min)
        entry = JournalEntry.get((JournalEntry.kind == kind) & (getattr(JournalEntry, kind) == row.id))
        journal.write([journal.reversal(entry.id, day, f"Void of {label} {row.id}")])
        q = (
            Application.select(Application.invoice, _sum_cents(Application.amount))
            .where(column == row.id)
            .group_by(Application.invoice)
            .order_by(Application.invoice)
            .tuples()
        )
        reopened = [(number, from_cents(cents)) for number, cents in q if cents]
        source = (row.id, None) if kind == "payment" else (None, row.id)
        db.bulk_insert(Application, APPLICATION_COLUMNS, [(row.customer_id, n, *source, None, -to_cents(a), day.isoformat()) for n, a in reopened])
        row.voided_on = day
        row.save()
        reapplied, _left = _apply_one(row.customer_id, on=day)
        audit.record(actor, f"{kind} {row.id}", {"voided_on": [None, day.isoformat()]})
        return Void(kind, row.id, row.customer_id, day, tuple(reopened), tuple(reapplied), customer_balance(row.customer_id))


def void_payment(actor: Actor, payment_id: int) -> Void:
    """Reverse a payment (it stays, marked void) and reopen the invoices it paid."""
    return _void(actor, Payment, "payment", payment_id)


def void_credit(actor: Actor, credit_id: int) -> Void:
    """Reverse a credit memo (it stays, marked void) and reopen the invoices it paid."""
    return _void(actor, Credit, "credit", credit_id)


def list_payments(customer_id: int | None = None) -> list[dict]:
    """Payments, oldest first, with what of each is applied."""
    q = Payment.select().order_by(Payment.date, Payment.id)
    if customer_id is not None:
        get_customer(customer_id)
        q = q.where(Payment.customer == customer_id)
    sums = _applied_from(Application.payment, None, None if customer_id is None else [customer_id])
    applied = {sid: int(cents) for sid, cents in _raw(sums.select_from(sums.c.sid, sums.c.cents))}
    rows = []
    for p in q:
        used = from_cents(applied.get(p.id, 0))
        rows.append({
            "id": p.id, "customer_id": p.customer_id, "date": p.date.isoformat(), "amount": fmt(p.amount),
            "method": p.method, "reference": p.reference, "applied": fmt(used),
            "unapplied": fmt(ZERO if p.voided_on else p.amount - used),
            "status": "void" if p.voided_on else "ok", "voided_on": p.voided_on.isoformat() if p.voided_on else None,
        })
    return rows


# --- balances -------------------------------------------------------------------------


def customer_balance(customer_id: int, as_of: date | None = None) -> Decimal:
    """What the customer owes (negative: account credit): their receivable in the journal."""
    return journal.receivable([customer_id], as_of).get(customer_id, ZERO)


def account(customer_id: int) -> dict:
    """A customer's balance, unapplied credit and open invoices (for ``customer show``)."""
    items = invoice_items([customer_id])
    return {
        "balance": customer_balance(customer_id),
        "credit": unapplied_credit([customer_id]).get(customer_id, ZERO),
        "open_invoices": [{"number": i.number, "due_date": i.due_date.isoformat(), "total": fmt(i.total), "balance": fmt(i.balance)} for i in items],
    }


def open_balances_before(day: date) -> list[tuple[int, int, date, int]]:
    """For month-end's late fees: invoices issued before ``day`` still unpaid by payments and credits dated
    before it, raw: (customer, number, due date, balance in cents), oldest first by customer.

    Applications are made in the order payments are entered, so a payment dated before ``day``
    but entered after a later one may still be unapplied credit on the day before: it counts,
    oldest invoice first, as it would had it been entered in date order.
    """
    as_of = date.fromordinal(day.toordinal() - 1)
    credit = {cid: to_cents(left) for cid, left in unapplied_credit(as_of=as_of).items() if left > 0}
    due = _day_parser()
    out = []
    for c, n, _p, _i, d, t, pd, _last in _invoice_rows(None, as_of, True):
        if int(t) <= 0:
            continue
        balance = int(t) - int(pd)
        left = credit.get(c, 0)
        if left > 0 and balance > 0:
            take = min(left, balance)
            credit[c] = left - take
            balance -= take
        if balance > 0:
            out.append((c, n, due(d), balance))
    return out
