"""Month-end at scale: our run against a bare hand-written SQL baseline, in the same process.

    python bench/bench_month_end.py                      # 100,000 customers, 1,000,000 sessions
    python bench/bench_month_end.py --customers 10000 --sessions 100000
    python bench/bench_month_end.py --db postgresql://postgres@127.0.0.1/bench   # an empty database

Builds a SQLite database (in a temporary folder unless --dir; with --db, in
that empty PostgreSQL database), fills November
2026 with customers on three plans, subscriptions, charges and sessions, then:

1. the baseline: one plain transaction (sqlite3, or psycopg2 with
   execute_values on PostgreSQL) that aggregates the month's usage per
   customer and inserts one row per customer;
2. ``billing run-month`` through the runner, counting SQL statements (each
   ``execute``/``executemany`` is one statement, however many rows it binds);
3. December the same way, with 1% late November sessions to bill as differences.

Each run also prints where its time went (loading the facts, billing, saving,
ledger posting, and the rest: the lock and the commit) and the load average,
as other work on the machine's cores skews the wall times.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from wwwtrak import db, instance
from wwwtrak.audit import Actor
from wwwtrak.models import Customer, Plan, PlanPrice, Service, Subscription, UsageSession, Charge, database
from wwwtrak.period import Period

NOV, DEC = Period(2026, 11), Period(2026, 12)
STATES = ["US-IL", "US-NY", "US-CA", "US-TX", "US-WI"]


class _CountingCursor:
    def __init__(self, cursor, counter):
        self._cursor, self._counter = cursor, counter

    def execute(self, *args):
        self._counter[0] += 1
        return self._cursor.execute(*args)

    def executemany(self, *args):
        self._counter[0] += 1
        return self._cursor.executemany(*args)

    def copy_expert(self, *args):  # PostgreSQL's COPY: one statement, however many rows it carries
        self._counter[0] += 1
        return self._cursor.copy_expert(*args)

    def __iter__(self):
        return iter(self._cursor)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


@contextmanager
def count_statements():
    """Count the SQL statements sent while inside: ``with count_statements() as n: ...; n[0]``."""
    counter = [0]
    real = database.obj
    original = real.cursor
    real.cursor = lambda *a, **k: _CountingCursor(original(*a, **k), counter)
    try:
        yield counter
    finally:
        del real.cursor


def populate(customers: int, sessions: int, seed: int = 1) -> None:
    """Plans, customers, services, subscriptions, charges and November sessions, in the open database."""
    rnd = random.Random(seed)
    zone = instance.zone()
    with db.atomic():
        plans = []
        for code, name, fee, setup, hours, per_hour, gb, per_gb in (
            ("dialup", "Dial-up", 19.95, 25, 40, "1.00", None, "0"),
            ("dsl", "DSL", 39.95, 50, None, "0", 50, "2.00"),
            ("biz", "Business", 99.00, 0, 200, "0.60", 500, "1.00"),
        ):
            plan = Plan.create(code=code, name=name)
            PlanPrice.create(
                plan=plan, effective="2020-01", monthly_fee=_money(fee), setup_fee=_money(setup),
                included_seconds=None if hours is None else hours * 3600, overage_per_hour=_money(per_hour),
                included_bytes=None if gb is None else gb * 10**9, overage_per_gb=_money(per_gb), taxable=True,
            )
            plans.append(plan.id)
        first_id = (Customer.select(Customer.id).order_by(Customer.id.desc()).scalar() or 0) + 1
        rows = []
        for i in range(customers):
            start = date(2020, 1, 1) if rnd.random() < 0.9 else NOV.first_day + timedelta(days=rnd.randrange(30))
            close = NOV.first_day + timedelta(days=rnd.randrange(30)) if rnd.random() < 0.02 else None
            rows.append((
                "individual", f"Customer {i}", str(start), None if close is None else str(close), "closed" if close else "active",
                rnd.choice(plans), "US", rnd.choice(STATES), rnd.choice(["net-15", "net-30", None]),
                "EX-1" if rnd.random() < 0.05 else None, "",
            ))
        db.bulk_insert(Customer, ["type", "name", "start_date", "close_date", "status", "plan_id", "country", "state", "payment_terms", "tax_exempt", "search_text"], rows)
        ids = range(first_id, first_id + customers)
        static = Service.create(code="static-ip", key="static-ip", description="Static IP", unit="each", unit_price=_money(5), recurring=True, taxable=True)
        install = Service.create(code="install", key="install", description="Installation", unit="hour", unit_price=_money(40), recurring=False, taxable=False)
        subs = [(cid, static.id if rnd.random() < 0.8 else install.id, 100 * rnd.randint(1, 4), None, "2026-10-01" if rnd.random() < 0.5 else "2026-11-10", None, 0)
                for cid in rnd.sample(ids, customers // 10)]
        db.bulk_insert(Subscription, ["customer_id", "service_id", "quantity", "price", "start", "end", "created_at"], subs)
        charges = [(cid, str(NOV.first_day + timedelta(days=rnd.randrange(30))), rnd.randint(100, 5000), "Repair visit", rnd.random() < 0.5, 0)
                   for cid in rnd.sample(ids, customers // 20)]
        db.bulk_insert(Charge, ["customer_id", "date", "amount", "description", "taxable", "created_at"], charges)
    add_sessions(sessions, NOV, zone, rnd, first_id, customers)


def add_sessions(count: int, period: Period, zone, rnd: random.Random, first_id: int, customers: int, tag: str = "") -> None:
    start, end = (int(t.timestamp()) for t in period.utc_bounds(zone))

    def rows():
        # detail files arrive in time order, so sessions are stored roughly by stop time
        for i, stop in enumerate(sorted(rnd.randrange(start, end) for _ in range(count))):
            seconds = rnd.randrange(60, 30000)
            cid = None if rnd.random() < 0.01 else first_id + rnd.randrange(customers)
            yield ("nas1", f"{period}{tag}-{i}", f"user{cid}", f"user{cid}", cid, stop - seconds, True, stop, stop, seconds, rnd.randrange(10**10), rnd.randrange(10**9))

    with db.atomic():
        db.bulk_insert(UsageSession, ["nas", "session_id", "login", "login_key", "customer_id", "start", "start_known", "stop", "last_event", "seconds", "bytes_in", "bytes_out"], rows())


def _money(x):
    from decimal import Decimal

    return Decimal(str(x)).quantize(Decimal("0.01"))


def baseline(path: str, period: Period, zone) -> tuple[float, float]:
    """Aggregate the month's usage and insert one row per customer, by hand, in one transaction."""
    start, end = (int(t.timestamp()) for t in period.utc_bounds(zone))
    if db.is_postgres(path):
        return _baseline_postgres(path, start, end)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS bench_baseline (customer_id INTEGER, seconds INTEGER, bytes INTEGER)")
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute("BEGIN IMMEDIATE")
    rows = con.execute(
        "SELECT customer_id, SUM(seconds), SUM(bytes_in + bytes_out) FROM usage_session "
        "WHERE stop >= ? AND stop < ? AND customer_id IS NOT NULL GROUP BY customer_id",
        (start, end),
    ).fetchall()
    con.executemany("INSERT INTO bench_baseline VALUES (?, ?, ?)", rows)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t0, time.process_time() - c0
    con.execute("DROP TABLE bench_baseline")
    con.close()
    return elapsed


