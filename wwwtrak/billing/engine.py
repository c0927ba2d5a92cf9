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
    month = _Month(facts)
    period = facts.period
    no_terms = Terms()
    invoices: list[DraftInvoice] = []
    usage_records: list[UsageRecord] = []
    terms_of, open_of = facts.terms, facts.open_invoices
    for n, customer in enumerate(sorted(facts.customers, key=lambda c: c.id), 1):
        lines = _customer_lines(month, customer, usage_records)
        terms = terms_of.get(customer.payment_terms, no_terms) if customer.payment_terms else no_terms
        open_ = open_of.get(customer.id, ())
        if open_ and not (customer.close and customer.close < period.first_day):
            fee = _late_fee_line(open_, month.issue, terms, month)
            if fee is not None:
                lines.append(fee)
        lines = [line for line in lines if line.amount]
        if lines:
            invoices.append(_draft(month, customer, lines, terms, open_))
        if progress is not None and n % 1000 == 0:
            progress(1000)
    return MonthBill(tuple(invoices), tuple(usage_records))


class _Month:
    """What billing a month works out once rather than once per customer.

    The plan in effect, a plan line for the same days, a tax percent, a due date
    and the texts of prices are the same for thousands of customers: each is
    computed the first time, exactly as for a single customer, and reused (lines
    are immutable values, so invoices may share them).
    """

    def __init__(self, facts: MonthFacts):
        self.facts = facts
        self.period = facts.period
        self.text = str(facts.period)
        self.issue = facts.period.next_first_day
        self.prices: dict[int, PlanPrice | None] = {}
        self.plan_lines: dict[tuple, InvoiceLine] = {}
        self.setup_lines: dict[int, InvoiceLine] = {}
        self.percents: dict[tuple, Decimal] = {}
        self.due_dates: dict[int, date] = {}
        self.usage_texts: dict[int, tuple[str | None, str, str | None, str]] = {}
        self.fee_texts: dict[Terms, tuple[str, str]] = {}

    def price(self, plan_id: int | None) -> PlanPrice | None:
        try:
            return self.prices[plan_id]
        except KeyError:
            price = price_in_effect(self.facts.prices.get(plan_id, ()), self.period) if plan_id else None
            self.prices[plan_id] = price
            return price

    def percent(self, c: Account) -> Decimal:
        key = (c.tax_exempt, c.country, c.state)
        found = self.percents.get(key)
        if found is None:
            found = self.percents[key] = Decimal(0) if c.tax_exempt else tax_percent(self.facts.tax_rates, c.country, c.state)
        return found

    def due_date(self, days: int) -> date:
        found = self.due_dates.get(days)
        if found is None:
            found = self.due_dates[days] = self.issue + timedelta(days=days) if days else self.issue
        return found


def _draft(month: _Month, customer: Account, lines: list[InvoiceLine], terms: Terms, open_) -> DraftInvoice:
    percent = month.percent(customer)
    subtotal = taxable = ZERO
    for line in lines:
        subtotal += line.amount
        if line.taxable:
            taxable += line.amount
    tax = rules.tax(taxable, percent) if percent else ZERO
    return DraftInvoice(
        customer_id=customer.id,
        period=month.text,
        issue_date=month.issue,
        due_date=month.due_date(terms.days),
        lines=tuple(lines),
        subtotal=subtotal,
        tax_percent=percent,
        tax=tax,
        total=subtotal + tax,
        previous_balance=sum((i.balance for i in open_), ZERO) if open_ else ZERO,
    )


def _customer_lines(month: _Month, c: Account, usage_records: list[UsageRecord]) -> list[InvoiceLine]:
    """The customer's lines for the month (zero lines included); appends the usage billed to ``usage_records``."""
    facts, period = month.facts, month.period
    lines: list[InvoiceLine] = []
    price = month.price(c.plan_id)
    if price is not None:
        _plan_lines(month, c, price, lines)
    subscriptions = facts.subscriptions.get(c.id)
    if subscriptions:
        for sub in subscriptions:
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
        time, data = (None, None) if _closed_before(c, period) else _usage_lines(price, used, month)
        if time is not None:
            lines.append(time)
        if data is not None:
            lines.append(data)
        usage_records.append(UsageRecord(c.id, month.text, price and price.plan_id, used.seconds, used.bytes, _amount(time), _amount(data)))
    elif c.start <= period.last_day and not _closed_before(c, period):
        # No sessions: still record the plan whose allowance applied (none for a commercial
        # customer), so late sessions of this month are priced by it and not by a plan the
        # customer moves to afterwards.
        usage_records.append(UsageRecord(c.id, month.text, price and price.plan_id, 0, 0, ZERO, ZERO))
    late_months = facts.late_usage.get(c.id)
    if late_months:
        for late in sorted(late_months, key=lambda m: m.month):
            late_lines, record = _late_usage(month, late, _closed_before(c, late.month))
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


