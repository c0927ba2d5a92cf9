"""Customers: the account form, validated against the lookups, with logins, search and closing.

A customer's form is a plain dict of JSON-able values (``FIELDS`` plus
``close_date``); validation turns what the user typed into a new form, and
one writer stores it and records the difference in the audit trail.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Iterator

from peewee import JOIN, fn

from wwwtrak import audit, clock, db, instance, lookups, money, plans
from wwwtrak.audit import Actor
from wwwtrak.db import atomic
from wwwtrak.errors import Conflict, InvalidInput, NotFound, Problems
from wwwtrak.models import BillingRun, Customer, CustomerTag, Login, Lookup, Plan, UsageSession

TYPES = ("individual", "commercial")
STATUSES = ("active", "suspended", "closed")
FIRST_ACCOUNT_NUMBER = 1001

# The form, in the order it is shown, validated and audited. ``close_date`` is set by closing only.
FIELDS = (
    "type", "name", "company", "contact", "address", "city", "state", "postal_code", "country", "phone", "email",
    "billing_category", "payment_terms", "pc_type", "source", "tags", "plan", "remote_host", "logins",
    "start_date", "close_date", "status", "tax_exempt", "notes",
)
EDITABLE = frozenset(FIELDS) - {"close_date"}
# The fields stored as they are in a customer column (the others: tag and login rows, plan id, dates).
PLAIN_FIELDS = tuple(f for f in FIELDS if f not in ("tags", "logins", "plan", "start_date", "close_date"))
LIST_FIELDS = ("id", "type", "name", "company", "contact", "status", "city", "state", "postal_code", "country",
               "phone", "email", "plan", "logins", "start_date", "close_date")
TEXT_LIMITS = {"name": 200, "company": 200, "contact": 200, "address": 200, "city": 100, "tax_exempt": 64, "notes": 4000}
LOOKUP_FIELDS = {"billing_category": "billing-category", "payment_terms": "payment-terms", "pc_type": "pc-type", "source": "source"}
COMMERCIAL_ONLY = {"company": "a company", "contact": "a contact", "tax_exempt": "a tax-exemption id"}

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_POSTAL = re.compile(r"^[A-Z0-9](?:[A-Z0-9 -]{0,10}[A-Z0-9])?$")
_PHONEISH = re.compile(r"^[+\d().\-/]+$")


def _one_of(choices) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def _choice(value: str, field: str, choices: tuple[str, ...]) -> str:
    v = (value or "").strip().lower()
    if v not in choices:
        raise InvalidInput(f"{field}: {value!r} is not {_one_of(choices)}")
    return v


def _text(value: str, field: str, required: bool = False) -> str | None:
    """Free text: stripped, bounded, one line (notes may have several); empty is None."""
    s = (value or "").strip()
    if field == "notes":
        s = s.replace("\r\n", "\n").replace("\r", "\n")  # a line break typed or saved on Windows, or an old Mac
    if not s:
        if required:
            raise InvalidInput(f"{field}: must not be empty")
        return None
    allowed = "\n\t" if field == "notes" else ""
    if not s.isprintable() and any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") and ch not in allowed for ch in s):
        raise InvalidInput(f"{field}: must be one line of text" if not allowed else f"{field}: must not hold control characters")
    limit = TEXT_LIMITS[field]
    if len(s) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters (got {len(s)})")
    return s


@dataclass(frozen=True)
class PostalCode:
    """What the postal-code list says of a code."""

    city: str | None
    state: str | None
    active: bool


class Resolver:
    """What validation asks the database (codes, plans, postal codes, held logins), a query per question.

    Right for one form. An import of many rows passes a ``CachedResolver``, which asks each question once.
    """

    def code(self, kind: str, value: str, field: str) -> str:
        """The active code of ``kind`` that ``value`` names, else the lookup's refusal."""
        return lookups.resolve(kind, value, field).code

    def state(self, value: str, country: str) -> str:
        return lookups.resolve_state(value, country, "state").code

    def plan(self, value: str, current: str | None) -> str:
        return plans.resolve(value, "plan", current).code

    def has_postal_codes(self, country: str) -> bool:
        return lookups.has_postal_codes(country)

    def postal_code(self, code: str, country: str) -> PostalCode | None:
        row = lookups.get("postal-code", code, scope=country)
        return None if row is None else PostalCode(row.attrs.get("city"), row.attrs.get("state"), row.active)

    def home_country(self) -> str | None:
        return home_country()

    def today(self) -> date:
        return _today()

    def logins_held(self, keys: list[str], customer_id: int | None) -> list[tuple[str, int, str]]:
        """(key, customer id, name) of each of ``keys`` another customer holds (one query)."""
        return list(
            Login.select(Login.key, Customer.id, Customer.name)
            .join(Customer)
            .where(Login.key.in_(keys) & (Login.customer != (customer_id or 0)))
            .tuples()
        )


