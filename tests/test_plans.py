"""The plan catalogue: plan add/edit/list/deactivate, prices by effective month, roles."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import db_snapshot, invoke, login_as, switch_to_root

BASIC = (
    "plan", "add", "basic", "--name", "Basic dial-up", "--monthly-fee", "19.95", "--setup-fee", "25",
    "--included-hours", "40", "--overage-per-hour", "1.50", "--included-gb", "2.5", "--overage-per-gb", "0.75",
)

BASIC_PRICE = {
    "effective": "2026-11",
    "monthly_fee": "19.95",
    "setup_fee": "25.00",
    "included_hours": "40",
    "included_seconds": 144000,
    "overage_per_hour": "1.50",
    "included_gb": "2.5",
    "included_bytes": 2500000000,
    "overage_per_gb": "0.75",
    "taxable": True,
}


@pytest.fixture(autouse=True)
def november(monkeypatch):
    """Today is 2026-11-15 in the ISP's zone."""
    monkeypatch.setenv("WWWTRAK_NOW", "2026-11-15T12:00:00-06:00")


def _plans(*args):
    r = invoke("plan", "list", "--format", "json", *args)
    assert r.exit_code == 0, r.stderr
    return r.json


def test_plan_add_prints_and_lists_every_price(cli):
    r = invoke(*BASIC)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added plan basic (Basic dial-up): 19.95 a month from 2026-11.\n"
    assert _plans() == [
        {"code": "basic", "name": "Basic dial-up", "active": True, "customers": 0, **BASIC_PRICE, "prices": [BASIC_PRICE]}
    ]


def test_plan_without_allowances_and_not_taxable(cli):
    r = invoke("plan", "add", "Flat", "--name", "Flat rate", "--monthly-fee", "30", "--not-taxable")
    assert r.exit_code == 0, r.stderr
    (row,) = _plans()
    assert row["code"] == "flat"  # plan codes are stored in lower case
    assert (row["monthly_fee"], row["setup_fee"], row["taxable"]) == ("30.00", "0.00", False)
    assert (row["included_hours"], row["included_seconds"], row["overage_per_hour"]) == (None, None, "0.00")
    assert (row["included_gb"], row["included_bytes"], row["overage_per_gb"]) == (None, None, "0.00")


def test_fractional_hours_and_gigabytes_become_whole_seconds_and_bytes(cli):
    r = invoke("plan", "add", "half", "--name", "Half", "--monthly-fee", "5", "--included-hours", "0.5",
               "--overage-per-hour", "2", "--included-gb", "0.000000001", "--overage-per-gb", "1")
    assert r.exit_code == 0, r.stderr
    (row,) = _plans()
    assert (row["included_hours"], row["included_seconds"]) == ("0.5", 1800)
    assert (row["included_gb"], row["included_bytes"]) == ("0.000000001", 1)


@pytest.mark.parametrize(
    "args, line",
    [
        (("--monthly-fee", "-5"), "monthly_fee: '-5' must not be negative"),
        (("--monthly-fee", "1.999"), "monthly_fee: '1.999' has more than two decimals"),
        (("--monthly-fee", "ten"), "monthly_fee: 'ten' is not an amount of money"),
        (("--monthly-fee", "1", "--setup-fee", "-0.01"), "setup_fee: '-0.01' must not be negative"),
        (("--monthly-fee", "1", "--setup-fee", "0.001"), "setup_fee: '0.001' has more than two decimals"),
        (("--monthly-fee", "1", "--included-hours", "10", "--overage-per-hour", "-1"), "overage_per_hour: '-1' must not be negative"),
        (("--monthly-fee", "1", "--included-hours", "10", "--overage-per-hour", "1.005"), "overage_per_hour: '1.005' has more than two decimals"),
        (("--monthly-fee", "1", "--included-gb", "10", "--overage-per-gb", "-2"), "overage_per_gb: '-2' must not be negative"),
        (("--monthly-fee", "1", "--included-gb", "10", "--overage-per-gb", "0.125"), "overage_per_gb: '0.125' has more than two decimals"),
        (("--monthly-fee", "1", "--included-hours", "-1", "--overage-per-hour", "1"), "included_hours: '-1' must not be negative"),
        (("--monthly-fee", "1", "--included-hours", "lots", "--overage-per-hour", "1"), "included_hours: 'lots' is not a number of hours"),
        (("--monthly-fee", "1", "--included-hours", "0.0001", "--overage-per-hour", "1"), "included_hours: '0.0001' is not a whole number of seconds"),
        (("--monthly-fee", "1", "--included-gb", "-3", "--overage-per-gb", "1"), "included_gb: '-3' must not be negative"),
        (("--monthly-fee", "1", "--included-gb", "1e-10", "--overage-per-gb", "1"), "included_gb: '1e-10' is not a whole number of bytes"),
        (("--monthly-fee", "1", "--included-hours", "40"), "overage_per_hour: required with --included-hours"),
        (("--monthly-fee", "1", "--included-gb", "40"), "overage_per_gb: required with --included-gb"),
        (("--monthly-fee", "1", "--overage-per-hour", "2"), "overage_per_hour: needs --included-hours (a plan without a time allowance bills no time)"),
        (("--monthly-fee", "1", "--overage-per-gb", "2"), "overage_per_gb: needs --included-gb (a plan without a data allowance bills no data)"),
        (("--monthly-fee", "1", "--effective", "2026-13"), "effective: '2026-13' is not a month (YYYY-MM)"),
    ],
)
def test_plan_add_refuses_each_bad_value_and_writes_nothing(cli, isolated, args, line):
    before = db_snapshot(isolated / "wwwtrak.db")
    r = invoke("plan", "add", "p1", "--name", "P1", *args)
    assert (r.exit_code, r.stderr) == (1, f"error: {line}\n")
    assert db_snapshot(isolated / "wwwtrak.db") == before


