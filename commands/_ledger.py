"""Rendering what payments, credit memos and their voids did (shared by ``payment`` and ``credit``)."""

from __future__ import annotations

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format
from wwwtrak.money import fmt

_LABEL = {"payment": "Payment", "credit": "Credit memo"}


def _applied(pairs) -> list[dict]:
    return [{"invoice": n, "amount": fmt(a)} for n, a in pairs]


def _text(pairs) -> str:
    return ", ".join(f"invoice {n} {fmt(a)}" for n, a in pairs)


def _structured(record: dict, flat: dict, form: Format) -> None:
    """JSON keeps the lists; CSV gets one row with them as text."""
    if form == Format.json:
        _cli.emit_one(record, form)
    else:
        _cli.emit([flat], form)


def emit_receipt(r, form: Format) -> None:
    """A recorded payment or credit memo: where it went, and the customer's credit and balance after."""
    record = {
        "id": r.id, "kind": r.kind, "customer_id": r.customer_id, "amount": fmt(r.amount), "date": r.date.isoformat(),
        "applied": _applied(r.applied), "credit": fmt(r.credit), "balance": fmt(r.balance),
    }
    if form != Format.table:
        _structured(record, {**record, "applied": _text(r.applied)}, form)
        return
    _cli.out(f"{_LABEL[r.kind]} {r.id} of {fmt(r.amount)} recorded for customer {r.customer_id} on {r.date}.")
    _cli.out(f"Applied to {_text(r.applied)}." if r.applied else "Applied to no invoice (none is open).")
    _cli.out(f"Account credit {fmt(r.credit)}; balance {fmt(r.balance)}.")


def emit_void(v, form: Format) -> None:
    """A voided payment or credit memo: the invoices it reopened and the balance after."""
    record = {
        "id": v.id, "kind": v.kind, "customer_id": v.customer_id, "voided_on": v.date.isoformat(),
        "reopened": _applied(v.reopened), "reapplied": _applied(v.reapplied), "balance": fmt(v.balance),
    }
    if form != Format.table:
        _structured(record, {**record, "reopened": _text(v.reopened), "reapplied": _text(v.reapplied)}, form)
        return
    _cli.out(f"{_LABEL[v.kind]} {v.id} voided on {v.date}.")
    _cli.out(f"Reopened {_text(v.reopened)}." if v.reopened else "It had paid no invoice.")
    if v.reapplied:
        _cli.out(f"Account credit applied to {_text(v.reapplied)}.")
    _cli.out(f"Customer {v.customer_id} balance {fmt(v.balance)}.")
