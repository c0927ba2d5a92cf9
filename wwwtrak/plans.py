"""The plan catalogue: plans and their prices by effective month (the price history billing uses).

A plan's prices live in PlanPrice rows, each in force from its ``effective``
month (YYYY-MM) until the next row's month. The first row's prices also hold
for any month before it. Editing prices "from a month" adds or replaces that
month's row; earlier months keep being billed at the old prices.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from peewee import JOIN, fn

from wwwtrak import audit, clock, instance, money
from wwwtrak.audit import Actor
from wwwtrak.db import atomic
from wwwtrak.errors import Conflict, InvalidInput, NotFound, Problems
from wwwtrak.models import BillingRun, Customer, Plan, PlanPrice

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SECONDS_PER_HOUR = 3600
BYTES_PER_GB = 10**9

# The price fields of a plan, in the order they are shown and audited.
PRICE_FIELDS = ("monthly_fee", "setup_fee", "included_seconds", "overage_per_hour", "included_bytes", "overage_per_gb", "taxable")
MONEY_FIELDS = ("monthly_fee", "setup_fee", "overage_per_hour", "overage_per_gb")
# (allowance option, its stored field, unit size, unit name, overage option, what it bills)
ALLOWANCES = (
    ("included_hours", "included_seconds", SECONDS_PER_HOUR, "seconds", "overage_per_hour", "time"),
    ("included_gb", "included_bytes", BYTES_PER_GB, "bytes", "overage_per_gb", "data"),
)


@dataclass(frozen=True)
class PriceInput:
    """Price options as the user typed them; None means not given."""

    monthly_fee: str | None = None
    setup_fee: str | None = None
    included_hours: str | None = None
    overage_per_hour: str | None = None
    included_gb: str | None = None
    overage_per_gb: str | None = None
    taxable: bool | None = None

    def given(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def validate_code(code: str) -> str:
    """A plan code in its stored form (lower case), or an error."""
    c = (code or "").strip().lower()
    if not CODE_RE.match(c):
        raise InvalidInput(f"plan code: {code!r} must be 1-32 letters, digits, '.', '_' or '-'")
    return c


def parse_month(text: str, field: str) -> str:
    """A month as YYYY-MM, or an error naming the field."""
    s = (text or "").strip()
    if not MONTH_RE.match(s):
        raise InvalidInput(f"{field}: {text!r} is not a month (YYYY-MM)")
    return s


def this_month() -> str:
    """The current month in the ISP's zone."""
    return clock.today(instance.zone()).strftime("%Y-%m")


def parse_allowance(text: str, field: str, unit: int, unit_name: str) -> int | None:
    """Hours or GB (fractions allowed) as whole seconds or bytes; ``none`` means no allowance."""
    s = str(text).strip()
    if s.lower() == "none":
        return None
    try:
        value = Decimal(s)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise InvalidInput(f"{field}: {text!r} is not a number of {'hours' if unit == SECONDS_PER_HOUR else 'GB'}")
    if value < 0:
        raise InvalidInput(f"{field}: {text!r} must not be negative")
    whole = value * unit
    if whole != whole.to_integral_value():
        raise InvalidInput(f"{field}: {text!r} is not a whole number of {unit_name}")
    if whole >= 2**62:
        raise InvalidInput(f"{field}: {text!r} is too large")
    return int(whole)


def _units(amount: int | None, unit: int) -> str | None:
    if amount is None:
        return None
    return format((Decimal(amount) / unit).normalize(), "f")


def format_hours(seconds: int | None) -> str | None:
    """Whole seconds as hours, exactly (``1800`` is ``0.5``)."""
    return _units(seconds, SECONDS_PER_HOUR)


def format_gb(nbytes: int | None) -> str | None:
    """Whole bytes as GB (10^9 bytes), exactly."""
    return _units(nbytes, BYTES_PER_GB)


def _price_values(row: PlanPrice | None) -> dict:
    if row is None:
        return {"monthly_fee": None, "setup_fee": Decimal("0.00"), "included_seconds": None, "overage_per_hour": Decimal("0.00"),
                "included_bytes": None, "overage_per_gb": Decimal("0.00"), "taxable": True}
    return {f: getattr(row, f) for f in PRICE_FIELDS}


