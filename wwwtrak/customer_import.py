"""``customer import``: many customers from one CSV file, each row validated as ``customer add`` validates
it, written all or nothing in one transaction with one audit entry.

The file's header names its columns like ``customer add``'s options (``postal_code`` or ``postal-code``),
in any order; ``logins`` and ``tags`` hold space-separated names. An empty cell is a field not given, so
``customer add``'s defaults apply (the ISP's home country, today's start date). The columns
``export customers`` adds are understood too: ``id`` keeps the account number, ``status`` may be
``closed`` with a ``close_date``, and ``balance`` is ignored (balances come from the books, not a file).
"""

from __future__ import annotations

import csv
import hashlib
import io
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Iterable

from peewee import chunked, fn

from wwwtrak import audit, clock, customers, db, parallel, textio
from wwwtrak.audit import Actor
from wwwtrak.errors import InvalidInput
from wwwtrak.models import BillingRun, Customer, CustomerTag, Login, Plan, UsageSession

# The columns of the form, named as customer add's options; then those an export adds.
FORM_COLUMNS = (
    "type", "name", "company", "contact", "address", "city", "state", "postal_code", "country", "phone", "email",
    "billing_category", "payment_terms", "pc_type", "source", "tags", "plan", "remote_host", "logins", "start_date",
    "tax_exempt", "notes",
)
EXPORT_COLUMNS = ("id", "status", "close_date", "balance")
_FORM_COLUMNS = frozenset(FORM_COLUMNS)
LIST_COLUMNS = ("tags", "logins")
MAX_ERROR_LINES = 100
# The stored columns of a customer, in the order ``insert`` writes them.
CUSTOMER_COLUMNS = ["id", *customers.PLAIN_FIELDS, "plan_id", "start_date", "close_date", "search_text"]
# validate names the list fields by their repeatable option (--login, --tag); a file names its column.
_COLUMN_OF = {"login:": "logins:", "tag:": "tags:"}
_CHECKPOINT = 1000  # rows between progress reports
# Nine digits: the next account number after it still fits the id column on PostgreSQL (a 32-bit integer);
# a bigger one used to be stored and then broke every later customer add and import.
MAX_ACCOUNT_NUMBER = 999_999_999


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    file: str
    sha256: str
    rows: int
    first_id: int | None
    last_id: int | None
    adopted_sessions: int
    dry_run: bool


@dataclass
class _Row:
    line: int  # where the row starts in the file
    cells: dict[str, str]
    problem: str | None = None  # a row the header doesn't fit


def import_file(actor: Actor, path: str, dry_run: bool = False, advance: Callable[[int], None] | None = None) -> ImportResult:
    """Import the customers of the CSV file at ``path`` (``-``: stdin; gzip read transparently).

    Any bad row imports nothing and every problem is named ``file:line: field: reason``. ``advance(n)``
    is told of rows checked, for a progress bar.
    """
    name, data = textio.read_bytes(path)
    sha256 = hashlib.sha256(data).hexdigest()
    rows = read_rows(textio.decode(name, data), name)
    if not rows:
        return ImportResult(name, sha256, 0, None, None, 0, dry_run)
    with nullcontext() if dry_run else db.atomic():
        numbered = check_rows(rows, name, advance)
        ids = [cid for cid, _ in numbered]
        result = ImportResult(name, sha256, len(numbered), min(ids), max(ids), 0, dry_run)
        if dry_run:
            return result
        logins_before = Login.select(fn.MAX(Login.id)).scalar() or 0
        insert(numbered)
        adopted = adopt_sessions(logins_before)
        summary = {"file": name, "sha256": sha256, "rows": result.rows, "first": result.first_id, "last": result.last_id,
                   "adopted_sessions": adopted}
        audit.record(actor, "customer", {"import": [None, summary]})
    return ImportResult(name, sha256, result.rows, result.first_id, result.last_id, adopted, False)


