"""The double-entry journal: accounts, entries, and the one function that writes them.

Every entry is checked to sum to zero before it is written, in :func:`write`,
the only place that inserts journal rows; nothing bypasses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, NamedTuple, Sequence

from peewee import fn

from wwwtrak import clock, db
from wwwtrak.errors import CheckFailed
from wwwtrak.models import JournalEntry, Posting
from wwwtrak.money import CENT, fmt, from_cents, to_cents
from wwwtrak.period import Period

ZERO = Decimal("0.00")

RECEIVABLE = "Assets:Receivable"
CREDITS = "Income:Credits"  # contra income: credit memos
CASH = {"check": "Assets:Cash:Check", "cash": "Assets:Cash:Cash", "card": "Assets:Cash:Card", "ach": "Assets:Cash:ACH"}
SALES_TAX = "Liabilities:SalesTax"
KINDS = ("invoice", "payment", "credit", "void")


def sales_tax_account(jurisdiction: str | None) -> str:
    """``Liabilities:SalesTax:US-IL``: sales tax payable, one account per jurisdiction."""
    return f"{SALES_TAX}:{jurisdiction or 'Unknown'}"


@dataclass(frozen=True)
class Post:
    """One leg of an entry: debit positive, credit negative."""

    account: str
    amount: Decimal
    customer_id: int | None = None


@dataclass(frozen=True)
class Entry:
    """A journal entry before it is written."""

    date: date
    kind: str
    memo: str
    postings: tuple[Post, ...]
    customer_id: int | None = None
    invoice: int | None = None
    payment: int | None = None
    credit: int | None = None
    reverses: int | None = None
    period: str | None = None  # default: the month of ``date``

    def total(self) -> Decimal:
        return sum((p.amount for p in self.postings), ZERO)


@dataclass
class Legs:
    """Amounts by account, netted, from which an entry's postings are made."""

    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, account: str, amount: Decimal) -> None:
        self.amounts[account] = self.amounts.get(account, ZERO) + amount

    def posts(self, customer_id: int | None) -> tuple[Post, ...]:
        """Non-zero legs, debits first, each side in account order (a stable layout for exports)."""
        legs = [(a, v) for a, v in self.amounts.items() if v != 0]
        legs.sort(key=lambda leg: (leg[1] < 0, leg[0]))
        return tuple(Post(a, v, customer_id) for a, v in legs)


def assert_balanced(entry: Entry) -> None:
    """Refuse an entry whose postings do not sum to zero, or that is malformed."""
    if entry.kind not in KINDS:
        raise CheckFailed(f"journal entry {entry.memo!r}: kind {entry.kind!r} is not one of {', '.join(KINDS)}")
    for p in entry.postings:
        if p.amount != p.amount.quantize(CENT):
            raise CheckFailed(f"journal entry {entry.memo!r}: {p.account} {p.amount} has a fraction of a cent")
    total = entry.total()
    if total != 0:
        legs = ", ".join(f"{p.account} {fmt(p.amount)}" for p in entry.postings)
        raise CheckFailed(f"journal entry {entry.memo!r} does not balance: postings sum to {fmt(total)} ({legs})")


def write(entries: Sequence[Entry]) -> list[int]:
    """Check every entry, then insert them all (call inside ``db.atomic()``); returns their ids."""
    for e in entries:
        assert_balanced(e)
    if not entries:
        return []
    ids = _reserve_ids(len(entries))
    created = int(clock.now_utc().timestamp())
    _insert(
        [
            (i, e.date.isoformat(), e.period or str(Period.of(e.date)), e.kind, e.memo, e.customer_id,
             e.invoice, e.payment, e.credit, e.reverses, created)
            for i, e in zip(ids, entries)
        ],
        [(i, p.account, to_cents(p.amount), p.customer_id) for i, e in zip(ids, entries) for p in e.postings],
    )
    return ids


class InvoicePosting(NamedTuple):
    """An invoice's entry in integer cents, as month-end posts thousands of them (see :func:`write_invoices`).

    ``legs`` are (account, cents) pairs, debit positive, already netted and ordered as :meth:`Legs.posts` does.
    """

    number: int
    customer_id: int
    date: str  # ISO date
    period: str
    legs: tuple[tuple[str, int], ...]


