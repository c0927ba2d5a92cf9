"""What is still owed on each invoice: the one place balances are computed.

Payments and credits (issue 6) apply to a customer's oldest open invoice
first; what is left over stays on the account as credit for later invoices.
Until payments exist, every invoice is open for its whole total.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple

from wwwtrak.billing.engine import OpenInvoice
from wwwtrak.billing.rows import as_date, raw
from wwwtrak.models import Invoice
from wwwtrak.money import from_cents

ZERO = Decimal("0.00")


class Billed(NamedTuple):
    """An invoice as balances see it."""

    customer_id: int
    number: int
    issue_date: date
    due_date: date
    total: Decimal


def open_balances(invoices: Iterable[Billed], paid: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Each invoice's unpaid balance by number: the customer's payments applied oldest invoice first.

    ``paid`` is what each customer has paid and been credited in all. A
    negative invoice (a refund of usage) adds to what is available to apply.
    """
    by_customer: dict[int, list[Billed]] = defaultdict(list)
    for inv in invoices:
        by_customer[inv.customer_id].append(inv)
    balances: dict[int, Decimal] = {}
    for customer_id, rows in by_customer.items():
        available = paid.get(customer_id, ZERO) + sum((-r.total for r in rows if r.total < 0), ZERO)
        for r in sorted(rows, key=lambda r: (r.issue_date, r.number)):
            if r.total <= 0:
                balances[r.number] = ZERO
                continue
            applied = min(available, r.total)
            available -= applied
            balances[r.number] = r.total - applied
    return balances


def paid_before(day: date | None, customers=None) -> dict[int, Decimal]:
    """What each customer paid or was credited before ``day`` (all time when None).

    Issue 6 (payments and credits) fills this in; there are none yet.
    """
    return {}


def payments_received(customer_id: int, start: date, end: date) -> Decimal:
    """What the customer paid from ``start`` to the day before ``end`` (issue 6; none yet)."""
    return ZERO


def _billed(query) -> list[Billed]:
    q = query.select(Invoice.customer, Invoice.number, Invoice.issue_date, Invoice.due_date, Invoice.total)
    return [Billed(cid, number, as_date(issued), as_date(due), from_cents(total)) for cid, number, issued, due, total in raw(q)]


def open_before(day: date) -> dict[int, list[OpenInvoice]]:
    """By customer, the invoices issued before ``day`` that are unpaid on ``day``."""
    rows = _billed(Invoice.select().where(Invoice.issue_date < day))
    balances = open_balances(rows, paid_before(day))
    out: dict[int, list[OpenInvoice]] = defaultdict(list)
    for r in rows:
        if balances[r.number] > 0:
            out[r.customer_id].append(OpenInvoice(r.customer_id, r.number, r.due_date, balances[r.number]))
    return out


def invoice_balances(customers=None) -> dict[int, Decimal]:
    """Today's unpaid balance by invoice number, for the customers given (ids or a subquery), else all."""
    query = Invoice.select()
    if customers is not None:
        query = query.where(Invoice.customer.in_(customers))
    return open_balances(_billed(query), paid_before(None, customers))


def customer_balance(customer_id: int) -> Decimal:
    """What the customer owes today: all invoiced less all paid or credited (negative: a credit)."""
    invoiced = sum((r.total for r in _billed(Invoice.select().where(Invoice.customer == customer_id))), ZERO)
    return invoiced - paid_before(None, [customer_id]).get(customer_id, ZERO)
