"""Exports for accounting systems: a month's journal (csv, iif, beancount, ledger) and the customer list.

Each exporter is a pure function from the month's entries to bytes, so the
same month exported twice gives identical files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from peewee import JOIN

from wwwtrak import instance, journal
from wwwtrak.errors import InvalidInput
from wwwtrak.models import Customer, CustomerTag, JournalEntry, Login, Plan, Posting
from wwwtrak.money import fmt
from wwwtrak.period import Period

LEDGER_FORMATS = ("csv", "iif", "beancount", "ledger")
CUSTOMER_FORMATS = ("csv", "json")


@dataclass(frozen=True)
class Leg:
    account: str
    amount: Decimal


@dataclass(frozen=True)
class Txn:
    """A journal entry as exporters see it."""

    id: int
    date: date
    kind: str
    memo: str
    customer_id: int | None
    customer: str  # the customer's name
    invoice: int | None
    payment: int | None
    credit: int | None
    reference: str  # the payment's reference (check number)
    method: str
    due_date: date | None
    reverses: int | None
    legs: tuple[Leg, ...]

    @property
    def source(self) -> str:
        """``invoice 7``, ``payment 12`` or ``credit 3``: the document the entry records."""
        for label, value in (("invoice", self.invoice), ("payment", self.payment), ("credit", self.credit)):
            if value is not None:
                return f"{label} {value}"
        return ""


def month_entries(month: str) -> tuple[Period, list[Txn]]:
    """The entries reported in ``month`` (invoices by billing period, the rest by date), in date order."""
    from wwwtrak.models import Invoice, Payment

    period = Period.parse(month)
    q = (
        JournalEntry.select(JournalEntry.id, JournalEntry.date, JournalEntry.kind, JournalEntry.memo, JournalEntry.customer,
                            JournalEntry.invoice, JournalEntry.payment, JournalEntry.credit, JournalEntry.reverses,
                            Customer.name, Payment.reference, Payment.method, Invoice.due_date)
        .join(Customer, JOIN.LEFT_OUTER, on=(JournalEntry.customer == Customer.id))
        .switch(JournalEntry)
        .join(Payment, JOIN.LEFT_OUTER, on=(JournalEntry.payment == Payment.id))
        .switch(JournalEntry)
        .join(Invoice, JOIN.LEFT_OUTER, on=(JournalEntry.invoice == Invoice.number))
        .where(JournalEntry.period == str(period))
        .order_by(JournalEntry.date, JournalEntry.id)
        .tuples()
    )
    rows = list(q)
    legs: dict[int, list[Leg]] = {r[0]: [] for r in rows}
    if rows:
        ids = [r[0] for r in rows]
        postings = Posting.select(Posting.entry, Posting.account, Posting.amount).where(Posting.entry.between(min(ids), max(ids))).order_by(Posting.id)
        for entry_id, account, amount in postings.tuples():
            if entry_id in legs:
                legs[entry_id].append(Leg(account, amount))
    txns = [
        Txn(eid, day, kind, memo, cid, name or "", inv, pay, cred, reference or "", method or "", due, rev, tuple(legs[eid]))
        for eid, day, kind, memo, cid, inv, pay, cred, rev, name, reference, method, due in rows
    ]
    return period, txns


def export_ledger(month: str, fmt_name: str) -> bytes:
    """The month's journal in one of :data:`LEDGER_FORMATS`."""
    if fmt_name not in LEDGER_FORMATS:
        raise InvalidInput(f"format: {fmt_name!r} is not one of {', '.join(LEDGER_FORMATS)}")
    period, txns = month_entries(month)
    currency = instance.currency()
    if fmt_name == "csv":
        return to_csv(txns).encode("utf-8")
    if fmt_name == "iif":
        return to_iif(txns, _customers_of(txns)).encode("cp1252", errors="replace")
    if fmt_name == "beancount":
        return to_beancount(period, txns, currency).encode("utf-8")
    return to_ledger(period, txns, currency).encode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(str(text or "").split())


# --- csv ---------------------------------------------------------------------------

CSV_COLUMNS = ("date", "entry_id", "kind", "account", "debit", "credit", "customer_id", "customer", "reference", "memo")