def _merge_prices(base: dict, given: dict, adding: bool, p: Problems) -> dict:
    """The prices after applying the given options to ``base``; each problem goes to ``p``."""
    new = dict(base)
    for f in MONEY_FIELDS:
        if f in given:
            new[f] = p.check(money.parse_money, given[f], f)
    if "taxable" in given:
        new["taxable"] = bool(given["taxable"])
    for option, field, unit, unit_name, overage, what in ALLOWANCES:
        reported = len(p.lines)
        if option in given:
            new[field] = p.check(parse_allowance, given[option], option, unit, unit_name)
            if new[field] is None and overage not in given:
                new[overage] = Decimal("0.00")  # dropping an allowance drops its overage
        if len(p.lines) > reported or new[overage] is None:
            continue  # this option or its overage is already refused
        if adding and new[field] is not None and overage not in given:
            p.add(f"{overage}: required with --{option.replace('_', '-')}")
        elif new[field] is None and new[overage]:
            p.add(f"{overage}: needs --{option.replace('_', '-')} (a plan without a {what} allowance bills no {what})")
    return new


def _get(code: str) -> Plan:
    plan = Plan.get_or_none(Plan.code == (code or "").strip().lower())
    if plan is None:
        raise NotFound(f"plan {code.strip()!r} does not exist")
    return plan


def resolve(value: str, field: str = "plan", current: str | None = None) -> Plan:
    """The active plan ``value`` names (code, case-insensitively); the current plan is kept even if deactivated."""
    code = (value or "").strip().lower()
    plan = Plan.get_or_none(Plan.code == code)
    if plan is not None and (plan.active or code == current):
        return plan
    if plan is not None:
        raise InvalidInput(f"{field}: {plan.code!r} is deactivated and can't be chosen anew")
    choices = {}
    for c, name in Plan.select(Plan.code, Plan.name).where(Plan.active).tuples():
        choices[c] = c
        choices.setdefault(name.lower(), c)
    close = []
    for m in difflib.get_close_matches(code, choices, n=6, cutoff=0.6):
        if choices[m] not in close:
            close.append(choices[m])
    hint = f"; did you mean {', '.join(close[:3])}?" if close else ""
    raise InvalidInput(f"{field}: {value.strip()!r} is not a plan{hint}")


def _shown(values: dict) -> dict:
    """Prices as people read them (and the audit trail records them): money strings, hours, GB."""
    return {
        "monthly_fee": money.fmt(values["monthly_fee"]),
        "setup_fee": money.fmt(values["setup_fee"]),
        "included_hours": format_hours(values["included_seconds"]),
        "overage_per_hour": money.fmt(values["overage_per_hour"]),
        "included_gb": format_gb(values["included_bytes"]),
        "overage_per_gb": money.fmt(values["overage_per_gb"]),
        "taxable": values["taxable"],
    }


def _price_json(row: PlanPrice) -> dict:
    return {"effective": row.effective, **_shown(_price_values(row)),
            "included_seconds": row.included_seconds, "included_bytes": row.included_bytes}


def add(actor: Actor, code: str, name: str, prices: PriceInput, effective: str | None = None) -> Plan:
    """Add a plan with its first prices (in force from ``effective``, default this month)."""
    with atomic():
        p = Problems()
        c = p.check(validate_code, code)
        name_ = p.check(_name, name)
        month = p.check(parse_month, effective, "effective") if effective is not None else this_month()
        values = _merge_prices(_price_values(None), prices.given(), True, p)
        if values["monthly_fee"] is None and "monthly_fee" not in prices.given():
            p.add("monthly_fee: required")
        p.raise_any()
        if Plan.get_or_none(Plan.code == c) is not None:
            raise Conflict(f"plan {c!r} already exists")
        plan = Plan.create(code=c, name=name_)
        PlanPrice.create(plan=plan, effective=month, **values)
        audit.record(actor, f"plan {c}", {"name": [None, name_], "effective": [None, month],
                                         **{f: [None, v] for f, v in _shown(values).items()}})
    return plan


def _name(text: str) -> str:
    s = (text or "").strip()
    if not s:
        raise InvalidInput("name: must not be empty")
    if len(s) > 100:
        raise InvalidInput(f"name: at most 100 characters (got {len(s)})")
    return s


@dataclass(frozen=True)
class EditResult:
    plan: Plan
    effective: str
    changes: dict  # {field: [old, new]}, price fields as shown