class CachedResolver(Resolver):
    """A ``Resolver`` for many forms: each distinct question asked once, refusals remembered too.

    Every held login is read in one query; a country's postal codes too, once more than a few
    hundred of its codes have been asked for (a small import doesn't read 40,000 ZIP codes).
    """

    POSTAL_CODES_ONE_BY_ONE = 256

    def __init__(self) -> None:
        self._answers: dict[tuple, tuple] = {}
        self._postal: dict[str, dict[str, PostalCode]] = {}
        self._postal_asked: dict[str, int] = {}
        self._held: dict[str, tuple[int, str]] | None = None

    def _once(self, key: tuple, ask, *args):
        answer = self._answers.get(key)
        if answer is None:
            try:
                answer = (ask(*args), None)
            except InvalidInput as e:
                answer = (None, str(e))
            self._answers[key] = answer
        if answer[1] is not None:
            raise InvalidInput(answer[1])
        return answer[0]

    def code(self, kind: str, value: str, field: str) -> str:
        return self._once(("code", kind, value, field), super().code, kind, value, field)

    def state(self, value: str, country: str) -> str:
        return self._once(("state", value, country), super().state, value, country)

    def plan(self, value: str, current: str | None) -> str:
        return self._once(("plan", value, current), super().plan, value, current)

    def home_country(self) -> str | None:
        return self._once(("home_country",), super().home_country)

    def today(self) -> date:
        return self._once(("today",), super().today)

    def has_postal_codes(self, country: str) -> bool:
        return self._once(("has_postal_codes", country), super().has_postal_codes, country)

    def postal_code(self, code: str, country: str) -> PostalCode | None:
        key = code.strip().casefold()
        codes = self._postal.get(country)
        if codes is None:
            asked = self._postal_asked[country] = self._postal_asked.get(country, 0) + 1
            if asked <= self.POSTAL_CODES_ONE_BY_ONE:
                return self._once(("postal_code", key, country), super().postal_code, code, country)
            # the raw cursor: each code's JSON is read only if a form names it
            query = Lookup.select(Lookup.key, Lookup.attrs, Lookup.active).where((Lookup.kind == "postal-code") & (Lookup.scope == country))
            codes = self._postal[country] = {k: (attrs, active) for k, attrs, active in db.database.execute(query)}
        row = codes.get(key)
        if isinstance(row, tuple):
            attrs = json.loads(row[0]) if row[0] else {}
            row = codes[key] = PostalCode(attrs.get("city"), attrs.get("state"), bool(row[1]))
        return row

    def logins_held(self, keys: list[str], customer_id: int | None) -> list[tuple[str, int, str]]:
        if self._held is None:
            query = Login.select(Login.key, Customer.id, Customer.name).join(Customer).tuples()
            self._held = {key: (cid, name) for key, cid, name in query.iterator()}
        return [(k, *self._held[k]) for k in keys if k in self._held and self._held[k][0] != customer_id]


def _lookup(kind: str, value: str, field: str, current: str | None, r: Resolver) -> str:
    """The canonical code ``value`` names; the customer's current code is kept even if since deactivated."""
    if current and value.strip().casefold() == current.casefold():
        return current
    return r.code(kind, value, field)


def _state(value: str, country: str, current: str | None, r: Resolver) -> str:
    v = value.strip().casefold()
    if current and current.startswith(country + "-") and v in (current.casefold(), current[len(country) + 1:].casefold()):
        return current
    return r.state(value, country)


