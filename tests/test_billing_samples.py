"""Real RADIUS detail files: imported, given to customers on small allowances, billed, checked by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_fixtures import add_customer, add_plan, bill, invoices
from helpers import invoke

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "radius-detail"


def _usage_import_exists() -> bool:
    r = invoke("usage", "import", "--help")
    return r.exit_code == 0


@pytest.fixture
def imported(cli, monkeypatch):
    if not SAMPLES.is_dir():
        pytest.skip(f"the sample files are not here: {SAMPLES}")
    if not _usage_import_exists():
        pytest.skip("needs 'wwwtrak usage import' (issue 4)")
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-01T12:00:00-06:00")
    # 0.01 h = 36 s of time and 0.0001 GB = 100,000 bytes included; 1.00 a minute and 1.00 a MB over
    plan = add_plan("tiny", "Tiny", monthly_fee="0.00", included_hours="0.01", overage_per_hour="60.00",
                    included_gb="0.0001", overage_per_gb="1000.00", taxable=False)
    ids = {login: add_customer(login, start="1999-01-01", plan=plan, logins=[login])
           for login in ("jeff", "e2", "juniper", "ac:16:2d:75:9d:0a")}
    files = sorted(str(p) for p in SAMPLES.glob("*.txt") if p.name != "SOURCES.txt")
    r = invoke("usage", "import", *files)
    assert r.exit_code == 0, r.stderr
    return ids


def test_sample_detail_files_bill_by_hand_computed_usage(imported):
    for month in ("1999-06", "2000-12", "2021-03"):
        bill(month)
    got = {(i["customer_id"], i["period"]): [(ln["kind"], ln["amount"]) for ln in i["lines"]] for i in invoices()}
    assert got == {
        # gBill/Ascend: jeff, Stop 1999-06-22, 143 s, 9,950 + 98,682 = 108,632 bytes
        (imported["jeff"], "1999-06"): [("time", "2.00"), ("data", "1.00")],  # 107 s -> 2 min; 8,632 B -> 1 MB
        # GNU Radius: e2, Stop 2000-12-15, 1,905 s, 7,761 + 5,382 bytes
        (imported["e2"], "2000-12"): [("time", "32.00")],  # 1,869 s over -> 31.15 -> 32 min
        # Juniper MX: two sessions stopped 2021-03-23, 77 s and 47 s, a few hundred bytes each
        (imported["juniper"], "2021-03"): [("time", "1.00")],  # 41 s over -> 1 min
        (imported["ac:16:2d:75:9d:0a"], "2021-03"): [("time", "1.00")],  # 11 s over -> 1 min
    }
