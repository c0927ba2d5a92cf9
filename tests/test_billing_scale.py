"""Month-end's SQL does not grow with the number of customers (the benchmark's own data, small)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from wwwtrak import db, instance

_spec = importlib.util.spec_from_file_location("bench_month_end", Path(__file__).parents[1] / "bench" / "bench_month_end.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.mark.sqlite_only  # PostgreSQL's bulk inserts page 1,000 rows to a statement
def test_statements_are_the_same_for_40_and_400_customers(isolated, _template, monkeypatch):
    import random

    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T12:00:00-06:00")
    counts = []
    for n in (40, 400):
        path = isolated / f"scale-{n}.db"
        shutil.copy(_template[0] / "wwwtrak.db", path)
        db.open_database(str(path))
        try:
            bench.populate(n, 10 * n)
            _, nov, result = bench.timed_run(bench.NOV)
            assert len(result.invoices) > n * 0.9
            rnd = random.Random(3)
            bench.add_sessions(10 * n, bench.DEC, instance.zone(), rnd, 1, n)
            bench.add_sessions(n, bench.NOV, instance.zone(), rnd, 1, n, tag="-late")
            _, dec, result = bench.timed_run(bench.DEC)
            assert any(line.kind in ("late-time", "late-data") for _, inv in result.invoices for line in inv.lines)
        finally:
            db.close_database()
        counts.append((nov, dec))
    assert counts[0] == counts[1]
    assert counts[0][0] <= 30  # 30: late fees also read the credit on hand the day before the issue date
