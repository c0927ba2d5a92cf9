"""``wwwtrak usage``: RADIUS accounting in, sessions out."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Usage: import RADIUS accounting, list sessions, find logins no customer holds.", no_args_is_help=True)

SESSION_COLUMNS = ["id", "login", "customer_id", "nas", "session_id", "start", "stop", "seconds", "bytes_in", "bytes_out"]
UNMATCHED_COLUMNS = ["login", "sessions", "seconds", "bytes_in", "bytes_out", "first_start", "last_stop"]


class InputFormat(str, Enum):
    auto = "auto"
    detail = "detail"
    radacct = "radacct"
    csv = "csv"


def _when(value, fmt: Format):
    """Local time: ISO 8601 with offset for JSON and CSV, with the zone's abbreviation in a table."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if fmt == Format.table else value.isoformat()


def _times(row: dict, fmt: Format, *keys: str) -> dict:
    return {**row, **{k: _when(row[k], fmt) for k in keys}}


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[Optional[list[str]], typer.Argument(metavar="[FILE ...|-]", help="Accounting files; - or none for stdin; .gz read transparently.")] = None,
    from_: Annotated[InputFormat, typer.Option("--from", help="Input format; auto detects it from the content.")] = InputFormat.auto,
    rejects: Annotated[Optional[str], typer.Option("--rejects", metavar="FILE", help="Write rejected records here (default: rejects/import-ID.txt beside the database).")] = None,
    login_attribute: Annotated[Optional[str], typer.Option("--login-attribute", metavar="NAME", help="Attribute or column that names the login (default User-Name), e.g. Calling-Station-Id.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Import RADIUS accounting (detail files, radacct CSV or our CSV) into sessions; each file all or nothing."""
    from wwwtrak import usage

    actor = _cli.authorize(ctx)
    if not files and sys.stdin.isatty():
        raise typer.BadParameter("give accounting files, or pipe records in (e.g. zcat detail.gz | wwwtrak usage import -)", param_hint="FILE")
    paths = files or ["-"]
    with _cli.progress(usage.input_size(paths), "usage import: 0 records", unit="bytes") as bar:
        result = usage.import_files(actor, paths, from_.value, rejects, login_attribute,
                                    progress=lambda name, n, done: bar.update(done, f"{name}: {n:,} records"))
    files_ = [{"file": f.file, "format": f.format, "import_id": f.import_id, **f.counts(), "rejects_file": f.rejects_file} for f in result.files]
    if fmt == Format.json:
        _cli.emit_one({**result.totals(), "files": files_}, fmt)
        return
    columns = ["file", "format", *usage.COUNTS]
    total = [{"file": "total", "format": "", **result.totals()}] if len(files_) > 1 else []
    _cli.emit(files_ + total, fmt, columns)
    if fmt == Format.table:
        for f in result.files:
            if f.rejects_file:
                _cli.out(f"rejected records of {f.file}: {f.rejects_file}")


@app.command("list")
def list_(
    ctx: typer.Context,
    customer: Annotated[Optional[int], typer.Option("--customer", metavar="ID", help="Sessions of this customer.")] = None,
    login: Annotated[Optional[str], typer.Option("--login", metavar="USERNAME", help="Sessions of this login (any case).")] = None,
    month: Annotated[Optional[str], typer.Option("--month", metavar="YYYY-MM", help="Sessions that stopped in this month, in the ISP's time zone.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List sessions in order of start, times in the ISP's time zone."""
    from wwwtrak import usage
    from wwwtrak.period import Period

    _cli.authorize(ctx)
    period = None if month is None else Period.parse(month, "--month")
    rows = usage.list_sessions(customer=customer, login=login, month=period)
    _cli.emit_stream((_times(r, fmt, "start", "stop") for r in rows), fmt, SESSION_COLUMNS)


@app.command("unmatched")
def unmatched(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """Logins in usage records that no customer holds, with their sessions and totals."""
    from wwwtrak import usage

    _cli.authorize(ctx)
    rows = [_times(r, fmt, "first_start", "last_stop") for r in usage.unmatched()]
    _cli.emit(rows, fmt, UNMATCHED_COLUMNS, empty="Every login in the usage records belongs to a customer.")
