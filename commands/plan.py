"""``wwwtrak plan``: the catalogue of plans and their prices by month."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="The plan catalogue: monthly fees, allowances and overage prices.", no_args_is_help=True)

Code = Annotated[str, typer.Argument(metavar="CODE", help="Plan code, e.g. basic-40 (stored in lower case).")]
Money = Optional[str]
MonthlyFee = Annotated[Money, typer.Option("--monthly-fee", metavar="M", help="Monthly fee, e.g. 19.95.")]
SetupFee = Annotated[Money, typer.Option("--setup-fee", metavar="M", help="One-time fee in the start month (add: 0.00).")]
Hours = Annotated[Optional[str], typer.Option("--included-hours", metavar="H", help="Hours included a month (fractions allowed; 'none': no time billing).")]
PerHour = Annotated[Money, typer.Option("--overage-per-hour", metavar="M", help="Price of each hour over the allowance (billed by the minute).")]
Gigabytes = Annotated[Optional[str], typer.Option("--included-gb", metavar="G", help="GB (10^9 bytes) included a month ('none': no data billing).")]
PerGb = Annotated[Money, typer.Option("--overage-per-gb", metavar="M", help="Price of each GB over the allowance (billed by the MB).")]
Taxable = Annotated[Optional[bool], typer.Option("--taxable/--not-taxable", help="Whether fees and overage are taxed (add: taxable).")]
Effective = Annotated[Optional[str], typer.Option("--effective", metavar="YYYY-MM", help="First month these prices apply (default: this month).")]

COLUMNS = ["code", "name", "monthly_fee", "setup_fee", "included_hours", "overage_per_hour", "included_gb",
           "overage_per_gb", "taxable", "effective", "customers"]


@app.command("add")
def add(
    ctx: typer.Context,
    code: Code,
    name: Annotated[str, typer.Option("--name", help="The plan's name.")],
    monthly_fee: Annotated[str, typer.Option("--monthly-fee", metavar="M", help="Monthly fee, e.g. 19.95.")],
    setup_fee: SetupFee = None,
    included_hours: Hours = None,
    overage_per_hour: PerHour = None,
    included_gb: Gigabytes = None,
    overage_per_gb: PerGb = None,
    taxable: Taxable = None,
    effective: Effective = None,
) -> None:
    """Add a plan to the catalogue."""
    from wwwtrak import money, plans

    prices = plans.PriceInput(monthly_fee, setup_fee, included_hours, overage_per_hour, included_gb, overage_per_gb, taxable)
    plan = plans.add(_cli.authorize(ctx), code, name, prices, effective)
    first = plan.prices.get()
    _cli.out(f"Added plan {plan.code} ({plan.name}): {money.fmt(first.monthly_fee)} a month from {first.effective}.")


@app.command("edit")
def edit(
    ctx: typer.Context,
    code: Code,
    name: Annotated[Optional[str], typer.Option("--name", help="A new name (not tied to a month).")] = None,
    monthly_fee: MonthlyFee = None,
    setup_fee: SetupFee = None,
    included_hours: Hours = None,
    overage_per_hour: PerHour = None,
    included_gb: Gigabytes = None,
    overage_per_gb: PerGb = None,
    taxable: Taxable = None,
    effective: Effective = None,
) -> None:
    """Change a plan's name, or its prices from a month on (earlier months keep the old prices)."""
    from wwwtrak import plans

    prices = plans.PriceInput(monthly_fee, setup_fee, included_hours, overage_per_hour, included_gb, overage_per_gb, taxable)
    r = plans.edit(_cli.authorize(ctx), code, name, prices, effective)
    parts = []
    if "name" in r.changes:
        parts.append("name {!r} -> {!r}".format(*r.changes["name"]))
    price = [f"{f} {_word(old)} -> {_word(new)}" for f, (old, new) in r.changes.items() if f not in ("name", "effective")]
    if price:
        parts.append(f"prices from {r.effective}: " + ", ".join(price))
    _cli.out(f"Plan {r.plan.code}: " + ("; ".join(parts) if parts else "nothing changed") + ".")


def _word(value) -> str:
    """A price value as typed on the command line: 'none' for no allowance, yes/no for the flag."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


@app.command("list")
def list_(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="Show the prices in force that month (default: this month).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated plans.")] = False,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List the plans with their prices (JSON adds each plan's price history)."""
    from wwwtrak import plans

    _cli.authorize(ctx)
    columns = COLUMNS + (["active"] if all_ else [])
    _cli.emit(plans.list_plans(month, all_), fmt, columns, empty="No plans.")


@app.command("deactivate")
def deactivate(ctx: typer.Context, code: Code) -> None:
    """Stop a plan being chosen for customers; those on it keep it."""
    from wwwtrak import plans

    plan, keeping, changed = plans.deactivate(_cli.authorize(ctx), code)
    if not changed:
        _cli.out(f"Plan {plan.code} is already deactivated.")
        return
    _cli.out(f"Plan {plan.code} deactivated; {keeping} customer{'' if keeping == 1 else 's'} keep{'s' if keeping == 1 else ''} it.")
