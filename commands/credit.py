"""``wwwtrak credit``: credit memos (outage credits, goodwill) that lower what a customer owes."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli, _ledger
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Credit memos.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer account number.")],
    amount: Annotated[str, typer.Argument(help="Amount credited, e.g. 10.00.")],
    description: Annotated[str, typer.Option("--description", help="Why, e.g. 'Outage 3-5 November'.")],
    day: Annotated[Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="Day of the credit (default today).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Record a credit memo; it applies to open invoices like a payment and posts against Income:Credits."""
    from wwwtrak import ledger

    actor = _cli.authorize(ctx)
    _ledger.emit_receipt(ledger.add_credit(actor, customer_id, amount, description, day), fmt)


@app.command("void")
def void(
    ctx: typer.Context,
    credit_id: Annotated[int, typer.Argument(metavar="CREDIT_ID", help="The credit memo to reverse.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Reverse a credit memo (it is kept, marked void) and reopen the invoices it paid."""
    from wwwtrak import ledger

    actor = _cli.authorize(ctx)
    _ledger.emit_void(ledger.void_credit(actor, credit_id), fmt)