def test_plan_add_names_every_problem_at_once(cli):
    r = invoke("plan", "add", "p1", "--name", "P1", "--monthly-fee", "-1", "--setup-fee", "x")
    assert r.exit_code == 1
    assert r.stderr == "error: monthly_fee: '-1' must not be negative\nerror: setup_fee: 'x' is not an amount of money\n"


def test_plan_code_form_duplicates_and_missing_options(cli):
    r = invoke("plan", "add", "gold plan", "--name", "G", "--monthly-fee", "1")
    assert (r.exit_code, r.stderr) == (1, "error: plan code: 'gold plan' must be 1-32 letters, digits, '.', '_' or '-'\n")
    assert invoke(*BASIC).exit_code == 0
    r = invoke("plan", "add", "BASIC", "--name", "Again", "--monthly-fee", "1")
    assert (r.exit_code, r.stderr) == (1, "error: plan 'basic' already exists\n")
    r = invoke("plan", "add", "x", "--name", "X")
    assert r.exit_code == 2 and "--monthly-fee" in r.stderr


def test_plan_edit_from_a_month_keeps_earlier_prices(cli, isolated):
    invoke(*BASIC)
    r = invoke("plan", "edit", "basic", "--monthly-fee", "24.95", "--overage-per-hour", "2", "--effective", "2027-01")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Plan basic: prices from 2027-01: monthly_fee 19.95 -> 24.95, overage_per_hour 1.50 -> 2.00.\n"
    assert [p["monthly_fee"] for p in _plans()[0]["prices"]] == ["19.95", "24.95"]
    assert _plans("--month", "2026-12")[0]["monthly_fee"] == "19.95"
    assert _plans("--month", "2027-01")[0]["monthly_fee"] == "24.95"
    assert _plans("--month", "2031-06")[0]["overage_per_hour"] == "2.00"
    assert _plans()[0]["monthly_fee"] == "19.95"  # this month (2026-11) keeps the old price
    entry = invoke("audit", "list", "--format", "json").json[-1]
    assert (entry["command"], entry["target"]) == ("plan edit", "plan basic")
    assert entry["changes"] == {"effective": ["2026-11", "2027-01"], "monthly_fee": ["19.95", "24.95"], "overage_per_hour": ["1.50", "2.00"]}

    # core: price_for is what billing uses
    from wwwtrak import db, plans
    from wwwtrak.models import Plan

    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        pid = Plan.get(Plan.code == "basic").id
        assert plans.price_for(pid, "2026-12").monthly_fee == Decimal("19.95")
        assert plans.price_for(pid, "2027-01").monthly_fee == Decimal("24.95")
        assert plans.price_for(pid, "2027-05").included_seconds == 144000
        assert plans.price_for(pid, "2020-01").monthly_fee == Decimal("19.95")  # first prices hold before them
    finally:
        db.close_database()


def test_plan_edit_same_month_replaces_that_months_prices(cli):
    invoke(*BASIC)
    invoke("plan", "edit", "basic", "--monthly-fee", "24.95", "--effective", "2027-01")
    r = invoke("plan", "edit", "basic", "--monthly-fee", "29.95", "--not-taxable", "--effective", "2027-01")
    assert r.exit_code == 0, r.stderr
    prices = _plans()[0]["prices"]
    assert [(p["effective"], p["monthly_fee"], p["taxable"]) for p in prices] == [("2026-11", "19.95", True), ("2027-01", "29.95", False)]


def test_plan_edit_without_effective_changes_this_month(cli):
    invoke(*BASIC)
    r = invoke("plan", "edit", "basic", "--name", "Basic 40", "--setup-fee", "0")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Plan basic: name 'Basic dial-up' -> 'Basic 40'; prices from 2026-11: setup_fee 25.00 -> 0.00.\n"
    (row,) = _plans()
    assert (row["name"], row["setup_fee"], len(row["prices"])) == ("Basic 40", "0.00", 1)