def _baseline_postgres(url: str, start: int, end: int) -> tuple[float, float]:
    """The same by hand on PostgreSQL: one psycopg2 transaction, the rows inserted with execute_values."""
    import psycopg2
    from psycopg2.extras import execute_values

    con = psycopg2.connect(url)
    cur = con.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS bench_baseline (customer_id INTEGER, seconds BIGINT, bytes BIGINT)")
    con.commit()
    t0, c0 = time.perf_counter(), time.process_time()
    cur.execute(
        "SELECT customer_id, SUM(seconds), SUM(bytes_in + bytes_out) FROM usage_session "
        "WHERE stop >= %s AND stop < %s AND customer_id IS NOT NULL GROUP BY customer_id",
        (start, end),
    )
    rows = cur.fetchall()
    execute_values(cur, "INSERT INTO bench_baseline VALUES %s", rows, page_size=1000)
    con.commit()
    elapsed = time.perf_counter() - t0, time.process_time() - c0
    cur.execute("DROP TABLE bench_baseline")
    con.commit()
    con.close()
    return elapsed


# The run's phases, timed by wrapping the runner's own functions ([wall, CPU] seconds, summed per run).
PHASES = (("loading", "runner", "load_facts"), ("billing", "engine", "bill_month"), ("saving", "runner", "_save"),
          ("ledger posting", "runner", "post_to_ledger"))