def _postal_row(code: str, country: str, r: Resolver) -> PostalCode | None:
    """The postal-code lookup of a code (ZIP+4 style codes by their first part), or None."""
    row = r.postal_code(code, country)
    if row is None and "-" in code:
        row = r.postal_code(code.split("-")[0], country)
    return row


def _postal(value: str, country: str | None, current: str | None, r: Resolver) -> str:
    code = " ".join(value.strip().upper().split())
    if not _POSTAL.match(code):
        raise InvalidInput(f"postal_code: {value.strip()!r} is not a well-formed postal code")
    if not country or not r.has_postal_codes(country):
        return code
    row = _postal_row(code, country, r)
    if row is None:
        raise InvalidInput(
            f"postal_code: {code!r} is not a known postal code in {country}; an administrator can add it: "
            f"wwwtrak lookup add postal-code {code} --set city=CITY --set state=STATE --set country={country}"
        )
    if not row.active and code != current:
        raise InvalidInput(f"postal_code: {code!r} is deactivated and can't be chosen anew")
    return code


def canonical_phone(text: str, country: str | None, field: str = "phone") -> str:
    """A phone number in E.164 form (``+13125550123``), read with the customer's country as the region."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" for {country}" if country else " (give it with its country code, e.g. +1 312 555 0123)"
        raise InvalidInput(f"{field}: {text.strip()!r} is not a valid phone number{where}")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164  # E.164 has no extensions; RFC 3966's


def _email(text: str) -> str:
    s = text.strip()
    if len(s) > 254 or not _EMAIL.match(s) or len(s.split("@")[0]) > 64:
        raise InvalidInput(f"email: {s!r} is not an email address")
    local, domain = s.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _host(text: str) -> str:
    h = text.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        pass
    if not h or len(h) > 253 or not all(_HOST_LABEL.match(label) for label in h.split(".")):
        raise InvalidInput(f"remote_host: {text.strip()!r} is not a valid host name")
    return h


def _login_names(values: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in values:
        name = raw.strip()
        if not name:
            continue
        # the case-folded key is stored too, and may be longer ('ß' folds to 'ss')
        if len(name.casefold()) > 253 or not name.isprintable() or any(ch.isspace() for ch in name):
            raise InvalidInput(f"login: {name!r} must be one word without spaces, at most 253 characters")
        if name.casefold() in seen:
            raise InvalidInput(f"login: {name!r} is given twice")
        seen.add(name.casefold())
        out.append(name)
    return out


def _check_logins_free(names: list[str], customer_id: int | None, p: Problems, r: Resolver) -> None:
    """Name the holder of every login another customer already has."""
    keys = {n.casefold(): n for n in names}
    if not keys:
        return
    for key, cid, name in r.logins_held(list(keys), customer_id):
        p.add(f"login: {keys[key]!r} is held by customer {cid} ({name})")


@lru_cache(maxsize=8)
def _zone_country(zone_name: str) -> str | None:
    """The country of an IANA zone, from the tz database's zone.tab (America/Chicago is US)."""
    from importlib.resources import files

    try:
        text = files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    except (ImportError, OSError):
        return None
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#") and parts[2] == zone_name:
            return parts[0]
    return None


def home_country() -> str | None:
    """The country a new customer is in when none is given: the one of the ISP's time zone."""
    code = _zone_country(db.get_setting("timezone", "UTC"))
    row = lookups.get("country", code) if code else None
    return row.code if row is not None and row.active else None


def _today() -> date:
    return clock.today(instance.zone())


def empty_form() -> dict:
    return {f: ([] if f in ("tags", "logins") else None) for f in FIELDS}


