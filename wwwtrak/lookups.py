"""Lookup lists: the codes a customer form may use, kept by administrators.

Countries and subdivisions come from ISO 3166 (pycountry), US ZIP codes from
the offline ``zipcodes`` package, the small kinds from CSV files in ``data/``.
Codes match case-insensitively and are stored in one canonical form: upper
case for country, state and postal-code, lower case for the other kinds.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from wwwtrak import audit
from wwwtrak.audit import Actor
from wwwtrak.db import atomic, bulk_insert
from wwwtrak.errors import Conflict, InvalidInput, NotFound
from wwwtrak.models import Lookup
from wwwtrak.money import parse_money, parse_percent


@dataclass(frozen=True)
class Kind:
    """A lookup kind and the fields its codes carry."""

    name: str
    description: str
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    upper: bool = False


KINDS = {
    k.name: k
    for k in (
        Kind("country", "ISO 3166-1 countries (alpha-2 codes)", upper=True),
        Kind("state", "ISO 3166-2 subdivisions, e.g. US-IL", ("country",), ("country",), upper=True),
        Kind("postal-code", "postal codes with their city and state", ("city", "state", "country"), ("city", "country"), upper=True),
        Kind("billing-category", "billing categories"),
        Kind("payment-terms", "payment terms", ("days", "late_fee", "late_fee_percent"), ("days",)),
        Kind("pc-type", "customer computer types"),
        Kind("source", "how the customer found us"),
        Kind("commercial-tag", "tags for commercial customers"),
        Kind("tax-rate", "sales tax by jurisdiction", ("country", "state", "percent"), ("country", "percent")),
    )
}

SMALL_KINDS = ("billing-category", "payment-terms", "pc-type", "source", "commercial-tag", "tax-rate")


def kind(name: str) -> Kind:
    """The kind named, or an error that lists the kinds."""
    k = KINDS.get((name or "").strip().lower())
    if k is None:
        close = difflib.get_close_matches((name or "").lower(), KINDS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; kinds: {', '.join(KINDS)}"
        raise InvalidInput(f"lookup kind: {name!r} is not a lookup kind{hint}")
    return k


def canonical(k: Kind, code: str) -> str:
    code = (code or "").strip()
    return code.upper() if k.upper else code.lower()


def _suggest(kind_name: str, value: str, scope: str | None = None, n: int = 3, active_only: bool = True) -> list[str]:
    query = Lookup.select(Lookup.code, Lookup.label).where(Lookup.kind == kind_name)
    if active_only:
        query = query.where(Lookup.active)
    if scope is not None:
        query = query.where(Lookup.scope == scope)
    codes = {}
    for code, label in query.tuples().iterator():
        codes[code.lower()] = code
        if label:
            codes.setdefault(label.lower(), code)
    out = []
    for m in difflib.get_close_matches(value.lower(), codes, n=n * 2, cutoff=0.5):
        if codes[m] not in out:
            out.append(codes[m])
    return out[:n]


def resolve(kind_name: str, value: str, field: str | None = None, scope: str | None = None) -> Lookup:
    """The active code of ``kind_name`` that ``value`` names (code, or label), else an error with suggestions."""
    field = field or kind_name
    key = (value or "").strip().casefold()
    if not key:
        raise InvalidInput(f"{field}: must not be empty")
    base = Lookup.select().where(Lookup.kind == kind_name)
    if scope is not None:
        base = base.where(Lookup.scope == scope)
    row = base.where(Lookup.key == key).first()
    if row is None:
        matches = list(base.where(Lookup.active & (fn.LOWER(Lookup.label) == value.strip().lower())).limit(2))
        row = matches[0] if len(matches) == 1 else None
    if row is not None and row.active:
        return row
    if row is not None:
        raise InvalidInput(f"{field}: {row.code!r} is deactivated and can't be chosen anew")
    close = _suggest(kind_name, value.strip(), scope)
    where = f" in {scope}" if scope else ""
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InvalidInput(f"{field}: {value.strip()!r} is not a known {kind_name}{where}{hint}")


def get(kind_name: str, code: str, scope: str | None = None) -> Lookup | None:
    """A code of a kind (active or not), or None."""
    query = Lookup.select().where((Lookup.kind == kind_name) & (Lookup.key == code.strip().casefold()))
    if scope is not None:
        query = query.where(Lookup.scope == scope)
    return query.first()


def resolve_state(value: str, country: str, field: str = "state") -> Lookup:
    """A state of ``country``: ``il``, ``US-IL`` and ``Illinois`` all name US-IL."""
    v = (value or "").strip()
    if v and "-" not in v:
        row = get("state", f"{country}-{v}", scope=country)
        if row is not None and row.active:
            return row
    if "-" in v and not v.upper().startswith(country.upper() + "-") and get("state", v) is not None:
        raise InvalidInput(f"{field}: {v!r} is not a state of {country}")
    return resolve("state", v, field, scope=country)


def has_postal_codes(country: str) -> bool:
    return Lookup.select().where((Lookup.kind == "postal-code") & (Lookup.scope == country)).exists()


def tax_percent(country: str | None, state: str | None) -> Decimal:
    """The sales tax percent for an address: the state's rate, else the country's, else 0."""
    if not country:
        return Decimal(0)
    rows = Lookup.select().where((Lookup.kind == "tax-rate") & Lookup.active)
    best = None
    for row in rows:
        a = row.attrs
        if a.get("country") != country:
            continue
        if state and a.get("state") == state:
            return Decimal(a["percent"])
        if not a.get("state"):
            best = Decimal(a["percent"])
    return best if best is not None else Decimal(0)


def _clean_attrs(k: Kind, attrs: dict[str, str], where: str) -> tuple[str, dict]:
    """Validate a code's fields; returns (scope, canonical attrs)."""
    unknown = sorted(set(attrs) - set(k.fields))
    if unknown:
        allowed = ", ".join(k.fields) or "none"
        raise InvalidInput(f"{where}{unknown[0]}: {k.name} has no field {unknown[0]!r} (fields: {allowed})")
    for f in k.required:
        if not str(attrs.get(f, "")).strip():
            raise InvalidInput(f"{where}{f}: required for {k.name}")
    out: dict = {}
    scope = ""
    if "country" in attrs and str(attrs["country"]).strip():
        scope = resolve("country", attrs["country"], f"{where}country").code
        out["country"] = scope
    if str(attrs.get("state", "")).strip():
        out["state"] = resolve_state(attrs["state"], scope, f"{where}state").code
    if "city" in attrs:
        out["city"] = str(attrs["city"]).strip()
    if k.name == "payment-terms":
        text = str(attrs["days"]).strip()
        if not re.fullmatch(r"[0-9]{1,4}", text, re.ASCII):
            raise InvalidInput(f"{where}days: {attrs['days']!r} is not a whole number of days")
        days = int(text)
        if days < 0 or days > 3650:
            raise InvalidInput(f"{where}days: {days} must be from 0 to 3650")
        out["days"] = days
        out["late_fee"] = str(parse_money(attrs.get("late_fee") or "0", f"{where}late_fee"))
        out["late_fee_percent"] = str(parse_percent(attrs.get("late_fee_percent") or "0", f"{where}late_fee_percent"))
    if k.name == "tax-rate":
        out["percent"] = str(parse_percent(attrs["percent"], f"{where}percent"))
    return (scope if k.name in ("state", "postal-code") else ""), out