def to_csv(txns: list[Txn]) -> str:
    """One row per posting: debit and credit columns, the document it records, the memo."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for t in txns:
        for leg in t.legs:
            debit = fmt(leg.amount) if leg.amount > 0 else ""
            credit = fmt(-leg.amount) if leg.amount < 0 else ""
            w.writerow([t.date.isoformat(), t.id, t.kind, leg.account, debit, credit, t.customer_id or "", t.customer, t.source, t.memo])
    return buf.getvalue()


# --- QuickBooks IIF ----------------------------------------------------------------

IIF_TYPES = {"invoice": "INVOICE", "payment": "PAYMENT", "credit": "CREDIT MEMO", "void": "GENERAL JOURNAL"}


def iif_account(name: str) -> str:
    """Our account as a QuickBooks account: its type says asset or liability, so that level goes."""
    if name == journal.RECEIVABLE:
        return "Accounts Receivable"
    root, _, rest = name.partition(":")
    return rest if root in ("Assets", "Liabilities") and rest else name


def iif_account_type(name: str) -> str:
    if name == journal.RECEIVABLE:
        return "AR"
    return {"Assets": "OCASSET", "Liabilities": "OCLIAB", "Income": "INC", "Expenses": "EXP", "Equity": "EQUITY"}.get(name.split(":")[0], "OCASSET")


def iif_name(customer_id: int | None, name: str) -> str:
    """A customer's name in QuickBooks: unique (the account number first), at most 41 characters, no colon (a job)."""
    if customer_id is None:
        return ""
    return _iif_field(f"{customer_id} {name}".replace(":", "-"))[:41].rstrip()


def _iif_field(text) -> str:
    # A tab or line break would split the record; QuickBooks reads a leading quote as quoting.
    return _one_line(str(text).replace("\t", " ")).replace('"', "'")


