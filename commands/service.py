"""``wwwtrak service``: the catalogue of services and materials customers subscribe to."""

from __future__ import annotations

from typing import Annotated

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="The catalogue of services and materials (static IPs, mailboxes, installation...).", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code of the service, e.g. static-ip.")],
    description: Annotated[str, typer.Option("--description", help="What the invoice line says.")],
    unit_price: Annotated[str, typer.Option("--unit-price", metavar="M", help="Price of one unit (a month of it when recurring).")],
    unit: Annotated[str, typer.Option("--unit", metavar="U", help="What one unit is: each, hour, mailbox...")] = "each",
    recurring: Annotated[bool, typer.Option("--recurring/--one-time", help="Billed every month, prorated, or once in its start month.")] = True,
    taxable: Annotated[bool, typer.Option("--taxable/--not-taxable", help="Whether sales tax applies.")] = True,
) -> None:
    """Add a service or material to the catalogue."""
    from wwwtrak.billing import catalogue
    from wwwtrak.money import fmt

    s = catalogue.add_service(_cli.authorize(ctx), code, description, unit_price, unit, recurring, taxable)
    unit = "each" if s.unit == "each" else f"per {s.unit}"
    when = "every month" if s.recurring else "once"
    _cli.out(f"Added service {s.code} ({s.description}): {fmt(s.unit_price)} {unit}, {when}, {'taxable' if s.taxable else 'not taxable'}.")


@app.command("list")
def list_(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List the catalogue's services."""
    from wwwtrak.billing import catalogue
    from wwwtrak.money import fmt as money

    _cli.authorize(ctx)
    rows = [
        {"code": s.code, "description": s.description, "unit": s.unit, "unit_price": money(s.unit_price), "recurring": s.recurring, "taxable": s.taxable}
        for s in catalogue.list_services()
    ]
    _cli.emit(rows, fmt, ["code", "description", "unit", "unit_price", "recurring", "taxable"], empty="No services yet; add one with 'wwwtrak service add'.")
