"""What is still owed on each invoice, as billing needs it: read from the ledger (issue 6).

Payments and credit memos apply to a customer's oldest open invoice first;
what is left over stays on the account as credit for later invoices. The
ledger keeps each application as a dated row, so these are exact on any day.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from wwwtrak import ledger
from wwwtrak.billing.engine import OpenInvoice
from wwwtrak.models import Payment
from wwwtrak.money import from_cents

ZERO = Decimal("0.00")


def open_before(day: date) -> dict[int, list[OpenInvoice]]:
    """By customer, the invoices issued before ``day`` still unpaid by payments and credits dated before it."""
    out: dict[int, list[OpenInvoice]] = defaultdict(list)
    for cid, number, due, balance in ledger.open_balances_before(day):
        out[cid].append(OpenInvoice(cid, number, due, from_cents(balance)))
    return out


def invoice_balances(customers=None) -> dict[int, Decimal]:
    """Today's unpaid balance by invoice number, for the customers given (ids or a subquery), else all."""
    return {i.number: i.balance for i in ledger.invoice_items(customers, open_only=False)}


def payments_received(customer_id: int, start: date, end: date) -> Decimal:
    """What the customer paid from ``start`` to the day before ``end`` (payments not voided by ``end``)."""
    q = Payment.select(Payment.amount).where(
        (Payment.customer == customer_id) & (Payment.date >= start) & (Payment.date < end)
        & (Payment.voided_on.is_null() | (Payment.voided_on >= end))
    )
    return sum((amount for (amount,) in q.tuples()), ZERO)
