"""Month-end in the demo sandbox: a few services and charges, then the last complete month billed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from wwwtrak import clock, instance
from wwwtrak.audit import Actor
from wwwtrak.billing import catalogue, invoices, runner
from wwwtrak.db import atomic
from wwwtrak.models import Customer, Plan, PlanPrice
from wwwtrak.period import Period


def _starter_customers(month: Period) -> None:
    """Three customers on a small plan, for a sandbox that has none yet (before the customer demo exists)."""
    with atomic():
        plan = Plan.create(code="demo-dialup", name="Demo Dial-up")
        PlanPrice.create(
            plan=plan, effective=str(month.previous()), monthly_fee=Decimal("19.95"), setup_fee=Decimal("25.00"),
            included_seconds=40 * 3600, overage_per_hour=Decimal("1.00"), included_bytes=None, overage_per_gb=Decimal("0"),
        )
        for name, start, terms in (("Ada Lovelace", month.previous().first_day, "net-30"),
                                   ("Grace Hopper", month.first_day + timedelta(days=9), "net-15"),
                                   ("Ken Thompson", month.previous().first_day, "due-on-receipt")):
            Customer.create(type="individual", name=name, start_date=start, plan=plan, city="Springfield",
                            state="US-IL", postal_code="62701", country="US", payment_terms=terms)


def month_end(actor: Actor) -> list[tuple[str, str]]:
    """Subscribe a few customers, bill the last complete month, and show the run and one invoice."""
    month = Period.of(clock.today(instance.zone())).previous()
    if not Customer.select().exists():
        _starter_customers(month)
    catalogue.add_service(actor, "static-ip", "Static IP address", "5.00")
    catalogue.add_service(actor, "install", "On-site installation", "40.00", unit="hour", recurring=False, taxable=False)
    ids = [c.id for c in Customer.select(Customer.id).order_by(Customer.id).limit(3)]
    catalogue.subscribe(actor, ids[0], "static-ip", quantity="2", start=str(month.first_day + timedelta(days=14)))
    if len(ids) > 1:
        catalogue.subscribe(actor, ids[1], "install", quantity="1.5", start=str(month.first_day + timedelta(days=2)))
    if len(ids) > 2:
        catalogue.add_charge(actor, ids[2], "12.50", "Replacement modem cable", day=str(month.last_day), taxable=True)
    result = runner.run_month(actor, str(month))
    summary = (
        f"billing run-month --month {result.month}: {len(result.invoices)} invoices, "
        f"subtotal {result.subtotal}, tax {result.tax}, total {result.total}"
    )
    sections = [("Month-end", summary)]
    if result.invoices:
        sections.append((f"Invoice {result.invoices[0][0]}", invoices.render(invoices.show(result.invoices[0][0]))))
    return sections
