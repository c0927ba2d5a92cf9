"""Reading invoices back: one invoice as a statement, or many for a customer or month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterator

from wwwtrak import customers
from wwwtrak.billing import balances
from wwwtrak.errors import NotFound
from wwwtrak.models import Customer, Invoice, InvoiceLine
from wwwtrak.money import fmt
from wwwtrak.period import Period


@dataclass(frozen=True)
class Line:
    kind: str
    description: str
    amount: Decimal
    taxable: bool


@dataclass(frozen=True)
class Statement:
    """An invoice with its customer, lines and what is still owed on it."""

    number: int
    customer_id: int
    customer_name: str
    address: tuple[str, ...]
    period: str
    issue_date: date
    due_date: date
    lines: tuple[Line, ...]
    subtotal: Decimal
    tax_percent: str
    tax: Decimal
    total: Decimal
    previous_balance: Decimal
    payments_received: Decimal
    paid: Decimal
    balance: Decimal


def _address(c: Customer) -> tuple[str, ...]:
    city_line = " ".join(x for x in (f"{c.city}," if c.city else None, c.state, c.postal_code) if x)
    return tuple(x for x in (c.company if c.company and c.company != c.name else None, c.address, city_line, c.country) if x)


def _statements(query, with_lines: bool = True) -> Iterator[Statement]:
    invoices = list(query.select(Invoice, Customer).join(Customer).order_by(Invoice.number))
    if not invoices:
        return
    owed = balances.invoice_balances(query.select(Invoice.customer))
    lines: dict[int, list[Line]] = defaultdict(list)
    if with_lines:
        lq = InvoiceLine.select().where(InvoiceLine.invoice.in_(query.select(Invoice.number))).order_by(InvoiceLine.invoice, InvoiceLine.position)
        for row in lq.iterator():
            lines[row.invoice_id].append(Line(row.kind, row.description, row.amount, row.taxable))
    for inv in invoices:
        balance = owed.get(inv.number, inv.total)
        yield Statement(
            number=inv.number,
            customer_id=inv.customer_id,
            customer_name=inv.customer.name,
            address=_address(inv.customer),
            period=inv.period,
            issue_date=inv.issue_date,
            due_date=inv.due_date,
            lines=tuple(lines[inv.number]),
            subtotal=inv.subtotal,
            tax_percent=inv.tax_percent,
            tax=inv.tax,
            total=inv.total,
            previous_balance=inv.previous_balance,
            payments_received=balances.payments_received(inv.customer_id, Period.parse(inv.period).first_day, inv.issue_date),
            paid=inv.total - balance,
            balance=balance,
        )


def show(number: int) -> Statement:
    """One invoice by number."""
    found = list(_statements(Invoice.select().where(Invoice.number == number))) if 0 < number < 2**63 else []
    if not found:
        raise NotFound(f"invoice {number} does not exist")
    return found[0]


def list_invoices(customer_id: int | None = None, month: str | None = None, with_lines: bool = True) -> Iterator[Statement]:
    """Invoices in number order, for one customer and/or one month."""
    query = Invoice.select()
    if customer_id is not None:
        query = query.where(Invoice.customer == customers.get(customer_id).id)
    if month is not None:
        query = query.where(Invoice.period == str(Period.parse(month, "--month")))
    return _statements(query, with_lines)


def render(st: Statement) -> str:
    """A plain-text statement: who, which period, each line, tax, total and what is owed."""
    period = Period.parse(st.period)
    width = max([len(ln.description) for ln in st.lines] + [40])
    out = [f"INVOICE {st.number}", ""]
    out.append(f"Customer   {st.customer_id}  {st.customer_name}")
    out.extend(f"           {a}" for a in st.address)
    out.append(f"Period     {st.period} ({period.first_day} to {period.last_day})")
    out.append(f"Issued     {st.issue_date}")
    out.append(f"Due        {st.due_date}")
    out.append("")
    out.append(f"{'Description':<{width}}  {'Amount':>12}")
    for ln in st.lines:
        out.append(f"{ln.description:<{width}}  {fmt(ln.amount):>12}{' T' if ln.taxable else ''}")

    def total(label: str, amount) -> str:
        return f"{label:>{width}}  {fmt(amount):>12}"

    out.append(total("Subtotal", st.subtotal))
    out.append(total(f"Tax {st.tax_percent}% on lines marked T", st.tax))
    out.append(total("Total of this invoice", st.total))
    out.append("")
    out.append(total(f"Previous balance, unpaid on {st.issue_date}", st.previous_balance))
    out.append(total(f"Payments received {period.first_day} to {period.last_day}", st.payments_received))
    out.append(total("Paid on this invoice", st.paid))
    out.append(total(f"Amount due by {st.due_date}", st.previous_balance + st.balance))
    return "\n".join(out)