def invoice_legs(total: int, lines, tax: int, tax_account: str) -> tuple[tuple[str, int], ...]:
    """Receivable ``total`` against each (account, cents) line and ``tax`` to ``tax_account``, all in cents,
    netted by account, zero legs dropped, debits first and each side in account order (as :class:`Legs`)."""
    amounts = {RECEIVABLE: total}
    get = amounts.get
    for account, cents in lines:
        amounts[account] = get(account, 0) - cents
    if tax:
        amounts[tax_account] = get(tax_account, 0) - tax
    # accounts are distinct, so (account, cents) pairs sort by account
    debits = sorted(leg for leg in amounts.items() if leg[1] > 0)
    credits = sorted(leg for leg in amounts.items() if leg[1] < 0)
    return (*debits, *credits)


def write_invoices(postings: Sequence[InvoicePosting]) -> list[int]:
    """Check and insert invoices' entries given in integer cents (month-end); returns their ids.

    The same rows as :func:`write` of the equivalent :class:`Entry` (memo ``Invoice N for YYYY-MM``),
    without a Decimal per leg: integer cents have no fraction of a cent, and each entry must sum to zero.
    """
    for p in postings:
        total = 0
        for account, cents in p.legs:
            if type(cents) is not int:
                raise CheckFailed(f"journal entry 'Invoice {p.number} for {p.period}': {account} {cents!r} is not a whole number of cents")
            total += cents
        if total:
            legs = ", ".join(f"{account} {fmt(cents)}" for account, cents in p.legs)
            raise CheckFailed(f"journal entry 'Invoice {p.number} for {p.period}' does not balance: postings sum to {fmt(total)} ({legs})")
    if not postings:
        return []
    ids = _reserve_ids(len(postings))
    created = int(clock.now_utc().timestamp())
    _insert(
        [(i, p.date, p.period, "invoice", f"Invoice {p.number} for {p.period}", p.customer_id, p.number, None, None, None, created)
         for i, p in zip(ids, postings)],
        [(i, account, cents, p.customer_id) for i, p in zip(ids, postings) for account, cents in p.legs],
    )
    return ids


def _insert(entry_rows: list[tuple], posting_rows: list[tuple]) -> None:
    """The journal's rows: one statement per table, however many entries (month-end counts statements)."""
    db.bulk_insert(
        JournalEntry,
        ["id", "date", "period", "kind", "memo", "customer_id", "invoice_id", "payment_id", "credit_id", "reverses_id", "created_at"],
        entry_rows,
        chunk=None,
    )
    db.bulk_insert(Posting, ["entry_id", "account", "amount", "customer_id"], posting_rows, chunk=None)


def _reserve_ids(n: int) -> list[int]:
    """Ids for ``n`` new entries, so their postings can be inserted in bulk with them."""
    database = JournalEntry._meta.database
    if db.is_postgres_db(database.obj):
        cursor = database.execute_sql("SELECT nextval(pg_get_serial_sequence('journal_entry', 'id')) FROM generate_series(1, %s)", (n,))
        return [int(i) for (i,) in cursor.fetchall()]
    # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so nobody else takes these.
    first = (JournalEntry.select(fn.MAX(JournalEntry.id)).scalar() or 0) + 1
    return list(range(first, first + n))


def reversal(entry_id: int, day: date, memo: str) -> Entry:
    """The void of a written entry: the same legs with opposite signs, dated ``day``."""
    original = JournalEntry.get_by_id(entry_id)
    legs = Posting.select().where(Posting.entry == entry_id).order_by(Posting.id)
    return Entry(
        date=day,
        kind="void",
        memo=memo,
        postings=tuple(Post(p.account, -p.amount, p.customer_id) for p in legs),
        customer_id=original.customer_id,
        invoice=original.invoice_id,
        payment=original.payment_id,
        credit=original.credit_id,
        reverses=entry_id,
    )


def receivable(customers: Iterable[int] | None = None, as_of: date | None = None) -> dict[int, Decimal]:
    """Each customer's receivable in the journal (debit positive), on ``as_of`` or today."""
    q = (
        Posting.select(Posting.customer, fn.SUM(Posting.amount).coerce(False))
        .join(JournalEntry)
        .where(Posting.account == RECEIVABLE)
        .group_by(Posting.customer)
        .tuples()
    )
    if as_of is not None:
        q = q.where(JournalEntry.date <= as_of)
    if customers is not None:
        q = q.where(Posting.customer.in_(list(customers)))
    return {c: from_cents(cents) for c, cents in q}