def test_plan_edit_drops_an_allowance_with_none(cli):
    invoke(*BASIC)
    r = invoke("plan", "edit", "basic", "--included-hours", "none", "--effective", "2026-12")
    assert r.exit_code == 0, r.stderr
    row = _plans("--month", "2026-12")[0]
    assert (row["included_hours"], row["included_seconds"], row["overage_per_hour"]) == (None, None, "0.00")
    assert row["included_bytes"] == 2500000000


def test_plan_edit_refusals_write_nothing(cli, isolated):
    invoke(*BASIC)
    before = db_snapshot(isolated / "wwwtrak.db")
    cases = [
        (("nope", "--name", "X"), "plan 'nope' does not exist"),
        (("basic", "--monthly-fee", "-1"), "monthly_fee: '-1' must not be negative"),
        (("basic", "--monthly-fee", "20", "--effective", "2026-10"), "effective: 2026-10 is before plan basic's first prices (2026-11)"),
        (("basic", "--included-hours", "none", "--overage-per-hour", "3"), "overage_per_hour: needs --included-hours (a plan without a time allowance bills no time)"),
        (("basic", "--name", " "), "name: must not be empty"),
    ]
    for args, line in cases:
        r = invoke("plan", "edit", *args)
        assert (r.exit_code, r.stderr) == (1, f"error: {line}\n"), args
    assert db_snapshot(isolated / "wwwtrak.db") == before


def test_plan_edit_with_nothing_new_changes_nothing(cli, isolated):
    invoke(*BASIC)
    before = db_snapshot(isolated / "wwwtrak.db")
    r = invoke("plan", "edit", "basic", "--monthly-fee", "19.95", "--effective", "2027-03")
    assert (r.exit_code, r.stdout) == (0, "Plan basic: nothing changed.\n")
    assert db_snapshot(isolated / "wwwtrak.db") == before


def test_plan_deactivate_hides_it_and_keeps_its_customers(cli):
    invoke(*BASIC)
    assert invoke("customer", "add", "--type", "individual", "--name", "Ann Smith", "--plan", "basic").exit_code == 0
    r = invoke("plan", "deactivate", "BASIC")
    assert (r.exit_code, r.stdout) == (0, "Plan basic deactivated; 1 customer keeps it.\n")
    assert _plans() == []
    (row,) = _plans("--all")
    assert (row["active"], row["customers"]) == (False, 1)
    r = invoke("plan", "deactivate", "basic")
    assert (r.exit_code, r.stdout) == (0, "Plan basic is already deactivated.\n")
    r = invoke("customer", "add", "--type", "individual", "--name", "Bo", "--plan", "basic")
    assert (r.exit_code, r.stderr) == (1, "error: plan: 'basic' is deactivated and can't be chosen anew\n")
    assert invoke("customer", "edit", "1001", "--email", "ann@example.com").exit_code == 0  # keeps its plan
    assert invoke("audit", "list", "--format", "json").json[-2]["changes"] == {"active": [True, False]}


def test_plan_list_table_and_csv(cli):
    invoke(*BASIC)
    table = invoke("plan", "list").stdout.splitlines()
    assert table[0].split() == ["code", "name", "monthly_fee", "setup_fee", "included_hours", "overage_per_hour", "included_gb", "overage_per_gb", "taxable", "effective", "customers"]
    assert table[2].split() == ["basic", "Basic", "dial-up", "19.95", "25.00", "40", "1.50", "2.5", "0.75", "yes", "2026-11", "0"]
    csv = invoke("plan", "list", "--format", "csv").stdout.splitlines()
    assert csv == [
        "code,name,monthly_fee,setup_fee,included_hours,overage_per_hour,included_gb,overage_per_gb,taxable,effective,customers",
        "basic,Basic dial-up,19.95,25.00,40,1.50,2.5,0.75,True,2026-11,0",
    ]
    r = invoke("plan", "list", "--month", "11/2026")
    assert (r.exit_code, r.stderr) == (1, "error: month: '11/2026' is not a month (YYYY-MM)\n")


def test_plan_roles_user_lists_but_cannot_change(cli, isolated):
    invoke(*BASIC)
    login_as(isolated, "desk", "user")
    assert invoke("plan", "list").exit_code == 0
    for args in (BASIC, ("plan", "edit", "basic", "--name", "x"), ("plan", "deactivate", "basic")):
        r = invoke(*args)
        assert r.exit_code == 3
        assert r.stderr == f"error: '{args[0]} {args[1]}' needs the role superuser or accounting; you are user\n"
    switch_to_root(isolated)
    login_as(isolated, "acct", "accounting")
    r = invoke("plan", "add", "pro", "--name", "Pro", "--monthly-fee", "49")
    assert r.exit_code == 0, r.stderr


@given(st.integers(min_value=0, max_value=10**7))
def test_hours_round_trip_through_whole_seconds(nines):
    """Any hours value that is whole seconds converts to seconds and back unchanged."""
    from wwwtrak.plans import format_hours, parse_allowance

    seconds = nines * 9  # hours = seconds / 3600 is a finite decimal exactly when 9 divides seconds
    text = format_hours(seconds)
    assert parse_allowance(text, "included_hours", 3600, "seconds") == seconds
