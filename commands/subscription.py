"""``wwwtrak customer subscribe``: a customer's services (the rest of ``customer`` lives in customer.py)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli


def subscribe(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer account number.")],
    service: Annotated[str, typer.Argument(metavar="SERVICE", help="Service code (see 'wwwtrak service list').")],
    quantity: Annotated[Optional[str], typer.Option("--quantity", metavar="Q", help="How many units (default 1; up to two decimals).")] = None,
    price: Annotated[Optional[str], typer.Option("--price", metavar="M", help="This customer's own unit price instead of the catalogue's.")] = None,
    start: Annotated[Optional[str], typer.Option("--start", metavar="YYYY-MM-DD", help="First day billed (default today).")] = None,
    end: Annotated[Optional[str], typer.Option("--end", metavar="YYYY-MM-DD", help="Last day billed (default: until further notice).")] = None,
) -> None:
    """Subscribe a customer to a service; refused when it would fall in a month already billed."""
    from wwwtrak.billing import catalogue
    from wwwtrak.money import fmt

    sub = catalogue.subscribe(_cli.authorize(ctx), customer_id, service, quantity, price, start, end)
    until = f" to {sub.end}" if sub.end else ""
    unit_price = sub.price if sub.price is not None else sub.service.unit_price
    _cli.out(f"Subscription {sub.id}: customer {customer_id} gets {sub.service.code} x {sub.quantity.normalize():f} at {fmt(unit_price)} from {sub.start}{until}.")