def validate(given: dict, current: dict | None = None, customer_id: int | None = None, resolver: Resolver | None = None) -> dict:
    """The whole form after applying ``given`` (the user's text; "" clears a field) to ``current``.

    Only the fields given are checked, plus those that depend on them (the state
    and postal code on the country, city and state on the postal code). Every
    problem is named, one line each; nothing is written. ``resolver`` answers
    the questions to the database (default: a query each).
    """
    r = resolver or Resolver()
    unknown = set(given) - EDITABLE
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: not a field of the customer form")
    adding = current is None
    cur = current or empty_form()
    new = dict(cur)
    p = Problems()

    def failed(*fields: str) -> bool:
        """Whether a field was already refused (its error line starts with its name)."""
        return any(line.startswith(tuple(f + ":" for f in fields)) for line in p.lines)

    def blank(f: str) -> bool:
        return not str(given[f] or "").strip()

    if "type" in given:
        new["type"] = p.check(_choice, given["type"], "type", TYPES)
    elif adding:
        p.add("type: required")
    for f in TEXT_LIMITS:
        if f in given:
            new[f] = p.check(_text, given[f], f, f == "name")
    if adding and "name" not in given:
        p.add("name: required")

    country = _validate_address(new, given, cur, adding, p, failed, r)
    if "phone" in given:
        new["phone"] = None if blank("phone") else p.check(canonical_phone, given["phone"], country, "phone")
    if "email" in given:
        new["email"] = None if blank("email") else p.check(_email, given["email"])
    for f, kind in LOOKUP_FIELDS.items():
        if f in given:
            new[f] = None if blank(f) else p.check(_lookup, kind, given[f], f, cur[f], r)
    if "tags" in given:
        tags = []
        for value in given["tags"] or []:
            if str(value).strip():
                current_tag = next((t for t in cur["tags"] if t.casefold() == value.strip().casefold()), None)
                tags.append(p.check(_lookup, "commercial-tag", value, "tag", current_tag, r))
        new["tags"] = sorted(set(t for t in tags if t))
    if "plan" in given:
        new["plan"] = None if blank("plan") else p.check(r.plan, given["plan"], cur["plan"])
    if "remote_host" in given:
        new["remote_host"] = None if blank("remote_host") else p.check(_host, given["remote_host"])
    if "logins" in given:
        names = p.check(_login_names, list(given["logins"] or []))
        if names is not None:
            held = {n.casefold(): n for n in cur["logins"]}
            new["logins"] = sorted((held.get(n.casefold(), n) for n in names), key=str.casefold)
            added = [n for n in names if n.casefold() not in held]
            if added and cur["status"] == "closed":
                p.add(f"login: customer {customer_id} is closed; a closed customer gets no new logins")
            _check_logins_free(added, customer_id, p, r)
    if "start_date" in given:
        day = p.check(clock.parse_date, given["start_date"], "start_date")
        new["start_date"] = day.isoformat() if day else None
    elif adding:
        new["start_date"] = r.today().isoformat()
    if new["start_date"] and new["close_date"] and new["start_date"] > new["close_date"]:
        p.add(f"start_date: {new['start_date']} is after the close date {new['close_date']}")
    if "status" in given:
        p.check(_check_status, given["status"], cur["status"], customer_id)
        if not failed("status"):
            new["status"] = given["status"].strip().lower()
    elif adding:
        new["status"] = "active"

    _apply_type_rules(new, given, p, failed)
    p.raise_any()
    return new


def _validate_address(new: dict, given: dict, cur: dict, adding: bool, p: Problems, failed, r: Resolver) -> str | None:
    """Country, state and postal code, each checked against the country; returns the country (None if refused)."""
    if "country" in given:
        value = given["country"]
        new["country"] = p.check(_lookup, "country", value, "country", cur["country"], r) if str(value or "").strip() else None
    elif adding:
        new["country"] = r.home_country()
    if failed("country"):
        return None  # the state and postal code can't be checked against a country that isn't one
    country = new["country"]
    country_changed = "country" in given and country != cur["country"]
    if "state" in given or (country_changed and new["state"]):
        value = given.get("state", new["state"])
        if not str(value or "").strip():
            new["state"] = None
        elif country is None:
            p.add("state: needs a country (--country)")
        else:
            new["state"] = p.check(_state, value, country, cur["state"], r)
    if "postal_code" in given or (country_changed and new["postal_code"]):
        value = given.get("postal_code", new["postal_code"])
        new["postal_code"] = p.check(_postal, value, country, cur["postal_code"], r) if str(value or "").strip() else None
    if any(f in given for f in ("postal_code", "city", "state", "country")) and not failed("state", "postal_code", "city"):
        _agree_with_postal_code(new, given, country, p, r)
    return country


