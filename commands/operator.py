"""``wwwtrak operator``: employees who run commands, and their roles."""

from __future__ import annotations

from typing import Annotated

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Operators (employees) and their roles.", no_args_is_help=True)

Role = Annotated[str, typer.Option("--role", help="superuser, accounting, administrator or user.")]


@app.command("add")
def add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Operator name.")], role: Role) -> None:
    """Add an operator and print their token once."""
    from wwwtrak import auth

    token = auth.add_operator(_cli.authorize(ctx), name, role)
    _cli.out(f"Operator {name} added with role {role.lower()}.")
    _cli.out(f"Token (shown once; give it to {name} for 'wwwtrak login {name}'): {token}")


@app.command("list")
def list_(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List operators with their roles."""
    from wwwtrak import auth
    from wwwtrak.clock import iso_utc

    _cli.authorize(ctx)
    rows = [{"name": o.name, "role": o.role, "active": o.active, "created_at": iso_utc(o.created_at)} for o in auth.list_operators()]
    _cli.emit(rows, fmt, ["name", "role", "active", "created_at"])


@app.command("set-role")
def set_role(ctx: typer.Context, name: Annotated[str, typer.Argument()], role: Annotated[str, typer.Argument(help="The new role.")]) -> None:
    """Change an operator's role (superusers only)."""
    from wwwtrak import auth

    auth.set_role(_cli.authorize(ctx), name, role)
    _cli.out(f"Operator {name} now has role {role.lower()}.")


@app.command("disable")
def disable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Disable an operator: their credentials stop working; their history stays."""
    from wwwtrak import auth

    auth.disable(_cli.authorize(ctx), name)
    _cli.out(f"Operator {name} disabled.")


@app.command("enable")
def enable(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Let a disabled operator log in again."""
    from wwwtrak import auth

    auth.enable(_cli.authorize(ctx), name)
    _cli.out(f"Operator {name} enabled.")


@app.command("reset-token")
def reset_token(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Give an operator a new token (printed once); the old one stops working."""
    from wwwtrak import auth

    token = auth.reset_token(_cli.authorize(ctx), name)
    _cli.out(f"New token for {name} (shown once): {token}")
