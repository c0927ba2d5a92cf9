"""The books at scale: posting a month's invoices, payments, aging, exports and check.

    python bench/bench_ledger.py                        # 100,000 customers
    python bench/bench_ledger.py --customers 10000

Builds a SQLite database (in a temporary folder unless --dir) with customers
and two months of invoices (one BillingRun each), 10% of the customers paid
ahead so month-end has credit to apply, then times:

1. posting October's invoices (``ledger.post_invoices``, as the billing run does);
2. a payment for every other customer of October (the core service, one transaction each, like the CLI);
3. posting November's invoices (the paid-ahead customers' credit applied);
4. ``report aging``, ``report revenue``, ``export ledger`` in each format, ``wwwtrak check``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from wwwtrak import books, db, exports, instance, ledger, reports
from wwwtrak.audit import Actor
from wwwtrak.models import BillingRun, Customer, Invoice, InvoiceLine
from wwwtrak.period import Period

ROOT = Actor(1, "bench", "superuser", "bench")
STATES = ["US-IL", "US-NY", "US-CA", "US-TX", "US-WI"]


@contextmanager
def timed(label: str, results: list):
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    results.append((label, seconds))
    print(f"{label:<48} {seconds:8.2f} s", flush=True)


def _fill_month(period: Period, customers: int, first_number: int) -> BillingRun:
    """One invoice per customer (plan, sometimes usage), saved in bulk like a billing run."""
    start = datetime(period.year, period.month, 1, tzinfo=timezone.utc)
    run = BillingRun.create(month=str(period), at=start, operator=None, operator_name="bench", start_utc=start, end_utc=start,
                            subtotal=Decimal(0), tax=Decimal(0), total=Decimal(0))
    rng = random.Random(str(period))
    invoices, lines = [], []
    issue = period.next_first_day
    for i in range(customers):
        number = first_number + i
        plan = Decimal(rng.choice(["19.95", "29.95", "49.95"]))
        usage = Decimal(rng.randrange(0, 2000)) / 100 if rng.random() < 0.3 else Decimal(0)
        subtotal = plan + usage
        tax = (subtotal * Decimal("0.0625")).quantize(Decimal("0.01"))
        invoices.append((number, run.id, i + 1, str(period), issue.isoformat(), date.fromordinal(issue.toordinal() + 30).isoformat(),
                         int(subtotal * 100), "6.25", int(tax * 100), int((subtotal + tax) * 100), 0))
        lines.append((number, 1, "plan", "Income:Plans", "Plan", int(plan * 100), 1))
        if usage:
            lines.append((number, 2, "time", "Income:Usage", "Time over", int(usage * 100), 1))
    with db.atomic():
        db.bulk_insert(Invoice, ["number", "run_id", "customer_id", "period", "issue_date", "due_date", "subtotal", "tax_percent", "tax",
                                 "total", "previous_balance"], invoices)
        db.bulk_insert(InvoiceLine, ["invoice_id", "position", "kind", "account", "description", "amount", "taxable"], lines)
    run.invoices, run.first_number, run.last_number = customers, first_number, first_number + customers - 1
    run.save()
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--payments", type=int, default=2_000, help="payments recorded one by one through the core service")
    ap.add_argument("--dir", type=Path)
    args = ap.parse_args()
    directory = args.dir or Path(tempfile.mkdtemp(prefix="wwwtrak-bench-ledger-"))
    url = str(directory / "bench.db")
    os.environ["WWWTRAK_CREDENTIALS"] = str(directory / "credentials")
    os.environ["WWWTRAK_NOW"] = "2026-12-20T12:00:00-06:00"
    instance.init(url, "bench", timezone="America/Chicago")
    n = args.customers
    with db.atomic():
        db.bulk_insert(Customer, ["id", "type", "name", "country", "state", "payment_terms", "start_date", "status", "search_text"],
                       ((i, "individual", f"Customer {i}", "US", STATES[i % 5], "net-30", "2026-01-01", "active", "") for i in range(1, n + 1)))
    results: list = []
    print(f"{n:,} customers, database {url}")
    october = _fill_month(Period(2026, 10), n, 1)
    with timed(f"post October: {october.invoices:,} invoices", results):
        with db.atomic():
            ledger.post_run(october)
    payers = list(range(1, n + 1, max(1, n // args.payments)))[: args.payments]
    with timed(f"payment add x {len(payers):,} (one transaction each)", results):
        for cid in payers:
            owed = ledger.customer_balance(cid)
            extra = Decimal("30.00") if cid % 10 == 1 else Decimal(0)  # paid ahead: credit for November
            ledger.add_payment(ROOT, cid, str(owed + extra), "check", f"chk-{cid}", "2026-11-20")
    november = _fill_month(Period(2026, 11), n, n + 1)
    with timed(f"post November: {november.invoices:,} invoices, credit applied", results):
        with db.atomic():
            ledger.post_run(november)
    with timed("report aging", results):
        aging = reports.aging()
    with timed("report revenue --month 2026-11", results):
        reports.revenue("2026-11")
    for fmt in exports.LEDGER_FORMATS:
        with timed(f"export ledger --month 2026-11 --format {fmt}", results):
            data = exports.export_ledger("2026-11", fmt)
        print(f"{'':<48} {len(data) / 1e6:8.1f} MB")
    with timed("check", results):
        summary = books.verify()
    print(summary)
    print(f"aging total {aging.totals['total']} over {len(aging.rows):,} customers")
    db.close_database()


if __name__ == "__main__":
    sys.exit(main())
