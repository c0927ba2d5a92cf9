"""Seed lookup data: ISO countries and subdivisions, US ZIP codes, and the CSV lists in ``data/``."""

from __future__ import annotations

from importlib.resources import files

from wwwtrak.db import bulk_insert
from wwwtrak.lookups import SMALL_KINDS, _clean_attrs, canonical, kind
from wwwtrak.models import Lookup, database


_COLUMNS = ["kind", "scope", "code", "key", "label", "active", "attrs"]


def _bulk(rows: list[dict]) -> None:
    bulk_insert(Lookup, _COLUMNS, ([r[c] for c in _COLUMNS] for r in rows))


def _row(kind_name: str, code: str, label: str, scope: str = "", attrs: dict | None = None) -> dict:
    return {"kind": kind_name, "scope": scope, "code": code, "key": code.casefold(), "label": label, "active": True, "attrs": attrs or {}}


def seed_iso() -> None:
    """All ISO 3166-1 countries and ISO 3166-2 subdivisions, from pycountry."""
    import pycountry

    rows = [_row("country", c.alpha_2, c.name) for c in pycountry.countries]
    _bulk([{**r, "attrs": Lookup.attrs.db_value(r["attrs"])} for r in rows])
    subs = [
        _row("state", s.code.upper(), s.name, s.country_code, {"country": s.country_code, "type": s.type})
        for s in pycountry.subdivisions
    ]
    _bulk([{**r, "attrs": Lookup.attrs.db_value(r["attrs"])} for r in subs])


def seed_us_zip_codes() -> None:
    """US ZIP codes (city and state) from the offline ``zipcodes`` package."""
    import zipcodes

    rows = []
    seen = set()
    for z in zipcodes.list_all():
        code = z["zip_code"]
        if code in seen or not z.get("state"):
            continue
        seen.add(code)
        city = z["city"].title()
        attrs = {"city": city, "state": f"US-{z['state']}", "country": "US"}
        rows.append({**_row("postal-code", code, city, "US"), "attrs": Lookup.attrs.db_value(attrs)})
    _bulk(rows)


def seed_small_kinds() -> None:
    """The small lists kept as CSV in ``data/``."""
    import csv
    import io

    for name in SMALL_KINDS:
        k = kind(name)
        text = files("wwwtrak.data").joinpath(f"{name}.csv").read_text(encoding="utf-8")
        for i, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            attrs = {f: raw[f] for f in k.fields if raw.get(f)}
            scope, clean = _clean_attrs(k, attrs, f"data/{name}.csv:{i}: ")
            code = canonical(k, raw["code"])
            Lookup.create(kind=name, scope=scope, code=code, key=code.casefold(), label=raw.get("label", ""), attrs=clean)


def seed_all() -> None:
    """Load every seed list into an empty lookup table."""
    with database.atomic():
        seed_iso()
        seed_us_zip_codes()
        seed_small_kinds()
