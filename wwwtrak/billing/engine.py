"""The billing engine: a pure function from a month's facts to draft invoices.

It reads no database and no clock. The runner (runner.py) loads the facts,
calls :func:`bill_month`, numbers the drafts and saves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Callable, Mapping, Sequence

from wwwtrak.billing import rules
from wwwtrak.money import fmt
from wwwtrak.period import Period

ZERO = Decimal("0.00")

# The income account each kind of line posts to (the ledger, issue 6, reads it from the line).
ACCOUNTS = {
    "plan": "Income:Plans",
    "setup": "Income:Setup fees",
    "service": "Income:Services",
    "charge": "Income:Charges",
    "time": "Income:Usage",
    "data": "Income:Usage",
    "late-time": "Income:Usage",
    "late-data": "Income:Usage",
    "late-fee": "Income:Late fees",
}


# --- what the engine is given ---------------------------------------------------------


@dataclass(frozen=True)
class PlanPrice:
    """A plan's prices from ``effective`` (YYYY-MM) on."""

    plan_id: int
    plan_name: str
    effective: str
    monthly_fee: Decimal
    setup_fee: Decimal = ZERO
    included_seconds: int | None = None
    overage_per_hour: Decimal = ZERO
    included_bytes: int | None = None
    overage_per_gb: Decimal = ZERO
    taxable: bool = True


@dataclass(frozen=True)
class Terms:
    """Payment terms: days to pay, and the late fee on an overdue balance."""

    days: int = 0
    late_fee: Decimal = ZERO
    late_fee_percent: Decimal = Decimal(0)


@dataclass(frozen=True)
class Account:
    """What billing needs to know of a customer."""

    id: int
    start: date
    close: date | None = None
    plan_id: int | None = None
    country: str | None = None
    state: str | None = None
    payment_terms: str | None = None
    tax_exempt: bool = False


@dataclass(frozen=True)
class Subscribed:
    """A customer's subscription to a service of the catalogue."""

    id: int
    customer_id: int
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    recurring: bool = True
    taxable: bool = True
    start: date = date.min
    end: date | None = None
    unit: str = "each"


@dataclass(frozen=True)
class OneTimeCharge:
    id: int
    customer_id: int
    date: date
    description: str
    amount: Decimal
    taxable: bool = False


@dataclass(frozen=True)
class Usage:
    """A customer's session totals for a month: seconds and bytes in plus out."""

    seconds: int = 0
    bytes: int = 0


NO_USAGE = Usage()


@dataclass(frozen=True)
class BilledMonth:
    """An earlier billed month whose sessions changed since: what was billed, and the totals now."""

    customer_id: int
    month: Period
    plan_id: int | None  # the plan whose allowance applied to that month
    billed: Usage
    now: Usage
    time_amount: Decimal
    data_amount: Decimal


@dataclass(frozen=True)
class OpenInvoice:
    """An earlier invoice with an unpaid balance on the new issue date."""

    customer_id: int
    number: int
    due_date: date
    balance: Decimal


@dataclass(frozen=True)
class MonthFacts:
    """Everything the engine needs to bill one month."""

    period: Period
    customers: Sequence[Account]
    prices: Mapping[int, Sequence[PlanPrice]] = field(default_factory=dict)  # by plan id
    subscriptions: Mapping[int, Sequence[Subscribed]] = field(default_factory=dict)  # by customer id
    charges: Mapping[int, Sequence[OneTimeCharge]] = field(default_factory=dict)
    usage: Mapping[int, Usage] = field(default_factory=dict)
    late_usage: Mapping[int, Sequence[BilledMonth]] = field(default_factory=dict)
    open_invoices: Mapping[int, Sequence[OpenInvoice]] = field(default_factory=dict)
    tax_rates: Mapping[tuple[str, str | None], Decimal] = field(default_factory=dict)  # (country, state or None)
    terms: Mapping[str, Terms] = field(default_factory=dict)


# --- what it returns ------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    kind: str
    description: str
    amount: Decimal
    taxable: bool

    @property
    def account(self) -> str:
        return ACCOUNTS[self.kind]


@dataclass(frozen=True)
class DraftInvoice:
    """An invoice before it has a number."""

    customer_id: int
    period: str
    issue_date: date
    due_date: date
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    tax_percent: Decimal
    tax: Decimal
    total: Decimal
    previous_balance: Decimal


@dataclass(frozen=True)
class UsageRecord:
    """Usage billed for a customer's month by this run (for late months: the difference)."""

    customer_id: int
    month: str
    plan_id: int | None
    seconds: int
    bytes: int
    time_amount: Decimal
    data_amount: Decimal


