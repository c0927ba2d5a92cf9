"""``wwwtrak charge``: one-time charges, billed by the month-end run of their date."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli

app = typer.Typer(help="One-time charges on a customer's next invoice.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer account number.")],
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="Amount, e.g. 25.00.")],
    description: Annotated[str, typer.Option("--description", help="What the invoice line says.")],
    date: Annotated[Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="Day of the charge (default today); it is billed with that month.")] = None,
    taxable: Annotated[bool, typer.Option("--taxable", help="Sales tax applies (default: not taxable).")] = False,
) -> None:
    """Add a one-time charge; refused when dated in a month already billed."""
    from wwwtrak.billing import catalogue
    from wwwtrak.money import fmt

    c = catalogue.add_charge(_cli.authorize(ctx), customer_id, amount, description, date, taxable)
    _cli.out(f"Charge {c.id}: {fmt(c.amount)} to customer {customer_id} on {c.date} ({c.description}), billed with {str(c.date)[:7]}.")
