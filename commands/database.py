"""Whole-database commands: backup, restore, migrate-to (superusers only)."""

from __future__ import annotations

from typing import Annotated

import typer

from wwwtrak.commands import _cli


def _summary(counts: dict[str, int]) -> str:
    return f"{sum(counts.values())} rows in {len(counts)} tables"


def backup(ctx: typer.Context, file: Annotated[str, typer.Argument(metavar="FILE", help="Where to write the backup (gzip-compressed JSON lines).")]) -> None:
    """Write a consistent, portable backup of the whole database (SQLite or PostgreSQL)."""
    from wwwtrak import transfer

    _cli.authorize(ctx)
    counts = transfer.backup(file)
    _cli.out(f"Backed up {_summary(counts)} to {file}.")


def restore(ctx: typer.Context, file: Annotated[str, typer.Argument(metavar="FILE", help="A file written by 'wwwtrak backup'.")]) -> None:
    """Restore a backup into an empty database; your credentials must name a superuser of the backup."""
    from wwwtrak import auth, transfer

    url = _cli.db_url()
    counts = transfer.restore(url, file, authorize=lambda: auth.authenticate(_cli.command_name(ctx)))
    _cli.out(f"Restored {_summary(counts)} into {url}.")


def migrate_to(ctx: typer.Context, url: Annotated[str, typer.Argument(metavar="URL", help="An empty target database, e.g. postgresql://user@host/dbname.")]) -> None:
    """Copy every record of this database into an empty one (e.g. SQLite to PostgreSQL)."""
    from wwwtrak import transfer
    from wwwtrak.db import describe

    _cli.authorize(ctx)
    counts = transfer.migrate_to(_cli.db_url(), url)
    _cli.out(f"Copied {_summary(counts)} to {describe(url)}. Run 'wwwtrak --db {describe(url)} check' to verify.")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("migrate-to")(migrate_to)