def _iif_date(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"


def _iif_row(*fields) -> str:
    return "\t".join(_iif_field(f) if f is not None else "" for f in fields)


def to_iif(txns: list[Txn], customers: dict[int, Party]) -> str:
    """QuickBooks Desktop IIF: the accounts and customers used, then one transaction per entry.

    Invoices are INVOICE, payments PAYMENT, credit memos CREDIT MEMO, voids a
    GENERAL JOURNAL entry; the first line (TRNS) is the receivable for invoices
    and credit memos and the deposit account for payments; signed amounts sum
    to zero per transaction. CRLF line ends, as QuickBooks writes them.
    """
    lines = ["!ACCNT\tNAME\tACCNTTYPE\tDESC"]
    accounts: dict[str, str] = {}
    for t in txns:
        for leg in t.legs:
            name = iif_account(leg.account)
            parts = name.split(":")
            for i in range(1, len(parts) + 1):  # parents first: QuickBooks needs them to exist
                accounts.setdefault(":".join(parts[:i]), iif_account_type(leg.account))
    for name in sorted(accounts):
        lines.append(_iif_row("ACCNT", name, accounts[name], ""))
    if customers:
        lines.append("!CUST\tNAME\tBADDR1\tBADDR2\tBADDR3\tPHONE1\tEMAIL")
        for cid in sorted(customers):
            c = customers[cid]
            where = " ".join(x for x in (c.city, c.state.split("-")[-1] if c.state else None, c.postal_code) if x)
            lines.append(_iif_row("CUST", iif_name(cid, c.name), c.name, c.address or "", where, c.phone or "", c.email or ""))
    lines.append("!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\tDUEDATE")
    lines.append("!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO")
    lines.append("!ENDTRNS")
    for t in txns:
        if not t.legs:
            continue
        kind = IIF_TYPES[t.kind]
        first = _iif_first(t)
        legs = [first] + [leg for leg in t.legs if leg is not first]
        name = iif_name(t.customer_id, t.customer)
        doc = _iif_docnum(t)
        day = _iif_date(t.date)
        due = _iif_date(t.due_date) if t.kind == "invoice" and t.due_date else ""
        lines.append(_iif_row("TRNS", "", kind, day, iif_account(first.account), name, fmt(first.amount), doc, t.memo, due))
        for leg in legs[1:]:
            lines.append(_iif_row("SPL", "", kind, day, iif_account(leg.account), name, fmt(leg.amount), doc, t.memo))
        lines.append("ENDTRNS")
    return "\r\n".join(lines) + "\r\n"


def _iif_first(t: Txn) -> Leg:
    want = journal.RECEIVABLE if t.kind in ("invoice", "credit") else None
    if t.kind == "payment":
        want = next((leg.account for leg in t.legs if leg.account != journal.RECEIVABLE), None)
    return next((leg for leg in t.legs if leg.account == want), t.legs[0])


def _iif_docnum(t: Txn) -> str:
    if t.kind == "invoice":
        return str(t.invoice)
    if t.kind == "payment":
        return t.reference or f"P{t.payment}"
    if t.kind == "credit":
        return f"CM{t.credit}"
    return f"VOID-{'P' if t.payment else 'CM'}{t.payment or t.credit}"


@dataclass(frozen=True)
class Party:
    """A customer as the IIF customer list needs them."""

    name: str
    address: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    phone: str | None
    email: str | None


def _customers_of(txns: list[Txn]) -> dict[int, Party]:
    ids = sorted({t.customer_id for t in txns if t.customer_id is not None})
    out = {}
    for i in range(0, len(ids), 500):
        q = Customer.select(Customer.id, Customer.name, Customer.address, Customer.city, Customer.state, Customer.postal_code,
                            Customer.phone, Customer.email).where(Customer.id.in_(ids[i : i + 500]))
        out.update({row[0]: Party(*row[1:]) for row in q.tuples()})
    return out


# --- beancount ---------------------------------------------------------------------

_BEAN_PART = re.compile(r"[^A-Za-z0-9-]+")


def beancount_account(name: str) -> str:
    """An account name beancount accepts: each part starts with a capital or digit; letters, digits, dashes."""
    parts = []
    for part in name.split(":"):
        clean = "-".join(w for w in _BEAN_PART.split(part) if w) or "X"
        parts.append(clean[0].upper() + clean[1:])
    return ":".join(parts)


def _bean_str(text) -> str:
    return '"' + _one_line(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _meta(t: Txn) -> list[tuple[str, str]]:
    """The entry's metadata: its id, the document it records, the customer."""
    meta = [("entry", str(t.id))]
    if t.invoice is not None:
        meta.append(("invoice", str(t.invoice)))
    if t.payment is not None:
        meta.append(("payment", str(t.payment)))
        if t.reference:
            meta.append(("reference", t.reference))
        if t.method:
            meta.append(("method", t.method))
    if t.credit is not None:
        meta.append(("credit_memo", str(t.credit)))
    if t.reverses is not None:
        meta.append(("reverses", str(t.reverses)))
    if t.customer_id is not None:
        meta.append(("customer_id", str(t.customer_id)))
    return meta


def _width(txns: list[Txn], account) -> int:
    return max([len(account(leg.account)) for t in txns for leg in t.legs] + [20])


def to_beancount(period: Period, txns: list[Txn], currency: str) -> str:
    """A beancount file: options, an ``open`` for every account used, one transaction per entry."""
    out = [
        f"; WWWTrak journal for {period}",
        f'option "title" "WWWTrak journal {period}"',
        f'option "operating_currency" "{currency}"',
        "",
    ]
    opened = sorted({beancount_account(leg.account) for t in txns for leg in t.legs})
    out += [f"{period.first_day} open {a} {currency}" for a in opened]
    width = _width(txns, beancount_account)
    for t in txns:
        out.append("")
        out.append(f"{t.date} * {_bean_str(t.customer)} {_bean_str(t.memo)}")
        out += [f"  {k}: {_bean_str(v)}" for k, v in _meta(t)]
        out += [f"  {beancount_account(leg.account):<{width}}  {fmt(leg.amount):>12} {currency}" for leg in t.legs]
    return "\n".join(out) + "\n"


# --- ledger / hledger --------------------------------------------------------------


def _ledger_text(text) -> str:
    # ';' would start a comment, a run of spaces end a payee or account name, '|' end the payee.
    return _one_line(text).replace(";", ",").replace("|", "/")


def _ledger_code(text) -> str:
    # The code is read up to the first ')'.
    return _ledger_text(text).replace("(", "[").replace(")", "]")


def ledger_account(name: str) -> str:
    return " ".join(name.replace(";", ",").split())


def to_ledger(period: Period, txns: list[Txn], currency: str) -> str:
    """A ledger/hledger journal: commodity, account and payee declarations, then one transaction per entry.

    Declared so that ``hledger check --strict ordereddates payees`` accepts it.
    """
    out = [f"; WWWTrak journal for {period}", "", f"commodity {currency}", f"    format 1000.00 {currency}", ""]
    out += [f"account {a}" for a in sorted({ledger_account(leg.account) for t in txns for leg in t.legs})]
    payees = sorted({_ledger_text(t.customer) for t in txns if _ledger_text(t.customer)})
    if payees:
        out += [""] + [f"payee {p}" for p in payees]
    width = _width(txns, ledger_account)
    for t in txns:
        code = f" ({_ledger_code(_iif_docnum(t))})"
        who = _ledger_text(t.customer)
        out.append("")
        out.append(f"{t.date} *{code} {who + ' | ' if who else ''}{_ledger_text(t.memo)}")
        out += [f"    ; {k}: {_ledger_text(v)}" for k, v in _meta(t)]
        out += [f"    {ledger_account(leg.account):<{width}}  {fmt(leg.amount):>12} {currency}" for leg in t.legs]
    return "\n".join(out) + "\n"


# --- customers ---------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    "id", "type", "name", "company", "contact", "address", "city", "state", "postal_code", "country", "phone", "email",
    "billing_category", "payment_terms", "pc_type", "source", "tags", "plan", "remote_host", "logins", "start_date",
    "tax_exempt", "notes", "status", "close_date", "balance",
)


def customer_records() -> list[dict]:
    """Every customer with the lookup codes, plan, tags, logins and balance; lists are Python lists."""
    tags: dict[int, list[str]] = {}
    for cid, tag in CustomerTag.select(CustomerTag.customer, CustomerTag.tag).order_by(CustomerTag.customer, CustomerTag.tag).tuples():
        tags.setdefault(cid, []).append(tag)
    logins: dict[int, list[str]] = {}
    for cid, name in Login.select(Login.customer, Login.username).order_by(Login.customer, Login.key).tuples():
        logins.setdefault(cid, []).append(name)
    plans = dict(Plan.select(Plan.id, Plan.code).tuples())
    balances = journal.receivable()
    rows = []
    for c in Customer.select().order_by(Customer.id):
        row = {k: getattr(c, k, None) for k in CUSTOMER_COLUMNS if k not in ("tags", "logins", "plan", "balance")}
        row.update(
            tags=tags.get(c.id, []),
            logins=logins.get(c.id, []),
            plan=plans.get(c.plan_id),
            start_date=c.start_date.isoformat() if c.start_date else None,
            close_date=c.close_date.isoformat() if c.close_date else None,
            balance=fmt(balances.get(c.id, Decimal("0.00"))),
        )
        rows.append({k: row[k] for k in CUSTOMER_COLUMNS})
    return rows


def export_customers(fmt_name: str = "csv") -> bytes:
    """Customers as CSV (lists space-separated, as ``customer import`` reads them) or a JSON array."""
    if fmt_name not in CUSTOMER_FORMATS:
        raise InvalidInput(f"format: {fmt_name!r} is not one of {', '.join(CUSTOMER_FORMATS)}")
    rows = customer_records()
    if fmt_name == "json":
        return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CUSTOMER_COLUMNS)
    for r in rows:
        w.writerow([" ".join(r[k]) if isinstance(r[k], list) else ("" if r[k] is None else r[k]) for k in CUSTOMER_COLUMNS])
    return buf.getvalue().encode("utf-8")


# --- writing -----------------------------------------------------------------------


def write_file(data: bytes, path: str) -> str:
    """Write ``data`` to ``path``, replaced whole (never half-written); returns the path written."""
    target = Path(path).expanduser()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as e:
        raise InvalidInput(f"{path}: cannot write: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput(f"{path}: cannot write: {e.strerror}") from None
    return str(target)
