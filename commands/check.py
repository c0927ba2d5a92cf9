"""``wwwtrak check``: verify the books and the database."""

from __future__ import annotations

import typer

from wwwtrak.commands import _cli


def check(ctx: typer.Context) -> None:
    """Verify the books: entries balance, invoices equal lines plus tax, receivable matches, no gaps in numbers."""
    from wwwtrak.books import verify

    _cli.authorize(ctx)
    _cli.out(str(verify()))


def register(app: typer.Typer) -> None:
    app.command("check")(check)
