"""``wwwtrak billing``: the month-end run and the list of months billed."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Month-end billing.", no_args_is_help=True)


@app.command("run-month")
def run_month(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="Month to bill (default: the last complete month).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the invoices a run would make; write nothing.")] = False,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Bill a month: one invoice per customer with something to pay. Safe to re-run (it bills a month once)."""
    from wwwtrak.billing import runner
    from wwwtrak.money import fmt as money

    result = runner.run_month(_cli.authorize(ctx), month, dry_run, progress=_cli.progress)
    done = result.already_billed
    rows = [
        {"number": n, "customer_id": inv.customer_id, "lines": len(inv.lines), "subtotal": money(inv.subtotal), "tax": money(inv.tax), "total": money(inv.total)}
        for n, inv in result.invoices
    ]
    if fmt != Format.table:
        summary = {
            "month": result.month, "invoices": done.invoices if done else len(rows), "subtotal": money(result.subtotal),
            "tax": money(result.tax), "total": money(result.total), "dry_run": result.dry_run, "already_billed": done is not None,
        }
        _cli.emit_one({**summary, "invoice_details": rows} if fmt == Format.json else summary, fmt)
        return
    if done is not None:
        _cli.out(f"{result.month} is already billed ({_count(done.invoices)}, total {money(done.total)}, by {done.operator} at {done.at.isoformat()}); nothing changed.")
        return
    if result.dry_run:
        _cli.out(f"Dry run for {result.month}: nothing was written and no invoice number was used.")
    _cli.emit(rows, Format.table, ["number", "customer_id", "lines", "subtotal", "tax", "total"])
    verb = "would make" if result.dry_run else "made"
    _cli.out(f"{result.month}: {verb} {_count(len(rows))}; subtotal {money(result.subtotal)}, tax {money(result.tax)}, total {money(result.total)}.")


def _count(n: int) -> str:
    return f"{n} invoice" + ("" if n == 1 else "s")


@app.command("runs")
def runs(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List every month billed: when, by whom, how many invoices and their total (dry runs leave no trace)."""
    from wwwtrak.billing import runner
    from wwwtrak.clock import iso_utc
    from wwwtrak.money import fmt as money

    _cli.authorize(ctx)
    rows = [
        {"month": r.month, "at": iso_utc(r.at), "operator": r.operator, "invoices": r.invoices, "first_number": r.first_number,
         "last_number": r.last_number, "subtotal": money(r.subtotal), "tax": money(r.tax), "total": money(r.total)}
        for r in runner.runs()
    ]
    _cli.emit(rows, fmt, ["month", "at", "operator", "invoices", "first_number", "last_number", "subtotal", "tax", "total"], empty="No month billed yet.")
