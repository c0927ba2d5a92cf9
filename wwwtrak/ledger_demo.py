"""The books in the demo sandbox: some payments and a credit memo, the aging report, a beancount export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from wwwtrak import books, clock, exports, instance, ledger, reports
from wwwtrak.audit import Actor
from wwwtrak.models import JournalEntry
from wwwtrak.money import fmt, round_cents


def _table(rows: list[list], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, disable_numparse=True)


PAYING_CUSTOMERS = 300  # the demo records payments one by one, as an operator would, for this many customers at most
SHOWN_ROWS = 20  # rows of each table printed; the totals cover every customer


def _shown(rows: list[list], what: str) -> list[list]:
    """The first rows of a long table and a line saying how many more there are."""
    if len(rows) <= SHOWN_ROWS:
        return rows
    return rows[:SHOWN_ROWS] + [["...", f"{len(rows) - SHOWN_ROWS:,} more {what}"]]


def payments_and_aging(actor: Actor, directory: Path) -> list[tuple[str, str]]:
    """Pay some open invoices in full, some in half, leave some open; show aging; export the journal (when invoices exist).

    Payments go through the same service as ``payment add``, one by one, for the
    first few hundred customers only, so that a demo of 100,000 customers stays quick.
    """
    open_items = defaultdict(list)
    for item in ledger.invoice_items():
        open_items[item.customer_id].append(item)
    if not open_items:
        return []
    today = clock.today(instance.zone())
    done = []
    for n, cid in enumerate(sorted(open_items)[:PAYING_CUSTOMERS]):
        owed = sum((i.balance for i in open_items[cid]), Decimal("0.00"))
        if n % 3 == 0:
            r = ledger.add_payment(actor, cid, fmt(owed), "check", f"{4400 + n}", str(today))
        elif n % 3 == 1:
            r = ledger.add_payment(actor, cid, fmt(round_cents(owed / 2)), "card", f"demo-{cid}", str(today))
            ledger.add_credit(actor, cid, "5.00", "Outage credit (demo)", str(today))
        else:
            continue
        done.append([r.id, cid, r.kind, fmt(r.amount), ", ".join(str(number) for number, _ in r.applied), fmt(r.balance)])
    aging = reports.aging()
    table = _shown([[r["customer_id"], r["name"], *(r[k] for k in reports.BUCKETS), r["total"]] for r in aging.rows], "customers")
    table.append(["TOTAL", "", *(aging.totals[k] for k in reports.BUCKETS), aging.totals["total"]])
    written = []
    for (period,) in JournalEntry.select(JournalEntry.period).distinct().order_by(JournalEntry.period).tuples():
        path = directory / f"ledger-{period}.beancount"
        exports.write_file(exports.export_ledger(period, "beancount"), str(path))
        written.append(str(path))
    return [
        ("Payments", _table(_shown(done, "payments"), ["payment", "customer", "kind", "amount", "invoices paid", "balance"]) if done else "none"),
        (f"Receivable aging as of {aging.as_of}", _table(table, ["customer", "name", "current", "1-30", "31-60", "61-90", "over 90", "total"])),
        ("Journal", "\n".join([f"beancount export written to {p}" for p in written] + [str(books.verify())])),
    ]
