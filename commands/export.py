"""``wwwtrak export``: the month's journal for accounting systems, and the customer list."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli

app = typer.Typer(help="Exports for accounting and other systems.", no_args_is_help=True)


def _write(data: bytes, output: Optional[str], what: str) -> None:
    from wwwtrak.exports import write_file

    if output in (None, "-"):
        typer.echo(data, nl=False)
    else:
        typer.echo(f"{what} written to {write_file(data, output)}.", err=True)


@app.command("ledger")
def ledger(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="The month: its invoices (by billing period), payments, credit memos and voids.")],
    fmt: Annotated[str, typer.Option("--format", metavar="csv|iif|beancount|ledger", help="csv, QuickBooks iif, beancount, or ledger/hledger.")],
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="FILE", help="Write to FILE (default stdout).")] = None,
) -> None:
    """Write the month's double-entry journal; the same month exports to the same bytes every time."""
    from wwwtrak.exports import export_ledger

    _cli.authorize(ctx)
    _write(export_ledger(month, fmt), output, f"Journal for {month} ({fmt})")


@app.command("customers")
def customers(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", metavar="csv|json", help="csv (readable by customer import) or json.")] = "csv",
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="FILE", help="Write to FILE (default stdout).")] = None,
) -> None:
    """Write every customer with their lookup fields, plan, tags, logins and balance."""
    from wwwtrak.exports import export_customers

    _cli.authorize(ctx)
    _write(export_customers(fmt), output, "Customers")