@contextmanager
def time_phases():
    """``with time_phases() as t: ...; t`` -> {phase: [wall, CPU seconds]} for the runner's phases called inside."""
    from wwwtrak.billing import engine, runner

    modules = {"runner": runner, "engine": engine}
    spent = {name: [0.0, 0.0] for name, _, _ in PHASES}
    originals = []
    for name, module, attr in PHASES:
        original = getattr(modules[module], attr)

        def timed(*args, _name=name, _original=original, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name][0] += time.perf_counter() - t
                spent[_name][1] += time.process_time() - c

        originals.append((modules[module], attr, original))
        setattr(modules[module], attr, timed)
    try:
        yield spent
    finally:
        for module, attr, original in originals:
            setattr(module, attr, original)


def timed_run(month: Period, phases: dict | None = None) -> tuple[tuple[float, float], int, object]:
    """Run the month; ``phases``, when given, receives the seconds of each phase and of the rest (lock, commit)."""
    from wwwtrak.billing import runner

    actor = Actor(1, "bench", "superuser", "billing run-month")
    with count_statements() as n, time_phases() as spent:
        t0, c0 = time.perf_counter(), time.process_time()
        result = runner.run_month(actor, str(month))
        elapsed = time.perf_counter() - t0, time.process_time() - c0
    if phases is not None:
        phases.update(spent)
        phases["other (commit)"] = [elapsed[i] - sum(v[i] for v in spent.values()) for i in (0, 1)]
    return elapsed, n[0], result


def _load() -> str:
    """The machine's 1-minute load average (other work on the cores skews wall times)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--sessions", type=int, default=1_000_000)
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument("--db", metavar="URL", help="an EMPTY PostgreSQL database to build in (postgresql://user@host/dbname); default: SQLite in --dir")
    args = p.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="wwwtrak-bench-"))
    path = str(folder / "bench.db")
    if args.db:
        if not db.is_postgres(args.db):
            p.error("--db: give a postgresql:// URL (the SQLite database goes in --dir)")
        path = args.db

    os.environ["WWWTRAK_NOW"] = "2027-01-02T12:00:00-06:00"
    os.environ.setdefault("WWWTRAK_CREDENTIALS", str(folder / "credentials"))
    t0 = time.perf_counter()
    instance.init(path, "bench", timezone="America/Chicago")
    populate(args.customers, args.sessions)
    zone = instance.zone()
    print(f"built {args.customers:,} customers and {args.sessions:,} November sessions in {time.perf_counter() - t0:.1f} s ({db.describe(path)})")
    for month in (NOV, DEC):
        if month == DEC:
            rnd = random.Random(2)
            add_sessions(args.sessions, DEC, zone, rnd, 1, args.customers)
            add_sessions(args.sessions // 100, NOV, zone, rnd, 1, args.customers, tag="-late")
        db.close_database()
        base = baseline(path, month, zone)
        db.open_database(path)
        phases: dict = {}
        ours, statements, result = timed_run(month, phases)
        lines = sum(len(inv.lines) for _, inv in result.invoices)
        late = sum(1 for _, inv in result.invoices for ln in inv.lines if ln.kind in ("late-time", "late-data"))
        print(
            f"{month}: {len(result.invoices):,} invoices, {lines:,} lines ({late:,} late usage), total {result.total}; "
            f"ours {ours[0]:.2f} s ({ours[1]:.2f} s CPU), {statements} SQL statements; "
            f"baseline {base[0]:.2f} s ({base[1]:.2f} s CPU); ratio {ours[0] / base[0]:.1f}x ({ours[1] / base[1]:.1f}x CPU)"
        )
        print("    " + ", ".join(f"{name} {wall:.2f} s ({cpu:.2f} CPU)" for name, (wall, cpu) in phases.items()) + f"; load average {_load()}")
    db.close_database()


if __name__ == "__main__":
    sys.exit(main())
