"""``wwwtrak audit``: who changed what, and when."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="The audit trail of every change.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option("--since", metavar="YYYY-MM-DD", help="Only entries from this day on.")] = None,
    operator: Annotated[Optional[str], typer.Option("--operator", help="Only this operator's entries.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List audit entries, oldest first."""
    from wwwtrak import audit
    from wwwtrak.clock import parse_date
    from wwwtrak.instance import zone

    _cli.authorize(ctx)
    day = parse_date(since, "since") if since else None
    z = zone()
    rows = [
        {
            "id": e.id,
            "at": e.at.astimezone(z).isoformat(),
            "operator": e.operator_name,
            "command": e.command,
            "target": e.target,
            "changes": e.changes if fmt == Format.json else _changes_text(e.changes),
        }
        for e in audit.entries(since=day, operator=operator, zone=z)
    ]
    _cli.emit(rows, fmt, ["id", "at", "operator", "command", "target", "changes"], empty="No audit entries.")


def _changes_text(changes) -> str:
    if not changes:
        return ""
    return "; ".join(f"{k}: {v[0]!r} -> {v[1]!r}" if isinstance(v, list) and len(v) == 2 else f"{k}: {v!r}" for k, v in changes.items())