_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
_POSTAL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]{0,15}", re.ASCII)


def _validate_code(k: Kind, code: str, where: str) -> str:
    c = canonical(k, code)
    if k.name == "postal-code":
        c = " ".join(c.split())  # 'SW1A  1AA' is 'SW1A 1AA'
    if not c:
        raise InvalidInput(f"{where}code: must not be empty")
    pattern = _POSTAL_RE if k.name == "postal-code" else _CODE_RE
    if not pattern.fullmatch(c):
        what = "letters, digits, spaces and '-'" if k.name == "postal-code" else "letters, digits, '.', '_' and '-', starting with a letter or digit"
        raise InvalidInput(f"{where}code: {code!r} must be {what} (at most {16 if k.name == 'postal-code' else 64} characters)")
    if k.name == "country" and not (len(c) == 2 and c.isalpha()):
        raise InvalidInput(f"{where}code: {code!r} is not an ISO 3166-1 alpha-2 code")
    return c


def _validate_label(label: str | None, where: str) -> str:
    text = (label or "").strip()
    if len(text) > 200:
        raise InvalidInput(f"{where}label: longer than 200 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InvalidInput(f"{where}label: {text!r} contains control characters")
    return text


def _check_tax_jurisdiction(k: Kind, code: str, clean: dict, where: str) -> None:
    """One tax rate per jurisdiction: the address must pick exactly one."""
    if k.name != "tax-rate":
        return
    for row in Lookup.select().where((Lookup.kind == "tax-rate") & Lookup.active & (Lookup.key != code.casefold())):
        if row.attrs.get("country") == clean.get("country") and (row.attrs.get("state") or "") == (clean.get("state") or ""):
            place = clean.get("state") or clean.get("country")
            raise InvalidInput(f"{where}{place} has a tax rate already ({row.code}, {row.attrs['percent']}%); change or deactivate that one")


def add(actor: Actor, kind_name: str, code: str, label: str | None, attrs: dict[str, str]) -> Lookup:
    """Add a code to a lookup list."""
    k = kind(kind_name)
    with atomic():
        c = _validate_code(k, code, "")
        scope, clean = _clean_attrs(k, attrs, "")
        if k.name == "state" and not c.startswith(scope + "-"):
            raise InvalidInput(f"code: a state code of {scope} must start with '{scope}-' (got {c!r})")
        existing = Lookup.get_or_none((Lookup.kind == k.name) & (Lookup.scope == scope) & (Lookup.key == c.casefold()))
        if existing:
            note = " (deactivated; 'lookup import' can bring it back)" if not existing.active else ""
            raise Conflict(f"{k.name} {c!r} already exists{note}")
        _check_tax_jurisdiction(k, c, clean, "")
        row = Lookup.create(kind=k.name, scope=scope, code=c, key=c.casefold(), label=_validate_label(label, ""), attrs=clean)
        audit.record(actor, f"lookup {k.name} {c}", {"label": [None, row.label], **{f: [None, v] for f, v in clean.items()}})
    return row


def _existing(k: Kind, code: str, country: str | None = None) -> Lookup:
    query = Lookup.select().where((Lookup.kind == k.name) & (Lookup.key == " ".join(code.split()).casefold()))
    if country:
        query = query.where(Lookup.scope == resolve("country", country, "country").code)
    rows = list(query.limit(2))
    if not rows:
        close = _suggest(k.name, code, active_only=False)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFound(f"{k.name} {code!r} does not exist{hint}")
    if len(rows) > 1:
        raise InvalidInput(f"{k.name} {code!r} exists in several countries; name one with --country")
    return rows[0]


def rename(actor: Actor, kind_name: str, code: str, label: str, country: str | None = None) -> Lookup:
    """Change the label of a code (the code itself never changes)."""
    k = kind(kind_name)
    with atomic():
        row = _existing(k, code, country)
        old = row.label
        new = _validate_label(label, "")
        if new != old:
            row.label = new
            row.save()
            audit.record(actor, f"lookup {k.name} {row.code}", {"label": [old, row.label]})
    return row


def deactivate(actor: Actor, kind_name: str, code: str, country: str | None = None) -> Lookup:
    """Stop a code from being chosen anew; records that use it keep it."""
    k = kind(kind_name)
    with atomic():
        row = _existing(k, code, country)
        if row.active:
            row.active = False
            row.save()
            audit.record(actor, f"lookup {k.name} {row.code}", {"active": [True, False]})
    return row


def list_codes(kind_name: str, include_inactive: bool = False):
    """The codes of a kind, in code order."""
    k = kind(kind_name)
    query = Lookup.select().where(Lookup.kind == k.name)
    if not include_inactive:
        query = query.where(Lookup.active)
    return query.order_by(Lookup.scope, Lookup.code).iterator()


def kind_counts() -> dict[str, tuple[int, int]]:
    """For each kind, (active codes, all codes)."""
    from peewee import Case

    counts = {name: (0, 0) for name in KINDS}
    q = Lookup.select(Lookup.kind, fn.SUM(Case(None, [(Lookup.active, 1)], 0)), fn.COUNT(Lookup.id)).group_by(Lookup.kind)
    for name, active, total in q.tuples():
        counts[name] = (int(active or 0), int(total))
    return counts


def import_csv(actor: Actor, kind_name: str, text: str, file_name: str) -> tuple[int, int]:
    """Add or update codes from CSV (``code,label,<fields>``); any bad row imports nothing.

    Returns (added, updated). Every bad row is named as ``file:line: reason``.
    Columns the file leaves out keep their stored values; a deactivated code
    stays deactivated. Existing codes are read once and written in bulk.
    """
    k = kind(kind_name)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "code" not in header:
        raise InvalidInput(f"{file_name}:1: the header must name a 'code' column (and optionally label, {', '.join(k.fields) or 'no fields'})")
    unknown = [h for h in header if h not in ("code", "label", *k.fields)]
    if unknown:
        raise InvalidInput(f"{file_name}:1: unknown column {unknown[0]!r} for {k.name} (columns: code, label{''.join(', ' + f for f in k.fields)})")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InvalidInput(f"{file_name}:1: column {repeated[0]!r} appears twice")
    reader.fieldnames = header
    given_fields = [f for f in k.fields if f in header]
    errors: list[str] = []
    with atomic():
        existing = {(r.scope, r.key): r for r in Lookup.select().where(Lookup.kind == k.name)}
        new_rows: list[tuple] = []
        changed: list[tuple[Lookup, str, dict]] = []
        seen: dict[tuple[str, str], int] = {}
        places: dict[tuple[str, str], int] = {}  # tax jurisdictions the file's active rates take
        for raw in reader:
            line = reader.line_num
            where = f"{file_name}:{line}: "
            try:
                if None in raw:
                    raise InvalidInput(f"{where}more values than columns")
                c = _validate_code(k, raw.get("code") or "", where)
                given = {f: (raw.get(f) or "").strip() for f in given_fields if (raw.get(f) or "").strip()}
                scope_hint = given.get("country", "")
                scope_key = resolve("country", scope_hint, f"{where}country").code if scope_hint and k.name in ("state", "postal-code") else ""
                old = existing.get((scope_key, c.casefold()))
                attrs = {**(old.attrs if old else {}), **given}
                attrs = {f: v for f, v in attrs.items() if f in k.fields}
                scope, clean = _clean_attrs(k, attrs, where)
                if k.name == "state" and not c.startswith(scope + "-"):
                    raise InvalidInput(f"{where}code: a state code of {scope} must start with '{scope}-'")
                if (scope, c) in seen:
                    raise InvalidInput(f"{where}code: {c!r} repeats line {seen[(scope, c)]}")
                seen[(scope, c)] = line
                if k.name == "tax-rate" and (old is None or old.active):  # one rate per jurisdiction in the file too
                    place = (clean.get("country"), clean.get("state") or "")
                    if place in places:
                        raise InvalidInput(f"{where}{place[1] or place[0]} has a tax rate on line {places[place]} already")
                    places[place] = line
                label = _validate_label(raw.get("label"), where) if "label" in header else None
                if old is None:
                    new_rows.append((k.name, scope, c, c.casefold(), label or "", True, Lookup.attrs.db_value(clean)))
                elif (label is not None and label != old.label) or clean != old.attrs:
                    changed.append((old, label if label is not None else old.label, clean))
            except InvalidInput as e:
                errors.append(str(e))
        if errors:
            raise InvalidInput("\n".join(errors))
        if k.name == "tax-rate":
            for old, _label, clean in changed:
                _check_tax_jurisdiction(k, old.code, clean, "")
            for row in new_rows:
                _check_tax_jurisdiction(k, row[2], Lookup.attrs.python_value(row[6]), "")
        bulk_insert(Lookup, ["kind", "scope", "code", "key", "label", "active", "attrs"], new_rows)
        for old, label, clean in changed:
            Lookup.update(label=label, attrs=clean).where(Lookup.id == old.id).execute()
        if new_rows or changed:
            audit.record(
                actor,
                f"lookup {k.name}",
                {
                    "import": [None, file_name],
                    "added": [None, [r[2] for r in new_rows]],
                    **{f"{o.code}": [{"label": o.label, **o.attrs}, {"label": lb, **cl}] for o, lb, cl in changed},
                },
            )
    return len(new_rows), len(changed)
