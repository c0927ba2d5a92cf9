"""A month-end cron can trust: default month, re-runs, dry runs, two runs at once, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billing_fixtures import add_customer, add_plan, add_session, bill, dump, invoices
from helpers import invoke

RUN = [sys.executable, "-m", "wwwtrak", "billing", "run-month", "--month", "2026-11"]


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-01T06:00:00-06:00")


@pytest.fixture
def month(cli):
    """Three customers with something to bill for November 2026 and one without."""
    plan = add_plan(included_hours="10", overage_per_hour="3.00")
    ids = [add_customer(f"Customer {n}", start="2026-11-16", plan=plan) for n in range(3)]
    add_customer("Nothing to pay", start="2026-01-01", plan=add_plan("free", "Free", monthly_fee="0.00"))
    add_session(ids[0], "2026-11-20T10:00:00", seconds=11 * 3600)
    return ids


def test_without_month_it_bills_the_last_complete_month(month):
    r = invoke("billing", "run-month")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "2026-11: made 3 invoices; subtotal 48.00, tax 3.01, total 51.01."
    # 15 of 30 days of 30.00 = 15.00, plus 60 min over 10 h at 3.00/h for the first; 6.25% tax
    assert [(i["number"], i["subtotal"], i["total"]) for i in invoices()] == [(1, "18.00", "19.13"), (2, "15.00", "15.94"), (3, "15.00", "15.94")]


def test_a_month_not_over_is_refused(month):
    r = invoke("billing", "run-month", "--month", "2026-12")
    assert (r.exit_code, r.stderr) == (1, "error: --month: 2026-12 is not over yet (today is 2026-12-01); it can be billed from 2027-01-01 on\n")
    r = invoke("billing", "run-month", "--month", "Nov")
    assert (r.exit_code, r.stderr) == (1, "error: --month: 'Nov' is not a month (YYYY-MM)\n")


@pytest.mark.parametrize("text", ["", " ", "２０２６-11", "0000-11", "9999-11", "2026-11-01"])
def test_a_garbage_month_is_refused_naming_the_option_and_bills_nothing(month, text):
    # an empty --month (a cron line's unset variable) must not silently bill the default month
    before = dump()
    r = invoke("billing", "run-month", "--month", text)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: --month: {text!r} is not a month (YYYY-MM)\n")
    assert dump() == before


def test_a_second_run_says_already_billed_exits_0_and_changes_nothing(month):
    bill("2026-11")
    before = dump()
    r = invoke("billing", "run-month", "--month", "2026-11")
    assert r.exit_code == 0
    assert r.stdout == "2026-11 is already billed (3 invoices, total 51.01, by root at 2026-12-01T12:00:00+00:00); nothing changed.\n"
    assert dump() == before
    r = invoke("billing", "run-month", "--month", "2026-11", "--format", "json")
    assert r.json == {"month": "2026-11", "invoices": 3, "subtotal": "48.00", "tax": "3.01", "total": "51.01", "dry_run": False, "already_billed": True, "invoice_details": []}


def test_a_dry_run_prints_what_the_run_will_do_and_writes_nothing(month):
    before = dump()
    dry = invoke("billing", "run-month", "--dry-run")
    assert dump() == before
    assert dry.stdout.splitlines()[0] == "Dry run for 2026-11: nothing was written and no invoice number was used."
    dry_json = invoke("billing", "run-month", "--dry-run", "--format", "json").json
    real = invoke("billing", "run-month")
    # the same invoices, numbers and totals
    assert dry.stdout.splitlines()[1:-1] == real.stdout.splitlines()[:-1]
    assert dry.stdout.splitlines()[-1].replace("would make", "made") == real.stdout.splitlines()[-1]
    assert dry_json["dry_run"] is True and dry_json["invoices"] == 3 and dry_json["total"] == "51.01"
    assert [d["number"] for d in dry_json["invoice_details"]] == [i["number"] for i in invoices()] == [1, 2, 3]


def _start(env_extra: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.Popen(RUN, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached its hold point"
        time.sleep(0.02)


def test_two_runs_at_once_bill_the_month_once(month, isolated):
    hold = isolated / "hold"
    first = _start({"WWWTRAK_TEST_HOLD_BILLING": str(hold)})
    _wait_for(hold, first)  # the first run has written its invoices and holds the transaction
    second = _start()
    time.sleep(0.5)
    assert second.poll() is None  # waiting for the first run's lock
    hold.unlink()
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert (first.returncode, err1) == (0, "")
    assert out1.splitlines()[-1] == "2026-11: made 3 invoices; subtotal 48.00, tax 3.01, total 51.01."
    assert (second.returncode, err2) == (0, "")
    assert out2.startswith("2026-11 is already billed (3 invoices, total 51.01")
    assert [i["number"] for i in invoices()] == [1, 2, 3]


def test_two_runs_started_together_bill_once(month):
    procs = [_start(), _start()]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted("already billed" in out for out, _ in outs) == [False, True]
    assert [i["number"] for i in invoices()] == [1, 2, 3]


def test_a_run_killed_mid_way_leaves_nothing_and_the_next_run_bills_in_full(month, isolated):
    hold = isolated / "hold"
    before = dump()
    proc = _start({"WWWTRAK_TEST_HOLD_BILLING": str(hold)})
    _wait_for(hold, proc)  # invoices, lines and the run row are written but not committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert dump() == before
    assert invoke("billing", "runs").stdout == "No month billed yet.\n"
    again = bill("2026-11")
    assert (again["invoices"], again["total"]) == (3, "51.01")
    assert [i["number"] for i in invoices()] == [1, 2, 3]


def test_a_charge_added_during_the_run_waits_and_is_refused(month, isolated):
    hold = isolated / "hold"
    run = _start({"WWWTRAK_TEST_HOLD_BILLING": str(hold)})
    _wait_for(hold, run)
    charge = subprocess.Popen(
        [sys.executable, "-m", "wwwtrak", "charge", "add", str(month[0]), "9.00", "--description", "Late call", "--date", "2026-11-30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(0.5)
    assert charge.poll() is None  # waits for the run instead of slipping into the month it is billing
    hold.unlink()
    assert run.wait(timeout=60) == 0
    _, err = charge.communicate(timeout=60)
    assert (charge.returncode, err) == (1, "error: --date: 2026-11-30 is in 2026-11, which is already billed; date the charge in an open month\n")


def test_a_month_before_the_latest_billed_one_is_refused_and_bills_nothing(month, monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T06:00:00-06:00")
    bill("2026-12")
    before = dump()
    for args in (("--month", "2026-11"), ("--month", "2026-11", "--dry-run")):
        r = invoke("billing", "run-month", *args)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: --month: 2026-11 comes before 2026-12, which is already billed; months are billed in order\n")
    assert dump() == before
    assert invoke("billing", "run-month", "--month", "2026-12").stdout.startswith("2026-12 is already billed")