def _check_status(value: str, current: str | None, customer_id: int | None) -> None:
    v = (value or "").strip().lower()
    if v == "closed" and current != "closed":
        raise InvalidInput("status: use 'wwwtrak customer close' to close a customer")
    if current == "closed" and v != "closed":
        raise InvalidInput(f"status: customer {customer_id} is closed; a closed account stays closed")
    if v not in STATUSES:
        raise InvalidInput(f"status: {value!r} is not active or suspended")


def _agree_with_postal_code(new: dict, given: dict, country: str | None, p: Problems, r: Resolver) -> None:
    """Where the postal-code list knows the code: fill city and state if omitted, else they must agree."""
    if not new["postal_code"] or not country:
        return
    row = _postal_row(new["postal_code"], country, r)
    if row is None:
        return
    city, state = row.city, row.state
    belongs = f"which belongs to {city}, {state}" if state else f"which belongs to {city}"
    filling = "postal_code" in given
    if str(given.get("city") or "").strip():
        if " ".join(new["city"].split()).casefold() != " ".join((city or "").split()).casefold():
            p.add(f"city: {new['city']!r} does not match postal code {new['postal_code']}, {belongs}")
        else:
            new["city"] = city
    elif filling:
        new["city"] = city
    if str(given.get("state") or "").strip():
        if state and new["state"] != state:
            p.add(f"state: {new['state']!r} does not match postal code {new['postal_code']}, {belongs}")
    elif filling and state:
        new["state"] = state


def _apply_type_rules(new: dict, given: dict, p: Problems, failed) -> None:
    """Individuals are on a plan; commercial customers have a company and a contact. Fields of the other type are dropped."""
    kind = new["type"]
    if kind == "individual":
        for f, what in COMMERCIAL_ONLY.items():
            if f in given and new[f]:
                p.add(f"{f}: only commercial customers have {what}")
            elif f not in given:
                new[f] = None
        if "tags" in given and new["tags"]:
            p.add("tag: only commercial customers have tags")
        elif "tags" not in given:
            new["tags"] = []
        if new["plan"] is None and not failed("plan"):
            p.add("plan: required for individual customers")
    elif kind == "commercial":
        for f in ("company", "contact"):
            if new[f] is None and not failed(f):
                p.add(f"{f}: required for commercial customers")
        if "plan" in given and new["plan"]:
            p.add("plan: commercial customers have no plan; they subscribe to services")
        elif "plan" not in given:
            new["plan"] = None
        if "remote_host" in given and new["remote_host"]:
            p.add("remote_host: only individual customers have a remote host")
        elif "remote_host" not in given:
            new["remote_host"] = None


def search_text(form: dict) -> str:
    """What ``list --search`` looks in: case-folded name, company, contact, email, postal code, logins; phone digits."""
    parts = [form[f] for f in ("name", "company", "contact", "email", "postal_code") if form.get(f)]
    text = " ".join(parts + list(form.get("logins") or [])).casefold()
    digits = re.sub(r"\D", "", form.get("phone") or "")
    return f"{text} {digits}".strip()


def _columns(form: dict) -> dict:
    plan_id = Plan.get(Plan.code == form["plan"]).id if form["plan"] else None
    return {
        **{f: form[f] for f in PLAIN_FIELDS},
        "plan": plan_id,
        "start_date": date.fromisoformat(form["start_date"]),
        "close_date": date.fromisoformat(form["close_date"]) if form["close_date"] else None,
        "search_text": search_text(form),
    }


def _save(actor: Actor, customer_id: int, old: dict, new: dict, insert: bool = False) -> tuple[dict, int]:
    """Store the form ``new`` over ``old`` and audit the difference; returns (changes, sessions adopted)."""
    changes = audit.diff(old, new)
    if not changes:
        return {}, 0
    if insert:
        Customer.insert(id=customer_id, **_columns(new)).execute()
    else:
        Customer.update(**_columns(new)).where(Customer.id == customer_id).execute()
    if "tags" in changes:
        CustomerTag.delete().where(CustomerTag.customer == customer_id).execute()
        db.bulk_insert(CustomerTag, ["customer_id", "tag"], ((customer_id, t) for t in new["tags"]))
    adopted = 0
    if "logins" in changes:
        old_keys = {n.casefold() for n in old["logins"]}
        new_keys = {n.casefold() for n in new["logins"]}
        Login.delete().where((Login.customer == customer_id) & Login.key.in_(list(old_keys - new_keys))).execute()
        added = [n for n in new["logins"] if n.casefold() not in old_keys]
        db.bulk_insert(Login, ["customer_id", "username", "key"], ((customer_id, n, n.casefold()) for n in added))
        adopted = _adopt_sessions(customer_id, [n.casefold() for n in added])
    audit.record(actor, f"customer {customer_id}", changes)
    return changes, adopted