def edit(actor: Actor, code: str, name: str | None, prices: PriceInput, effective: str | None = None) -> EditResult:
    """Rename a plan and/or change its prices from ``effective`` on (default this month)."""
    with atomic():
        plan = _get(code)
        p = Problems()
        new_name = p.check(_name, name) if name is not None else plan.name
        month = p.check(parse_month, effective, "effective") if effective is not None else this_month()
        first = PlanPrice.select(fn.MIN(PlanPrice.effective)).where(PlanPrice.plan == plan).scalar()
        if month and first and month < first:
            p.add(f"effective: {month} is before plan {plan.code}'s first prices ({first})")
        base_row = price_for(plan.id, month if month and month >= first else first)
        old = _price_values(base_row)
        new = _merge_prices(old, prices.given(), False, p)
        p.raise_any()
        changes: dict = {}
        if new_name != plan.name:
            changes["name"] = [plan.name, new_name]
            plan.name = new_name
            plan.save()
        price_changes = audit.diff(_shown(old), _shown(new))
        if price_changes:
            _refuse_billed_prices(plan, month, base_row.effective == month == first)
            changes["effective"] = [base_row.effective, month]
            changes.update(price_changes)
            if base_row.effective == month:
                PlanPrice.update(**new).where(PlanPrice.id == base_row.id).execute()
            else:
                PlanPrice.create(plan=plan, effective=month, **new)
        if changes:
            audit.record(actor, f"plan {plan.code}", changes)
    return EditResult(plan, month, changes)


def _refuse_billed_prices(plan: Plan, month: str, first_row: bool) -> None:
    """Refuse new prices for a billed month: its invoices are final, and its late usage is priced as billed.

    New prices hold from ``month`` to the next price row; a plan's first prices also hold before them
    for the customers on the plan who started earlier.
    """
    following = PlanPrice.select(fn.MIN(PlanPrice.effective)).where((PlanPrice.plan == plan) & (PlanPrice.effective > month)).scalar()
    q = BillingRun.select(BillingRun.month).order_by(BillingRun.month)
    earlier = Customer.select(fn.MIN(Customer.start_date)).where(Customer.plan == plan).scalar() if first_row else None
    since = str(earlier)[:7] if earlier is not None and str(earlier)[:7] < month else month
    q = q.where(BillingRun.month >= since)
    if following:
        q = q.where(BillingRun.month < following)
    billed = q.first()
    if billed is not None:
        raise Conflict(f"effective: {month}: the new prices of plan {plan.code} would hold in {billed.month}, which is already billed; "
                       f"make them effective from an open month")


def deactivate(actor: Actor, code: str) -> tuple[Plan, int, bool]:
    """Stop a plan being chosen anew; returns (plan, customers keeping it, whether it changed)."""
    with atomic():
        plan = _get(code)
        keeping = Customer.select().where((Customer.plan == plan) & (Customer.status != "closed")).count()
        if not plan.active:
            return plan, keeping, False
        plan.active = False
        plan.save()
        audit.record(actor, f"plan {plan.code}", {"active": [True, False]})
    return plan, keeping, True


def price_for(plan_id: int, month: str) -> PlanPrice:
    """The prices of a plan in force in ``month`` (YYYY-MM); the first prices hold before them."""
    month = parse_month(month, "month")
    base = PlanPrice.select().where(PlanPrice.plan == plan_id)
    row = base.where(PlanPrice.effective <= month).order_by(PlanPrice.effective.desc()).first()
    if row is None:
        row = base.order_by(PlanPrice.effective).first()
    if row is None:
        raise NotFound(f"plan {plan_id} has no prices")
    return row


def list_plans(month: str | None = None, include_inactive: bool = False) -> list[dict]:
    """Every plan with the prices in force in ``month`` (default this month) and its whole price history."""
    month = parse_month(month, "month") if month is not None else this_month()
    query = Plan.select().order_by(Plan.code)
    if not include_inactive:
        query = query.where(Plan.active)
    plans = list(query)
    ids = [p.id for p in plans]
    history: dict[int, list[PlanPrice]] = {i: [] for i in ids}
    for row in PlanPrice.select().where(PlanPrice.plan.in_(ids)).order_by(PlanPrice.plan, PlanPrice.effective):
        history[row.plan_id].append(row)
    counts = dict(
        Plan.select(Plan.id, fn.COUNT(Customer.id))
        .join(Customer, JOIN.LEFT_OUTER, on=(Customer.plan == Plan.id) & (Customer.status != "closed"))
        .where(Plan.id.in_(ids))
        .group_by(Plan.id)
        .tuples()
    )
    out = []
    for plan in plans:
        rows = history[plan.id]
        current = next((r for r in reversed(rows) if r.effective <= month), rows[0])
        out.append({"code": plan.code, "name": plan.name, "active": plan.active, "customers": counts.get(plan.id, 0),
                    **_price_json(current), "prices": [_price_json(r) for r in rows]})
    return out
