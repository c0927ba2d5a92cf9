"""What every command module shares: the database option, authorization, errors and output."""

from __future__ import annotations

import csv
import json
import os
import sys
import traceback
from enum import Enum
from typing import Any, Iterable, Sequence

import typer
from typer.core import TyperGroup

try:  # Typer >= 0.2x vendors click and roots its usage errors here
    from typer.exceptions import TyperException as _ClickError
except ImportError:  # older Typer runs on click itself
    from click.exceptions import ClickException as _ClickError

from wwwtrak.errors import ExitStatus, WwwtrakError


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class _State:
    db_url: str | None = None


state = _State()


def db_url() -> str:
    from wwwtrak.db import resolve_url

    return resolve_url(state.db_url)


def command_name(ctx: typer.Context) -> str:
    """``customer add`` for ``wwwtrak customer add``, whatever the program is called."""
    return ctx.command_path.split(" ", 1)[1] if " " in ctx.command_path else ctx.command_path


def authorize(ctx: typer.Context):
    """Open the database and check the operator in the credentials file may run this command."""
    from wwwtrak.instance import open_for

    return open_for(db_url(), command_name(ctx))


def open_db() -> None:
    """Open the database for a command that needs no credentials."""
    from wwwtrak.instance import open_existing

    open_existing(db_url())


def error(message: str) -> None:
    for line in str(message).splitlines() or [""]:
        typer.echo(f"error: {line}", err=True)


class WwwtrakGroup(TyperGroup):
    """The root group: turns core errors into ``error:`` lines and exit codes, in one place."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WwwtrakError as e:
            if os.environ.get("WWWTRAK_DEBUG") == "1":
                traceback.print_exc()
            error(str(e))
            raise typer.Exit(int(e.exit_status)) from None
        except (_ClickError, typer.Exit, typer.Abort):
            raise  # the command line's own: usage errors exit 2, typer.Exit keeps its code
        except KeyboardInterrupt:
            error("interrupted; nothing of the unfinished step was saved")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(int(ExitStatus.OK)) from None
        except Exception as e:  # a bug or an environment problem: one line, no traceback
            from peewee import OperationalError

            if os.environ.get("WWWTRAK_DEBUG") == "1":
                traceback.print_exc()
            if isinstance(e, OperationalError):
                from wwwtrak.db import describe

                first = (str(e).strip().splitlines() or ["error"])[0]
                error(f"database {describe(db_url())}: {first}")
            elif isinstance(e, OSError) and e.strerror:
                where = f"{e.filename}: " if e.filename else ""
                error(f"{where}{e.strerror}")
            else:
                error(f"internal error: {type(e).__name__}: {e} (set WWWTRAK_DEBUG=1 for details)")
            raise typer.Exit(int(ExitStatus.ERROR)) from None
        finally:
            from wwwtrak.db import close_database

            close_database()


def out(text: str = "") -> None:
    typer.echo(text)


def emit(rows: Sequence[dict[str, Any]], fmt: Format, columns: Sequence[str] | None = None, empty: str = "") -> None:
    """Print records as a table, JSON array or CSV (header always written)."""
    columns = list(columns or (rows[0].keys() if rows else []))
    if fmt == Format.json:
        out(json.dumps(list(rows), indent=2, default=str))
    elif fmt == Format.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(_csv_row(r, columns))
    else:
        if not rows:
            if empty:
                out(empty)
            return
        from tabulate import tabulate

        out(tabulate([[_cell(r.get(c)) for c in columns] for r in rows], headers=columns, disable_numparse=True))


def emit_stream(rows: Iterable[dict[str, Any]], fmt: Format, columns: Sequence[str]) -> None:
    """Print many records without holding them in memory (JSON as an array, CSV, or a plain table)."""
    if fmt == Format.json:
        sys.stdout.write("[")
        first = True
        encode = json.JSONEncoder(default=str).encode  # one encoder: json.dumps(default=...) builds one per call
        for r in rows:
            sys.stdout.write(("\n  " if first else ",\n  ") + encode(r))
            first = False
        sys.stdout.write("\n]\n" if not first else "]\n")
    elif fmt == Format.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(_csv_row(r, columns))
    else:
        # Fixed-width columns sized from a first batch, so a long list streams.
        batch: list[dict] = []
        it = iter(rows)
        for r in it:
            batch.append(r)
            if len(batch) >= 200:
                break
        widths = [max([len(c)] + [len(_cell(r.get(c))) for r in batch]) for c in columns]
        write = sys.stdout.write  # not typer.echo: it flushes every line, too slow for 100,000 of them
        write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        write("  ".join("-" * w for w in widths) + "\n")
        for r in _chain(batch, it):
            write("  ".join(_cell(r.get(c)).ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")


def _chain(first, rest):
    yield from first
    yield from rest


def _csv_row(r: dict[str, Any], columns: Sequence[str]) -> list:
    """A record's CSV cells: lists as space-separated words (csv.writer writes None as empty)."""
    return [" ".join(map(str, v)) if type(v) is list else v for v in map(r.get, columns)]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return " ".join(str(x) for x in v)
    return str(v)


def emit_one(record: dict[str, Any], fmt: Format) -> None:
    """Print one record: JSON object, one-row CSV, or ``key: value`` lines."""
    if fmt == Format.json:
        out(json.dumps(record, indent=2, default=str))
    elif fmt == Format.csv:
        emit([record], fmt)
    else:
        width = max(len(k) for k in record)
        for k, v in record.items():
            out(f"{k.replace('_', ' '):<{width}}  {_cell(v)}")


def progress(total: int | None, description: str):
    """A progress bar on a terminal; a no-op object in a pipe or under cron."""
    if not sys.stdout.isatty() or total == 0:
        return _NoProgress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    p = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
    return _RichProgress(p, total)


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self, n: int = 1) -> None:
        pass


class _RichProgress:
    def __init__(self, p, total):
        self.p, self.total = p, total

    def __enter__(self):
        self.p.__enter__()
        self.task = self.p.add_task("", total=self.total)
        return self

    def __exit__(self, *exc):
        return self.p.__exit__(*exc)

    def advance(self, n: int = 1) -> None:
        self.p.advance(self.task, n)
