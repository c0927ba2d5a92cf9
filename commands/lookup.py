"""``wwwtrak lookup``: the lists the customer form validates against."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Lookup lists: countries, states, postal codes, terms, tax rates...", no_args_is_help=True)

KindArg = Annotated[str, typer.Argument(metavar="KIND", help="Lookup kind (see 'wwwtrak lookup kinds').")]


@app.command("kinds")
def kinds(ctx: typer.Context, fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """List the lookup kinds, their fields and how many codes each holds."""
    from wwwtrak import lookups

    _cli.authorize(ctx)
    counts = lookups.kind_counts()
    rows = [
        {"kind": k.name, "fields": ", ".join(k.fields), "active": counts[k.name][0], "total": counts[k.name][1], "description": k.description}
        for k in lookups.KINDS.values()
    ]
    _cli.emit(rows, fmt, ["kind", "fields", "active", "total", "description"])


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: KindArg,
    all_: Annotated[bool, typer.Option("--all", help="Include deactivated codes.")] = False,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List the codes of a kind."""
    from wwwtrak import lookups

    _cli.authorize(ctx)
    k = lookups.kind(kind)
    columns = ["code", "label", *k.fields, *(["active"] if all_ else [])]
    rows = ({"code": r.code, "label": r.label, **{f: r.attrs.get(f) for f in k.fields}, "active": r.active} for r in lookups.list_codes(k.name, all_))
    _cli.emit_stream(rows, fmt, columns)


def _parse_sets(values: list[str]) -> dict[str, str]:
    from wwwtrak.errors import InvalidInput

    attrs = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set: {item!r} is not KEY=VALUE")
        attrs[key.strip().lower().replace("-", "_")] = value.strip()
    return attrs


@app.command("add")
def add(
    ctx: typer.Context,
    kind: KindArg,
    code: Annotated[str, typer.Argument(help="The new code.")],
    label: Annotated[Optional[str], typer.Argument(help="Human-readable label.")] = None,
    sets: Annotated[Optional[list[str]], typer.Option("--set", metavar="KEY=VALUE", help="A field of the kind, e.g. days=30 (repeatable).")] = None,
) -> None:
    """Add a code to a lookup list."""
    from wwwtrak import lookups

    row = lookups.add(_cli.authorize(ctx), kind, code, label, _parse_sets(sets or []))
    _cli.out(f"Added {row.kind} {row.code}" + (f" ({row.label})" if row.label else "") + ".")


CountryOpt = Annotated[Optional[str], typer.Option("--country", help="The country, for a postal code or state that several countries use.")]


@app.command("rename")
def rename(ctx: typer.Context, kind: KindArg, code: Annotated[str, typer.Argument()], label: Annotated[str, typer.Argument(help="The new label.")], country: CountryOpt = None) -> None:
    """Change the label of a code; the code itself never changes."""
    from wwwtrak import lookups

    row = lookups.rename(_cli.authorize(ctx), kind, code, label, country)
    _cli.out(f"Renamed {row.kind} {row.code} to {row.label!r}.")


@app.command("deactivate")
def deactivate(ctx: typer.Context, kind: KindArg, code: Annotated[str, typer.Argument()], country: CountryOpt = None) -> None:
    """Stop a code being chosen anew; records that use it keep it."""
    from wwwtrak import lookups

    row = lookups.deactivate(_cli.authorize(ctx), kind, code, country)
    _cli.out(f"Deactivated {row.kind} {row.code}.")


@app.command("import")
def import_(ctx: typer.Context, kind: KindArg, file: Annotated[str, typer.Argument(metavar="FILE.csv", help="CSV with code,label and the kind's fields; - for stdin.")]) -> None:
    """Add or update codes from a CSV file; any bad row imports nothing."""
    from wwwtrak import lookups
    from wwwtrak.textio import read_text

    actor = _cli.authorize(ctx)
    name, text = read_text(file)
    added, updated = lookups.import_csv(actor, kind, text, name)
    _cli.out(f"{name}: {added} added, {updated} updated.")
