"""The catalogue of services, customers' subscriptions to them, and one-time charges.

A subscription or charge that would fall in a month already billed is
refused: that month's invoices are final, so it must be dated in an open month.
"""

from __future__ import annotations

import difflib
from datetime import date
from decimal import Decimal, InvalidOperation

from wwwtrak import audit, clock, customers, instance
from wwwtrak.audit import Actor
from wwwtrak.db import atomic
from wwwtrak.errors import Conflict, InvalidInput, NotFound
from wwwtrak.models import BillingRun, Charge, Service, Subscription
from wwwtrak.money import parse_money
from wwwtrak.period import Period


def _code(code: str) -> str:
    c = (code or "").strip()
    if not c or len(c) > 32 or any(ch.isspace() for ch in c):
        raise InvalidInput(f"code: {code!r} must be one word of at most 32 characters")
    return c


def add_service(
    actor: Actor, code: str, description: str, unit_price: str, unit: str = "each", recurring: bool = True, taxable: bool = True
) -> Service:
    """Add a service or material to the catalogue."""
    c = _code(code)
    if not (description or "").strip():
        raise InvalidInput("--description: must not be empty")
    price = parse_money(unit_price, "--unit-price")
    unit = (unit or "").strip() or "each"
    with atomic():
        if Service.get_or_none(Service.key == c.casefold()) is not None:
            raise Conflict(f"service {c!r} already exists")
        service = Service.create(
            code=c, key=c.casefold(), description=description.strip(), unit=unit, unit_price=price, recurring=recurring, taxable=taxable
        )
        audit.record(
            actor,
            f"service {c}",
            {"description": [None, service.description], "unit": [None, unit], "unit_price": [None, str(price)], "recurring": [None, recurring], "taxable": [None, taxable]},
        )
    return service


def list_services() -> list[Service]:
    return list(Service.select().order_by(Service.key))


def service(code: str) -> Service:
    """The service with this code (any case), or an error with suggestions."""
    found = Service.get_or_none(Service.key == (code or "").strip().casefold())
    if found is None:
        close = difflib.get_close_matches((code or "").casefold(), [k for (k,) in Service.select(Service.key).tuples()], n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'wwwtrak service list'"
        raise NotFound(f"service {code!r} does not exist{hint}")
    return found


def _refuse_billed(field: str, day: date, first: Period, last: Period | None, what: str) -> None:
    """Refuse a date whose months (``first`` to ``last``, open-ended when None) include a billed month."""
    from wwwtrak.billing.runner import lock_runs

    lock_runs(exclusive=False)  # a run in progress finishes first, so its month is seen as billed
    q = BillingRun.select(BillingRun.month).where(BillingRun.month >= str(first)).order_by(BillingRun.month)
    if last is not None:
        q = q.where(BillingRun.month <= str(last))
    billed = q.first()
    if billed is None:
        return
    if billed.month == str(first):
        raise Conflict(f"{field}: {day} is in {billed.month}, which is already billed; date the {what} in an open month")
    raise Conflict(f"{field}: {day}: the {what} would run through {billed.month}, which is already billed; date it in an open month")


def parse_quantity(text: str | None) -> Decimal:
    if text is None:
        return Decimal("1.00")
    try:
        q = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidInput(f"--quantity: {text!r} is not a number") from None
    if not q.is_finite() or q <= 0 or q >= 10**9:
        raise InvalidInput(f"--quantity: {text!r} must be more than 0")
    if q != q.quantize(Decimal("0.01")):
        raise InvalidInput(f"--quantity: {text!r} has more than two decimals")
    return q.quantize(Decimal("0.01"))


def _day(text: str | None, field: str) -> date:
    return clock.today(instance.zone()) if text is None else clock.parse_date(text, field)


def subscribe(
    actor: Actor, customer_id: int, service_code: str, quantity: str | None = None, price: str | None = None,
    start: str | None = None, end: str | None = None,
) -> Subscription:
    """Give a customer a service from ``start`` (default today) to ``end`` (default open)."""
    qty = parse_quantity(quantity)
    own_price = None if price is None else parse_money(price, "--price")
    first = _day(start, "--start")
    last = None if end is None else clock.parse_date(end, "--end")
    if last is not None and last < first:
        raise InvalidInput(f"--end: {last} is before the start {first}")
    with atomic():
        c = customers.get(customer_id)
        svc = service(service_code)
        if c.close_date is not None and first > c.close_date:
            raise InvalidInput(f"--start: {first} is after customer {c.id} closed ({c.close_date})")
        if svc.recurring:
            _refuse_billed("--start", first, Period.of(first), None if last is None else Period.of(last), "subscription")
        else:
            _refuse_billed("--start", first, Period.of(first), Period.of(first), "subscription")
        sub = Subscription.create(customer=c.id, service=svc.id, quantity=qty, price=own_price, start=first, end=last, created_at=clock.now_utc())
        audit.record(
            actor,
            f"customer {c.id}",
            {"subscription": [None, {"id": sub.id, "service": svc.code, "quantity": str(qty), "price": None if own_price is None else str(own_price), "start": str(first), "end": None if last is None else str(last)}]},
        )
    return sub


def add_charge(actor: Actor, customer_id: int, amount: str, description: str, day: str | None = None, taxable: bool = False) -> Charge:
    """A one-time charge, billed by the run of the month it is dated in (default today)."""
    value = parse_money(amount, "AMOUNT")
    if value == 0:
        raise InvalidInput(f"AMOUNT: {amount!r} must be more than 0")
    if not (description or "").strip():
        raise InvalidInput("--description: must not be empty")
    when = _day(day, "--date")
    with atomic():
        c = customers.get(customer_id)
        _refuse_billed("--date", when, Period.of(when), Period.of(when), "charge")
        charge = Charge.create(customer=c.id, date=when, amount=value, description=description.strip(), taxable=taxable, created_at=clock.now_utc())
        audit.record(actor, f"customer {c.id}", {"charge": [None, {"id": charge.id, "amount": str(value), "date": str(when), "description": charge.description, "taxable": taxable}]})
    return charge
