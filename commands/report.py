"""``wwwtrak report``: receivable aging, revenue by income account, the month's top users."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Accounting reports.", no_args_is_help=True)

AGING_COLUMNS = ["customer_id", "name", "current", "days_1_30", "days_31_60", "days_61_90", "days_over_90", "total"]


@app.command("aging")
def aging(
    ctx: typer.Context,
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="YYYY-MM-DD", help="Age balances as they stood on this day (default today).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Each customer's open balance by days past due: current, 1-30, 31-60, 61-90, over 90, with totals."""
    from wwwtrak import reports

    _cli.authorize(ctx)
    r = reports.aging(as_of)
    if fmt == Format.json:
        _cli.out(json.dumps({"as_of": r.as_of.isoformat(), "customers": r.rows, "totals": r.totals}, indent=2))
    elif fmt == Format.csv:
        _cli.emit(r.rows, fmt, AGING_COLUMNS + ["credit"])
    else:
        _cli.out(f"Receivable aging as of {r.as_of} (days past due; unapplied credit is negative under current)")
        _cli.emit(r.rows + [{"customer_id": "TOTAL", "name": "", **r.totals}], fmt, AGING_COLUMNS)


@app.command("revenue")
def revenue(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="The month: its invoices (by billing period), credit memos and voids.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """The month's revenue by income account, net of credit memos, with sales tax and the amount invoiced."""
    from wwwtrak import reports

    _cli.authorize(ctx)
    r = reports.revenue(month)
    if fmt == Format.json:
        _cli.out(json.dumps({"month": r.month, "accounts": r.rows, "total": r.total, "sales_tax": r.sales_tax, "invoiced": r.invoiced}, indent=2))
    elif fmt == Format.csv:
        _cli.emit(r.rows, fmt, ["account", "amount"])
    else:
        _cli.out(f"Revenue for {r.month}")
        _cli.emit(r.rows + [{"account": "Total income", "amount": r.total}, {"account": "Sales tax payable", "amount": r.sales_tax},
                            {"account": "Invoiced (income + tax)", "amount": r.invoiced}], fmt, ["account", "amount"])


@app.command("usage")
def usage(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="Sessions that ended in this month (ISP's time zone).")],
    by: Annotated[str, typer.Option("--by", metavar="hours|bytes", help="Rank by hours online or by bytes in plus out.")] = "hours",
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many customers to show.")] = 20,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """The month's top users by hours online and bytes transferred."""
    from wwwtrak import reports

    _cli.authorize(ctx)
    rows = reports.usage(month, by, limit)
    _cli.emit(rows, fmt, ["rank", "customer_id", "name", "sessions", "hours", "seconds", "bytes", "gb"], empty=f"No sessions ended in {month}.")
