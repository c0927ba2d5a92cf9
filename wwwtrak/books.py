"""``wwwtrak check``: verify the books and the database, naming each problem found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, SqliteDatabase, fn

from wwwtrak import journal, ledger
from wwwtrak.errors import CheckFailed
from wwwtrak.journal import RECEIVABLE
from wwwtrak.models import Application, Credit, Invoice, InvoiceLine, JournalEntry, Payment, Posting, database
from wwwtrak.money import fmt, from_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Summary:
    entries: int
    invoices: int
    customers: int
    first_number: int | None
    last_number: int | None

    def __str__(self) -> str:
        numbers = f"invoice numbers {self.first_number}-{self.last_number} have no gaps" if self.invoices else "no invoices yet"
        return (
            f"ok: {self.entries} journal entries balance; {self.invoices} invoices equal their lines plus tax; "
            f"receivable equals open invoices minus credit for {self.customers} customers; {numbers}"
        )


def _cents(expr):
    return fn.COALESCE(fn.SUM(expr), 0).coerce(False)


def _database() -> list[str]:
    problems = []
    db = database.obj
    if isinstance(db, SqliteDatabase):
        for (line,) in db.execute_sql("PRAGMA quick_check").fetchall():
            if line != "ok":
                problems.append(f"database: {line}")
        for table, rowid, parent, _fk in db.execute_sql("PRAGMA foreign_key_check").fetchall():
            problems.append(f"database: {table} row {rowid} refers to a missing {parent}")
    return problems


def _unbalanced_entries() -> list[str]:
    q = (
        JournalEntry.select(JournalEntry.id, JournalEntry.memo, _cents(Posting.amount))
        .join(Posting)
        .group_by(JournalEntry.id)
        .having(fn.SUM(Posting.amount) != 0)
        .order_by(JournalEntry.id)
        .tuples()
    )
    return [f"journal entry {i} ({memo}) does not balance: its postings sum to {fmt(from_cents(c))}" for i, memo, c in q]


def _invoice_arithmetic() -> list[str]:
    lines = InvoiceLine.select(InvoiceLine.invoice.alias("number"), fn.SUM(InvoiceLine.amount).coerce(False).alias("cents")).group_by(InvoiceLine.invoice).alias("l")
    q = (
        Invoice.select(Invoice.number, Invoice.subtotal, Invoice.tax, Invoice.total, fn.COALESCE(lines.c.cents, 0))
        .join(lines, JOIN.LEFT_OUTER, on=(lines.c.number == Invoice.number))
        .order_by(Invoice.number)
        .tuples()
    )
    problems = []
    for number, subtotal, tax, total, cents in q:
        if from_cents(cents) != subtotal:
            problems.append(f"invoice {number}: subtotal {fmt(subtotal)} is not the sum of its lines {fmt(from_cents(cents))}")
        if subtotal + tax != total:
            problems.append(f"invoice {number}: total {fmt(total)} is not subtotal {fmt(subtotal)} plus tax {fmt(tax)}")
    return problems


def _invoices_posted() -> list[str]:
    posted = (
        JournalEntry.select(JournalEntry.invoice.alias("number"), fn.COUNT(JournalEntry.id).alias("n"), _cents(Posting.amount).alias("cents"))
        .join(Posting, JOIN.LEFT_OUTER, on=((Posting.entry == JournalEntry.id) & (Posting.account == RECEIVABLE)))
        .where((JournalEntry.kind == "invoice") & JournalEntry.invoice.is_null(False))
        .group_by(JournalEntry.invoice)
        .alias("j")
    )
    q = (
        Invoice.select(Invoice.number, Invoice.total, posted.c.n, posted.c.cents)
        .join(posted, JOIN.LEFT_OUTER, on=(posted.c.number == Invoice.number))
        .order_by(Invoice.number)
        .tuples()
    )
    problems = []
    for number, total, entries, cents in q:
        if not entries:
            problems.append(f"invoice {number} has no journal entry")
        elif from_cents(cents) != total:
            problems.append(f"invoice {number}: its journal entry posts {fmt(from_cents(cents))} to {RECEIVABLE}, not its total {fmt(total)}")
    return problems


def _applications() -> list[str]:
    """Nothing paid on an invoice beyond its total, nor applied from a payment or credit beyond its amount."""
    problems = []
    paid = _applied(Application.invoice)
    q = Invoice.select(Invoice.number, Invoice.total, paid.c.cents).join(paid, on=(paid.c.key == Invoice.number)).order_by(Invoice.number)
    for number, total, cents in q.tuples():
        p = from_cents(cents)
        if p < 0 or p > max(total, ZERO):
            problems.append(f"invoice {number}: paid {fmt(p)} is not between 0.00 and its total {fmt(total)}")
    for model, kind in ((Payment, "payment"), (Credit, "credit")):
        used = _applied(getattr(Application, kind))
        q = model.select(model.id, model.amount, model.voided_on, used.c.cents).join(used, on=(used.c.key == model.id)).order_by(model.id)
        for sid, amount, voided, cents in q.tuples():
            u, limit = from_cents(cents), (ZERO if voided else amount)
            if u < 0 or u > limit:
                problems.append(f"{kind} {sid}: applied {fmt(u)} is not between 0.00 and {fmt(limit)}" + (" (void)" if voided else ""))
    return problems


def _applied(column):
    """Applications summed by ``column`` (an invoice, payment or credit), as a subquery (key, cents)."""
    return (
        Application.select(column.alias("key"), fn.SUM(Application.amount).coerce(False).alias("cents"))
        .where(column.is_null(False))
        .group_by(column)
        .alias("a")
    )


def _receivable() -> tuple[list[str], int]:
    """The journal's receivable per customer against open invoice balances minus unapplied credit."""
    in_journal = journal.receivable()
    open_ = defaultdict(lambda: ZERO)
    for item in ledger.invoice_items():
        open_[item.customer_id] += item.balance
    credit = ledger.unapplied_credit()
    problems = []
    customers = sorted(set(in_journal) | set(open_) | set(credit))
    for cid in customers:
        r, o, c = in_journal.get(cid, ZERO), open_.get(cid, ZERO), credit.get(cid, ZERO)
        if r != o - c:
            problems.append(f"customer {cid}: receivable {fmt(r)} is not open invoices {fmt(o)} minus credit {fmt(c)}")
    return problems, len(customers)


def _gaps() -> tuple[list[str], int | None, int | None]:
    numbers = [n for (n,) in Invoice.select(Invoice.number).order_by(Invoice.number).tuples()]
    problems = []
    for a, b in zip(numbers, numbers[1:]):
        if b - a == 2:
            problems.append(f"invoice numbers: {a + 1} is missing")
        elif b - a > 2:
            problems.append(f"invoice numbers: {a + 1} to {b - 1} are missing")
    return problems, (numbers[0] if numbers else None), (numbers[-1] if numbers else None)


def verify() -> Summary:
    """Check every rule of the books; raise CheckFailed naming each problem, else return a summary."""
    problems = _database()
    problems += _unbalanced_entries()
    problems += _invoice_arithmetic()
    problems += _invoices_posted()
    problems += _applications()
    receivable, customers = _receivable()
    problems += receivable
    gaps, first, last = _gaps()
    problems += gaps
    if problems:
        raise CheckFailed("\n".join(problems))
    return Summary(JournalEntry.select().count(), Invoice.select().count(), customers, first, last)