def _plan_lines(month: _Month, c: Account, price: PlanPrice, lines: list[InvoiceLine]) -> None:
    period = month.period
    days = rules.active_days(period, c.start, c.close)
    if days is not None:
        key = (price.plan_id, days)
        line = month.plan_lines.get(key)
        if line is None:
            first, last = days
            amount = rules.prorate(price.monthly_fee, (last - first).days + 1, period.days)
            text = f"{price.plan_name} plan, {_days_text(first, last, period)} at {fmt(price.monthly_fee)}/month"
            line = month.plan_lines[key] = InvoiceLine("plan", text, amount, price.taxable)
        lines.append(line)
    if c.start.month == period.month and c.start.year == period.year and price.setup_fee:
        line = month.setup_lines.get(price.plan_id)
        if line is None:
            line = month.setup_lines[price.plan_id] = InvoiceLine("setup", f"{price.plan_name} plan setup fee", price.setup_fee, price.taxable)
        lines.append(line)


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


def _usage_texts(price: PlanPrice) -> tuple[str | None, str, str | None, str]:
    """A price's allowances and overage rates as the usage lines print them."""
    return (
        None if price.included_seconds is None else _hours(price.included_seconds),
        fmt(price.overage_per_hour),
        None if price.included_bytes is None else _gb(price.included_bytes),
        fmt(price.overage_per_gb),
    )


def _usage_lines(price: PlanPrice | None, used: Usage, month: _Month | None = None) -> tuple[InvoiceLine | None, InvoiceLine | None]:
    """The month's time and data overage lines (None where nothing is over)."""
    if price is None:
        return None, None
    time = data = None
    t = rules.time_overage(used.seconds, price.included_seconds, price.overage_per_hour)
    d = rules.data_overage(used.bytes, price.included_bytes, price.overage_per_gb)
    if not (t.units or d.units):
        return None, None
    if month is None:
        texts = _usage_texts(price)
    else:
        texts = month.usage_texts.get(id(price))  # the month's prices live as long as the month
        if texts is None:
            texts = month.usage_texts[id(price)] = _usage_texts(price)
    hours, per_hour, gb, per_gb = texts
    if t.units:
        text = f"Time over {hours} included: {t.units} min at {per_hour}/hour (used {_clock(used.seconds)})"
        time = InvoiceLine("time", text, t.amount, price.taxable)
    if d.units:
        text = f"Data over {gb} included: {d.units} MB at {per_gb}/GB (used {used.bytes:,} bytes)"
        data = InvoiceLine("data", text, d.amount, price.taxable)
    return time, data


def _late_usage(month: _Month, late: BilledMonth, closed: bool = False) -> tuple[list[InvoiceLine], UsageRecord]:
    """Recompute an earlier month's usage lines with all its sessions; bill the difference.

    A month after the customer closed bills nothing more (``closed``): its sessions are recorded, not billed.
    """
    facts = month.facts
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


def _late_fee_line(open_: Sequence[OpenInvoice], issue: date, terms: Terms, month: _Month | None = None) -> InvoiceLine | None:
    """One late-fee line on the balance of earlier invoices past their due date, if any."""
    if not open_:
        return None
    overdue = [i for i in open_ if i.due_date < issue and i.balance > 0]
    total = sum((i.balance for i in overdue), ZERO)
    amount = rules.late_fee(total, terms.late_fee, terms.late_fee_percent)
    if not amount:
        return None
    texts = None if month is None else month.fee_texts.get(terms)
    if texts is None:
        texts = (fmt(terms.late_fee), format(terms.late_fee_percent.normalize(), "f"))
        if month is not None:
            month.fee_texts[terms] = texts
    fixed, percent = texts
    numbers = ", ".join(str(i.number) for i in sorted(overdue, key=lambda i: i.number))
    text = f"Late fee: {fixed} + {percent}% of {fmt(total)} overdue (invoice {numbers})"
    return InvoiceLine("late-fee", text, amount, False)