def _adopt_sessions(customer_id: int, keys: list[str]) -> int:
    """Sessions imported before their login was linked become the customer's."""
    if not keys:
        return 0
    return (
        UsageSession.update(customer=customer_id)
        .where(UsageSession.login_key.in_(keys) & UsageSession.customer.is_null())
        .execute()
    )


def next_account_number() -> int:
    """The account number the next customer gets (the first is 1001)."""
    return max(Customer.select(fn.MAX(Customer.id)).scalar() or 0, FIRST_ACCOUNT_NUMBER - 1) + 1


def get(customer_id: int) -> Customer:
    """The customer with this account number, or NotFound."""
    c = Customer.get_or_none(Customer.id == customer_id) if 0 < customer_id < 2**63 else None
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return c


def form(c: Customer) -> dict:
    """The stored customer as a form."""
    tags = [t for (t,) in CustomerTag.select(CustomerTag.tag).where(CustomerTag.customer == c.id).order_by(CustomerTag.tag).tuples()]
    logins = [u for (u,) in Login.select(Login.username).where(Login.customer == c.id).order_by(Login.key).tuples()]
    return {
        **{f: getattr(c, f) for f in PLAIN_FIELDS},
        "tags": tags,
        "logins": logins,
        "plan": c.plan.code if c.plan_id else None,
        "start_date": c.start_date.isoformat(),
        "close_date": c.close_date.isoformat() if c.close_date else None,
    }


def _refuse_billed_start(old: str | None, new: str | None) -> None:
    """Refuse a start date in a billed month, or moved across one: that month's setup fee and days would be billed twice or never."""
    if not new or new == old:
        return
    first, last = sorted(day[:7] for day in (old or new, new))
    billed = BillingRun.select(BillingRun.month).where(BillingRun.month.between(first, last)).order_by(BillingRun.month).first()
    if billed is not None:
        moved = f" (from {old})" if old else ""
        raise Conflict(f"start_date: {new}{moved} reaches {billed.month}, which is already billed; date the start in an open month")


def add(actor: Actor, given: dict) -> int:
    """Add a customer from the form fields given; returns the new account number."""
    with atomic():
        new = validate(given)
        _refuse_billed_start(None, new["start_date"])
        customer_id = next_account_number()
        _save(actor, customer_id, empty_form(), new, insert=True)
    return customer_id


def edit(actor: Actor, customer_id: int, given: dict) -> list[str]:
    """Change the fields given (validated like ``add``); returns the names of the fields that changed."""
    with atomic():
        c = get(customer_id)
        old = form(c)
        new = validate(given, old, customer_id)
        _refuse_billed_start(old["start_date"], new["start_date"])
        changes, _ = _save(actor, customer_id, old, new)
    return list(changes)


@dataclass(frozen=True)
class LoginChange:
    customer_id: int
    username: str
    changed: bool
    adopted: int = 0


def add_login(actor: Actor, customer_id: int, username: str) -> LoginChange:
    """Give a customer a login; sessions already imported under it with no customer become theirs."""
    with atomic():
        c = get(customer_id)
        old = form(c)
        if not username.strip():
            raise InvalidInput("login: must not be empty")
        mine = next((n for n in old["logins"] if n.casefold() == username.strip().casefold()), None)
        if mine is not None:
            return LoginChange(customer_id, mine, False)
        if c.status == "closed":
            raise Conflict(f"customer {customer_id} is closed; a closed customer gets no new logins")
        new = validate({"logins": old["logins"] + [username]}, old, customer_id)
        _, adopted = _save(actor, customer_id, old, new)
    return LoginChange(customer_id, username.strip(), True, adopted)