def read_rows(text: str, name: str) -> list[_Row]:
    """The data rows of the CSV text, keyed by column; a bad header is refused at once."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InvalidInput(f"{name}:1: no header; the first line must name the columns, e.g. type,name,plan,logins")
        columns = _columns(header, name)
        rows = []
        end = reader.line_num
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # a blank line, or a spreadsheet's empty row
            problem = None
            if len(cells) != len(columns):
                problem = f"{len(cells)} value{'s' if len(cells) != 1 else ''} for {len(columns)} columns"
            rows.append(_Row(start, dict(zip(columns, cells)), problem))
    except csv.Error as e:
        raise InvalidInput(f"{name}:{reader.line_num}: {e}") from None
    return rows


def _columns(header: list[str], name: str) -> list[str]:
    columns: list[str] = []
    for raw in header:
        column = "_".join(raw.strip().lower().replace("-", " ").split())
        if column not in FORM_COLUMNS and column not in EXPORT_COLUMNS:
            raise InvalidInput(
                f"{name}:1: unknown column {raw.strip()!r}; the columns are {', '.join(FORM_COLUMNS)} "
                f"(and {', '.join(EXPORT_COLUMNS)} as export customers writes them)"
            )
        if column in columns:
            raise InvalidInput(f"{name}:1: column {column!r} is named twice")
        columns.append(column)
    for required in ("type", "name"):
        if required not in columns:
            raise InvalidInput(f"{name}:1: the header must name a {required!r} column")
    return columns


def check_rows(rows: list[_Row], name: str, advance: Callable[[int], None] | None = None) -> list[tuple[int, dict]]:
    """Every row validated as ``customer add`` would, with its account number; or one error naming every problem.

    Lookups are resolved once per distinct value (``CachedResolver``); logins must be unique in the file
    and against the database, account numbers (an ``id`` column) likewise.
    """
    checked = parallel.map_chunks(_check_forms, rows, advance)
    taken = _taken_ids(rows)
    problems: list[str] = []
    bad_rows = 0
    forms: list[tuple[int | None, dict]] = []
    ids_seen: dict[int, int] = {}
    logins_seen: dict[str, int] = {}
    billed = {month for (month,) in BillingRun.select(BillingRun.month).tuples()}
    for row, (form, form_problems) in zip(rows, checked):
        lines = []
        cid = _account_number(row.cells.get("id", ""), row.line, taken, ids_seen, lines)
        lines += form_problems
        if form is not None and form["start_date"][:7] in billed:  # as customer add refuses it
            start = form["start_date"]
            lines.append(f"start_date: {start} reaches {start[:7]}, which is already billed; date the start in an open month")
        for login in row.cells.get("logins", "").split():
            first = logins_seen.setdefault(login.casefold(), row.line)
            if first != row.line:
                lines.append(f"logins: {login!r} repeats line {first}")
        if lines:
            bad_rows += 1
            problems.extend(f"{name}:{row.line}: {line}" for line in lines)
        else:
            forms.append((cid, form))
    if problems:
        shown = problems[:MAX_ERROR_LINES]
        if len(problems) > MAX_ERROR_LINES:
            shown.append(f"... and {len(problems) - MAX_ERROR_LINES} more")
        has = "has" if bad_rows == 1 else "have"
        shown.append(f"{name}: {bad_rows} of {len(rows)} row{'s' if len(rows) != 1 else ''} {has} problems; nothing was imported")
        raise InvalidInput("\n".join(shown))
    return _number(forms)


def _check_forms(rows: list[_Row], advance: Callable[[int], None] | None) -> list[tuple[dict | None, list[str]]]:
    """(form, problems) of each row on its own; what rows share (logins, ids) is checked after."""
    resolver = customers.CachedResolver()
    out = []
    for n, row in enumerate(rows, 1):
        out.append((None, [row.problem]) if row.problem else _form(row.cells, resolver))
        if advance is not None and n % _CHECKPOINT == 0:
            advance(_CHECKPOINT)
    if advance is not None:
        advance(len(rows) % _CHECKPOINT)
    return out


def _form(cells: dict[str, str], resolver: customers.Resolver) -> tuple[dict | None, list[str]]:
    """One row's customer form, validated as ``customer add`` validates it, and its problems."""
    lines: list[str] = []
    given = {}
    for column, value in cells.items():
        if column in _FORM_COLUMNS and value.strip():
            given[column] = value.split() if column in LIST_COLUMNS else value
    status = cells.get("status", "").strip()
    closing = status.lower() == "closed"
    if status and not closing:
        try:
            given["status"] = customers._choice(status, "status", customers.STATUSES)
        except InvalidInput as e:
            lines.append(str(e))
    form = None
    try:
        form = customers.validate(given, resolver=resolver)
    except InvalidInput as e:
        for line in str(e).splitlines():
            field = line.split(" ", 1)[0]
            lines.append(_COLUMN_OF[field] + line[len(field):] if field in _COLUMN_OF else line)
    close_date = cells.get("close_date", "").strip()
    if closing:
        _close(form, close_date, lines)
    elif close_date:
        lines.append("close_date: only a closed customer has a close date")
    return (None if lines else form), lines


