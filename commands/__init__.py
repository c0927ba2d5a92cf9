"""The ``wwwtrak`` command line: thin Typer modules, one per command group."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli, audit, check, credit, customer, database, demo, export, lookup, operator, payment, plan, report, system, usage
from wwwtrak.commands import billing, charge, invoice, service, subscription

app = typer.Typer(
    cls=_cli.WwwtrakGroup,
    help="WWWTrak: billing and customer management for Internet service providers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from wwwtrak import __version__

        typer.echo(f"wwwtrak {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[Optional[str], typer.Option("--db", metavar="PATH_OR_URL", help="Database: a SQLite path or postgresql:// URL (env: WWWTRAK_DB).")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """WWWTrak: billing and customer management for Internet service providers."""
    _cli.state.db_url = db


system.register(app)
app.command("demo")(demo.demo)
database.register(app)
app.add_typer(operator.app, name="operator")
app.add_typer(lookup.app, name="lookup")
app.add_typer(audit.app, name="audit")
app.add_typer(customer.app, name="customer")
app.add_typer(plan.app, name="plan")
app.add_typer(service.app, name="service")
app.add_typer(charge.app, name="charge")
app.add_typer(billing.app, name="billing")
app.add_typer(invoice.app, name="invoice")
customer.app.command("subscribe")(subscription.subscribe)
app.add_typer(usage.app, name="usage")
check.register(app)
app.add_typer(payment.app, name="payment")
app.add_typer(credit.app, name="credit")
app.add_typer(report.app, name="report")
app.add_typer(export.app, name="export")


def main() -> None:
    app(prog_name="wwwtrak")