@dataclass(frozen=True)
class MonthBill:
    invoices: tuple[DraftInvoice, ...]
    usage: tuple[UsageRecord, ...]

    @cached_property
    def subtotal(self) -> Decimal:
        return sum((i.subtotal for i in self.invoices), ZERO)

    @cached_property
    def tax(self) -> Decimal:
        return sum((i.tax for i in self.invoices), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


# --- the engine -----------------------------------------------------------------------


def price_in_effect(prices: Sequence[PlanPrice], month: Period) -> PlanPrice | None:
    """The price row with the greatest ``effective`` not after the month.

    Before a plan's first price, that first price applies: a plan is never free
    by accident because its price was entered after the customer started.
    """
    if not prices:
        return None
    key = str(month)
    best = None
    for p in prices:
        if p.effective <= key and (best is None or p.effective > best.effective):
            best = p
    return best or min(prices, key=lambda p: p.effective)


def tax_percent(rates: Mapping[tuple[str, str | None], Decimal], country: str | None, state: str | None) -> Decimal:
    """The state's rate, else the country's, else 0."""
    if not country:
        return Decimal(0)
    if state and (country, state) in rates:
        return rates[(country, state)]
    return rates.get((country, None), Decimal(0))


def bill_month(facts: MonthFacts, progress: Callable[[int], None] | None = None) -> MonthBill:
    """Draft one invoice per customer with at least one line for the month, in customer order."""
    period = facts.period
    issue = period.next_first_day
    no_terms = Terms()
    invoices: list[DraftInvoice] = []
    usage_records: list[UsageRecord] = []
    for n, customer in enumerate(sorted(facts.customers, key=lambda c: c.id), 1):
        lines = _customer_lines(facts, customer, usage_records)
        terms = facts.terms.get(customer.payment_terms, no_terms) if customer.payment_terms else no_terms
        open_ = facts.open_invoices.get(customer.id, ())
        if open_ and not (customer.close and customer.close < period.first_day):
            fee = _late_fee_line(open_, issue, terms)
            if fee is not None:
                lines.append(fee)
        lines = [line for line in lines if line.amount]
        if lines:
            invoices.append(_draft(facts, customer, lines, terms, open_))
        if progress is not None and n % 1000 == 0:
            progress(1000)
    return MonthBill(tuple(invoices), tuple(usage_records))


def _draft(facts: MonthFacts, customer: Account, lines: list[InvoiceLine], terms: Terms, open_) -> DraftInvoice:
    period = facts.period
    issue = period.next_first_day
    percent = Decimal(0) if customer.tax_exempt else tax_percent(facts.tax_rates, customer.country, customer.state)
    subtotal = taxable = ZERO
    for line in lines:
        subtotal += line.amount
        if line.taxable:
            taxable += line.amount
    tax = rules.tax(taxable, percent) if percent else ZERO
    return DraftInvoice(
        customer_id=customer.id,
        period=str(period),
        issue_date=issue,
        due_date=issue + timedelta(days=terms.days) if terms.days else issue,
        lines=tuple(lines),
        subtotal=subtotal,
        tax_percent=percent,
        tax=tax,
        total=subtotal + tax,
        previous_balance=sum((i.balance for i in open_), ZERO),
    )


def _customer_lines(facts: MonthFacts, c: Account, usage_records: list[UsageRecord]) -> list[InvoiceLine]:
    """The customer's lines for the month (zero lines included); appends the usage billed to ``usage_records``."""
    period = facts.period
    lines: list[InvoiceLine] = []
    price = price_in_effect(facts.prices.get(c.plan_id, ()), period) if c.plan_id else None
    if price is not None:
        _plan_lines(period, c, price, lines)
    for sub in facts.subscriptions.get(c.id, ()):
        line = _subscription_line(period, c, sub)
        if line is not None:
            lines.append(line)
    charges = facts.charges.get(c.id)
    if charges:
        for charge in sorted(charges, key=lambda ch: (ch.date, ch.id)):
            if period.first_day <= charge.date <= period.last_day:
                lines.append(InvoiceLine("charge", f"{charge.date}: {charge.description}", charge.amount, charge.taxable))
    used = facts.usage.get(c.id)
    if used is not None:
        # Never billed after closing: a month after the close date records its sessions, billing none.
        time, data = (None, None) if _closed_before(c, period) else _usage_lines(price, used)
        if time is not None:
            lines.append(time)
        if data is not None:
            lines.append(data)
        usage_records.append(UsageRecord(c.id, str(period), price and price.plan_id, used.seconds, used.bytes, _amount(time), _amount(data)))
    late_months = facts.late_usage.get(c.id)
    if late_months:
        for late in sorted(late_months, key=lambda m: m.month):
            late_lines, record = _late_usage(facts, late, _closed_before(c, late.month))
            lines.extend(late_lines)
            usage_records.append(record)
    return lines


def _closed_before(c: Account, period: Period) -> bool:
    """The customer closed before the month began: nothing of that month is billed."""
    return c.close is not None and c.close < period.first_day


def _amount(line: InvoiceLine | None) -> Decimal:
    return ZERO if line is None else line.amount


def _days_text(first: date, last: date, period: Period) -> str:
    return f"{first} to {last}: {(last - first).days + 1} of {period.days} days"


def _plan_lines(period: Period, c: Account, price: PlanPrice, lines: list[InvoiceLine]) -> None:
    days = rules.active_days(period, c.start, c.close)
    if days is not None:
        first, last = days
        amount = rules.prorate(price.monthly_fee, (last - first).days + 1, period.days)
        text = f"{price.plan_name} plan, {_days_text(first, last, period)} at {fmt(price.monthly_fee)}/month"
        lines.append(InvoiceLine("plan", text, amount, price.taxable))
    if c.start.month == period.month and c.start.year == period.year and price.setup_fee:
        lines.append(InvoiceLine("setup", f"{price.plan_name} plan setup fee", price.setup_fee, price.taxable))


def _quantity_text(sub: Subscribed) -> str:
    q = format(sub.quantity.normalize(), "f")
    unit = "" if sub.unit in ("", "each") else f" {sub.unit}"
    return f"{q}{unit} x {fmt(sub.unit_price)}"


def _subscription_line(period: Period, c: Account, sub: Subscribed) -> InvoiceLine | None:
    fee = rules.extend(sub.unit_price, sub.quantity)
    if not sub.recurring:
        if (sub.start.year, sub.start.month) != (period.year, period.month):
            return None
        return InvoiceLine("service", f"{sub.description}: {_quantity_text(sub)}", rules.times(fee, 1), sub.taxable)
    start = max(sub.start, c.start)
    end = min(x for x in (sub.end, c.close, date.max) if x is not None)
    days = rules.active_days(period, start, end)
    if days is None:
        return None
    first, last = days
    amount = rules.prorate(fee, (last - first).days + 1, period.days)
    return InvoiceLine("service", f"{sub.description}: {_quantity_text(sub)}/month, {_days_text(first, last, period)}", amount, sub.taxable)


def _hours(seconds: int) -> str:
    return format((Decimal(seconds) / 3600).normalize(), "f") + " h"


def _gb(nbytes: int) -> str:
    return format((Decimal(nbytes) / 10**9).normalize(), "f") + " GB"


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _usage_lines(price: PlanPrice | None, used: Usage) -> tuple[InvoiceLine | None, InvoiceLine | None]:
    """The month's time and data overage lines (None where nothing is over)."""
    if price is None:
        return None, None
    time = data = None
    t = rules.time_overage(used.seconds, price.included_seconds, price.overage_per_hour)
    if t.units:
        text = f"Time over {_hours(price.included_seconds)} included: {t.units} min at {fmt(price.overage_per_hour)}/hour (used {_clock(used.seconds)})"
        time = InvoiceLine("time", text, t.amount, price.taxable)
    d = rules.data_overage(used.bytes, price.included_bytes, price.overage_per_gb)
    if d.units:
        text = f"Data over {_gb(price.included_bytes)} included: {d.units} MB at {fmt(price.overage_per_gb)}/GB (used {used.bytes:,} bytes)"
        data = InvoiceLine("data", text, d.amount, price.taxable)
    return time, data


def _late_usage(facts: MonthFacts, late: BilledMonth, closed: bool = False) -> tuple[list[InvoiceLine], UsageRecord]:
    """Recompute an earlier month's usage lines with all its sessions; bill the difference.

    A month after the customer closed bills nothing more (``closed``): its sessions are recorded, not billed.
    """
    price = price_in_effect(facts.prices.get(late.plan_id, ()), late.month) if late.plan_id else None
    time, data = _usage_lines(price, late.now)
    lines = []
    new_time, new_data = (late.time_amount, late.data_amount) if closed else (_amount(time), _amount(data))
    for kind, line, new, billed in (("late-time", time, new_time, late.time_amount), ("late-data", data, new_data, late.data_amount)):
        if new != billed:
            what = line.description if line is not None else ("Time" if kind == "late-time" else "Data") + " within the allowance"
            text = f"late usage for {late.month}: {what} = {fmt(new)}, less {fmt(billed)} billed before"
            lines.append(InvoiceLine(kind, text, new - billed, price.taxable if price else False))
    record = UsageRecord(
        late.customer_id,
        str(late.month),
        price and price.plan_id,
        late.now.seconds - late.billed.seconds,
        late.now.bytes - late.billed.bytes,
        new_time - late.time_amount,
        new_data - late.data_amount,
    )
    return lines, record


def _late_fee_line(open_: Sequence[OpenInvoice], issue: date, terms: Terms) -> InvoiceLine | None:
    """One late-fee line on the balance of earlier invoices past their due date, if any."""
    if not open_:
        return None
    overdue = [i for i in open_ if i.due_date < issue and i.balance > 0]
    total = sum((i.balance for i in overdue), ZERO)
    amount = rules.late_fee(total, terms.late_fee, terms.late_fee_percent)
    if not amount:
        return None
    percent = format(terms.late_fee_percent.normalize(), "f")
    numbers = ", ".join(str(i.number) for i in sorted(overdue, key=lambda i: i.number))
    text = f"Late fee: {fmt(terms.late_fee)} + {percent}% of {fmt(total)} overdue (invoice {numbers})"
    return InvoiceLine("late-fee", text, amount, False)