def _account_number(text: str, line: int, taken: dict[int, str], ids_seen: dict[int, int], lines: list[str]) -> int | None:
    """The account number an ``id`` cell keeps (None: a new one), noting why it can't be kept."""
    if not text.strip():
        return None
    cid = _parse_id(text)
    if cid is None:
        lines.append(f"id: {text.strip()!r} is not an account number (a whole number from 1 to {MAX_ACCOUNT_NUMBER:,})")
    elif cid in taken:
        lines.append(f"id: {cid} is taken by customer {cid} ({taken[cid]})")
    elif ids_seen.setdefault(cid, line) != line:
        lines.append(f"id: {cid} repeats line {ids_seen[cid]}")
    return cid


def _parse_id(text: str) -> int | None:
    t = text.strip()
    return int(t) if t.isascii() and t.isdigit() and 0 < int(t) <= MAX_ACCOUNT_NUMBER else None


def _taken_ids(rows: list[_Row]) -> dict[int, str]:
    """Account numbers the file asks for that customers already have, with their names."""
    wanted = {cid for r in rows if (cid := _parse_id(r.cells.get("id", ""))) is not None}
    taken: dict[int, str] = {}
    for part in chunked(sorted(wanted), 500):
        taken.update(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(part)).tuples())
    return taken


def _close(form: dict | None, close_date: str, lines: list[str]) -> None:
    """A closed customer, as ``customer close`` leaves one: status closed from its close date."""
    if not close_date:
        lines.append("close_date: required for a closed customer")
        return
    try:
        day = clock.parse_date(close_date, "close_date").isoformat()
    except InvalidInput as e:
        lines.append(str(e))
        return
    if form is None:
        return
    if form["start_date"] > day:
        lines.append(f"start_date: {form['start_date']} is after the close date {day}")
    form.update(status="closed", close_date=day)


def _number(forms: list[tuple[int | None, dict]]) -> list[tuple[int, dict]]:
    """Account numbers for the rows without one: after the highest in the database and in the file."""
    kept = [cid for cid, _ in forms if cid is not None]
    next_id = max([customers.next_account_number(), *(k + 1 for k in kept)])
    numbered = []
    for cid, form in forms:
        if cid is None:
            cid, next_id = next_id, next_id + 1
        numbered.append((cid, form))
    return numbered


def insert(rows: Iterable[tuple[int, dict]]) -> int:
    """Write validated customer forms under their account numbers in bulk: customers, tags, logins.

    Call inside a transaction; the caller audits. Returns the number of customers written.
    """
    rows = list(rows)
    plan_ids = dict(Plan.select(Plan.code, Plan.id).tuples())
    plain = customers.PLAIN_FIELDS
    count = db.bulk_insert(Customer, CUSTOMER_COLUMNS, (
        (cid, *(form[f] for f in plain), plan_ids[form["plan"]] if form["plan"] else None, form["start_date"],
         form["close_date"], customers.search_text(form))
        for cid, form in rows
    ))
    db.bulk_insert(CustomerTag, ["customer_id", "tag"], ((cid, t) for cid, form in rows for t in form["tags"]))
    db.bulk_insert(Login, ["customer_id", "username", "key"], ((cid, n, n.casefold()) for cid, form in rows for n in form["logins"]))
    return count


def adopt_sessions(logins_after: int) -> int:
    """Sessions imported before their login had a customer become the customer's: one UPDATE for every
    login whose row id is above ``logins_after``. Returns the sessions adopted."""
    new_keys = Login.select(Login.key).where(Login.id > logins_after)
    owner = Login.select(Login.customer).where(Login.key == UsageSession.login_key)
    return (
        UsageSession.update(customer=owner)
        .where(UsageSession.customer.is_null() & UsageSession.login_key.in_(new_keys))
        .execute()
    )
