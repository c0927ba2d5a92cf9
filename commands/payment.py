"""``wwwtrak payment``: money received, applied to the oldest open invoices first."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli, _ledger
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Payments received from customers.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    customer_id: Annotated[int, typer.Argument(metavar="ID", help="Customer account number.")],
    amount: Annotated[str, typer.Argument(help="Amount received, e.g. 19.95.")],
    method: Annotated[str, typer.Option("--method", metavar="check|cash|card|ach", help="How it was paid.")] = "check",
    reference: Annotated[Optional[str], typer.Option("--reference", help="Check number or transaction id.")] = None,
    day: Annotated[Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="Day received (default today).")] = None,
    allow_duplicate: Annotated[bool, typer.Option("--allow-duplicate", help="Record it even if the same reference and amount are already recorded for the customer.")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Record a payment; it pays the oldest open invoices first and any excess stays as account credit."""
    from wwwtrak import ledger

    actor = _cli.authorize(ctx)
    r = ledger.add_payment(actor, customer_id, amount, method, reference, day, allow_duplicate)
    _ledger.emit_receipt(r, fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    customer_id: Annotated[Optional[int], typer.Option("--customer", metavar="ID", help="Only this customer's payments.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """List payments, oldest first, with what of each is applied to invoices."""
    from wwwtrak import ledger

    _cli.authorize(ctx)
    rows = ledger.list_payments(customer_id)
    _cli.emit(rows, fmt, ["id", "customer_id", "date", "amount", "method", "reference", "applied", "unapplied", "status", "voided_on"], empty="No payments.")


@app.command("void")
def void(
    ctx: typer.Context,
    payment_id: Annotated[int, typer.Argument(metavar="PAYMENT_ID", help="The payment to reverse.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Reverse a payment (it is kept, marked void) and reopen the invoices it paid."""
    from wwwtrak import ledger

    actor = _cli.authorize(ctx)
    _ledger.emit_void(ledger.void_payment(actor, payment_id), fmt)
