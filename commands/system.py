"""Top-level commands: init, login, whoami."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format


def init(
    superuser: Annotated[str, typer.Option("--superuser", help="Name of the first operator (role superuser).")],
    timezone: Annotated[str, typer.Option("--timezone", help="The ISP's IANA time zone; it decides days and months.")] = "UTC",
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency code.")] = "USD",
) -> None:
    """Create the database, load the seed lookups and the first superuser; print the token once."""
    from wwwtrak.instance import init as do_init

    r = do_init(_cli.db_url(), superuser, timezone, currency)
    _cli.out(f"Initialised {r.db} (time zone {r.timezone}, currency {r.currency}).")
    _cli.out(f"Operator {r.operator} (superuser); credentials written to {r.credentials}.")
    _cli.out(f"Token (shown once; keep it to log in elsewhere): {r.token}")


def login(
    name: Annotated[str, typer.Argument(help="Operator name.")],
) -> None:
    """Log in as NAME: reads the token from stdin (or a prompt) and writes the credentials file."""
    from wwwtrak import auth

    _cli.open_db()
    if sys.stdin.isatty():
        try:
            token = typer.prompt("Token", hide_input=True)
        except typer.Abort:
            from wwwtrak.errors import AuthError

            raise AuthError("login aborted; nothing changed") from None
    else:
        token = sys.stdin.readline(256)
    path = auth.login(name, token)
    _cli.out(f"Logged in as {name}; credentials written to {path}.")


def whoami(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """Show the operator the credentials file names, and their role."""
    actor = _cli.authorize(ctx)
    from wwwtrak.db import describe

    _cli.emit_one({"operator": actor.name, "role": actor.role, "database": describe(_cli.db_url())}, fmt)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("login")(login)
    app.command("whoami")(whoami)