def remove_login(actor: Actor, customer_id: int, username: str) -> LoginChange:
    """Release a login; the customer's past sessions stay theirs."""
    with atomic():
        c = get(customer_id)
        old = form(c)
        mine = next((n for n in old["logins"] if n.casefold() == username.strip().casefold()), None)
        if mine is None:
            raise NotFound(f"customer {customer_id} has no login {username.strip()!r}")
        _save(actor, customer_id, old, {**old, "logins": [n for n in old["logins"] if n != mine]})
    return LoginChange(customer_id, mine, True)


@dataclass(frozen=True)
class Closing:
    customer_id: int
    close_date: str
    already: bool
    released: list[str]
    kept: list[str]


def close(actor: Actor, customer_id: int, on: date | None = None, release_logins: bool = False) -> Closing:
    """Close an account from ``on`` (default today); its logins are released only when asked."""
    with atomic():
        c = get(customer_id)
        old = form(c)
        already = c.status == "closed"
        if already and on is not None and on != c.close_date:
            raise Conflict(f"customer {customer_id} is already closed since {c.close_date}")
        day = c.close_date if already else (on or _today())
        if day < c.start_date:
            raise InvalidInput(f"date: {day} is before customer {customer_id}'s start date {c.start_date}")
        new = {**old, "status": "closed", "close_date": day.isoformat(), "logins": [] if release_logins else old["logins"]}
        _save(actor, customer_id, old, new)
    released = old["logins"] if release_logins else []
    return Closing(customer_id, day.isoformat(), already, released, new["logins"])


def balance(customer_id: int) -> Decimal:
    """What the customer owes (negative: credit): open invoice balances minus unapplied credit."""
    from wwwtrak import ledger

    return ledger.customer_balance(customer_id)


def show(customer_id: int, recent: int = 10) -> dict:
    """The whole form with the plan's name, the balance and the latest audit entries (newest first)."""
    c = get(customer_id)
    f = form(c)
    zone = instance.zone()
    record = {"id": c.id}
    for k in FIELDS:
        record[k] = f[k]
        if k == "plan":
            record["plan_name"] = c.plan.name if c.plan_id else None
    record["balance"] = money.fmt(balance(c.id))
    from wwwtrak import ledger

    account = ledger.account(c.id)
    record["credit"] = money.fmt(account["credit"])
    record["open_invoices"] = account["open_invoices"]
    record["recent_changes"] = [
        {"at": e.at.astimezone(zone).isoformat(), "operator": e.operator_name, "command": e.command, "changes": e.changes}
        for e in audit.recent_for(f"customer {c.id}", recent)
    ]
    return record


def list_customers(type_: str | None = None, status: str | None = None, search: str | None = None) -> Iterator[dict]:
    """Customers in account-number order, filtered; streamed row by row (the filters are checked first)."""
    p = Problems()
    kind = p.check(_choice, type_, "type", TYPES) if type_ is not None else None
    state = p.check(_choice, status, "status", STATUSES) if status is not None else None
    p.raise_any()
    concat = fn.STRING_AGG if db.is_postgres_db(db.database.obj) else fn.GROUP_CONCAT  # PostgreSQL has no GROUP_CONCAT
    logins = Login.select(concat(Login.username, " ")).where(Login.customer == Customer.id)
    selected = {"plan": Plan.code, "logins": logins.alias("logins")}
    query = (
        Customer.select(*(selected[f] if f in selected else getattr(Customer, f) for f in LIST_FIELDS))
        .join(Plan, JOIN.LEFT_OUTER, on=(Customer.plan == Plan.id))
        .order_by(Customer.id)
    )
    if kind:
        query = query.where(Customer.type == kind)
    if state:
        query = query.where(Customer.status == state)
    for word in (search or "").split():
        cf = word.casefold()
        match = Customer.search_text.contains(cf)
        digits = re.sub(r"\D", "", word)
        if digits and digits != cf and _PHONEISH.match(word):
            match = match | Customer.search_text.contains(digits)
        query = query.where(match)
    return _rows(query)


def _rows(query) -> Iterator[dict]:
    # The raw cursor: Peewee's per-value conversion costs more than the query on a long list,
    # and the stored values (text dates included) are already what the list shows.
    for values in db.database.execute(query):
        row = dict(zip(LIST_FIELDS, values))
        row["logins"] = sorted(row["logins"].split(), key=str.casefold) if row["logins"] else []
        yield row
