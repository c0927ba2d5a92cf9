"""``wwwtrak invoice``: invoices as statements, one or many."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Invoices made by month-end runs.", no_args_is_help=True)

LIST_COLUMNS = ["number", "customer_id", "customer_name", "period", "issue_date", "due_date", "subtotal", "tax", "total", "paid", "balance"]


def _record(st, with_lines: bool = True) -> dict:
    from wwwtrak.money import fmt

    record = {
        "number": st.number, "customer_id": st.customer_id, "customer_name": st.customer_name, "period": st.period,
        "issue_date": str(st.issue_date), "due_date": str(st.due_date), "subtotal": fmt(st.subtotal),
        "tax_percent": st.tax_percent, "tax": fmt(st.tax), "total": fmt(st.total), "paid": fmt(st.paid), "balance": fmt(st.balance),
        "previous_balance": fmt(st.previous_balance), "payments_received": fmt(st.payments_received),
    }
    if with_lines:
        record["lines"] = [{"description": ln.description, "amount": fmt(ln.amount), "taxable": ln.taxable, "kind": ln.kind} for ln in st.lines]
    return record


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[Optional[int], typer.Option("--customer", metavar="ID", help="Only this customer's invoices.")] = None,
    month: Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="Only invoices for this month.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List invoices in number order (JSON includes each invoice's lines)."""
    from wwwtrak.billing import invoices

    _cli.authorize(ctx)
    with_lines = fmt == Format.json
    rows = (_record(st, with_lines) for st in invoices.list_invoices(customer, month, with_lines))
    _cli.emit_stream(rows, fmt, LIST_COLUMNS)


@app.command("show")
def show(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(metavar="NUMBER", help="Invoice number.")],
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Show an invoice as a statement the customer can check line by line."""
    from wwwtrak.billing import invoices

    _cli.authorize(ctx)
    st = invoices.show(number)
    if fmt == Format.table:
        _cli.out(invoices.render(st))
    else:
        _cli.emit_one(_record(st, fmt == Format.json), fmt)
