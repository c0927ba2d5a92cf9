"""Payments, credit memos, balances, aging, revenue, the journal and ``wwwtrak check``.

Three customers are billed for September to November 2026 and pay, partly,
late, by several methods; one gets an outage credit; one payment is voided.
Every expected value below is computed by hand from these facts (tax 6.25%
in Illinois, none for Cy, who has no state):

  inv  customer  period   lines                                  tax   total  due
  1    Ada 1001  2026-09  plan 29.95 T, usage 4.50 T             2.15  36.60  10-31
  2    Bob 1002  2026-09  plan 19.95 T                           1.25  21.20  10-16
  3    Ada       2026-10  plan 29.95 T, static IP 5.00 T         2.18  37.13  11-30
  4    Bob       2026-10  plan 19.95 T, charge 50.00             1.25  71.20  11-16
  5    Cy 1003   2026-10  plan 15.00                             0.00  15.00  11-30
  6    Ada       2026-11  plan 29.95 T, late fee 10.00           1.87  41.82  12-31
  7    Bob       2026-11  plan 19.95 T                           1.25  21.20  12-16
  8    Cy        2026-11  plan 15.00                             0.00  15.00  12-31

  payment 1  Bob  10-10 cash  21.20           pays 2
  payment 2  Ada  10-20 check 36.60 "1001"    pays 1
  credit  1  Cy   11-10       5.00 outage     5.00 of 5
  payment 3  Bob  11-20 ach   30.00 "ACH-778" 30.00 of 4 (voided 12-10: 4 reopens)
  payment 4  Ada  11-25 card  50.00 "card-9"  pays 3 (37.13); 12.87 credit, applied to 6 on 12-01
  payment 5  Cy   12-02 check 10.00 "2231"    pays the rest of 5
  payment 6  Bob  12-05 check 21.20 "5512"    21.20 of 4 (oldest open first)
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import invoke, login_as, pg_admin, pg_url
from ledger_fixtures import Books

GOLDEN = Path(__file__).parent / "golden"
ADA, BOB, CY = 1001, 1002, 1003
END = "2026-12-31T12:00:00-06:00"


def _at(day: str) -> dict:
    return {"WWWTRAK_NOW": f"{day}T12:00:00-06:00"}


def _ok(*args, env=None):
    r = invoke(*args, env=env)
    assert r.exit_code == 0, (args, r.stderr)
    return r


def build_books(b: Books) -> None:
    """The three months above, in the order they happened."""
    b.customer("Ada Lovelace", id=ADA, city="Chicago", postal_code="60601", address="1 Loop St", email="ada@example.com")
    b.customer("Bob's Bait & Tackle", terms="net-15", id=BOB, type="commercial", company="Bob's Bait & Tackle",
               contact="Bob Smith", tags=["fishing"], logins=["bob", "bobshop"], billing_category="small-business")
    b.customer("Cy Young", state=None, id=CY, notes="no state: no tax")
    b.invoice(ADA, "2026-09", [("plan", "29.95", True), ("time", "4.50", True)], "6.25")
    b.invoice(BOB, "2026-09", [("plan", "19.95", True)], "6.25", days=15)
    _ok("payment", "add", BOB, "21.20", "--method", "cash", "--date", "2026-10-10", env=_at("2026-10-10"))
    _ok("payment", "add", ADA, "36.60", "--reference", "1001", "--date", "2026-10-20", env=_at("2026-10-20"))
    b.invoice(ADA, "2026-10", [("plan", "29.95", True), ("service", "5.00", True)], "6.25")
    b.invoice(BOB, "2026-10", [("plan", "19.95", True), ("charge", "50.00", False)], "6.25", days=15)
    b.invoice(CY, "2026-10", [("plan", "15.00", True)])
    _ok("credit", "add", CY, "5.00", "--description", "Outage 3-5 November", "--date", "2026-11-10", env=_at("2026-11-10"))
    _ok("payment", "add", BOB, "30.00", "--method", "ach", "--reference", "ACH-778", "--date", "2026-11-20", env=_at("2026-11-20"))
    _ok("payment", "add", ADA, "50.00", "--method", "card", "--reference", "card-9", "--date", "2026-11-25", env=_at("2026-11-25"))
    b.invoice(ADA, "2026-11", [("plan", "29.95", True), ("late-fee", "10.00", False)], "6.25")
    b.invoice(BOB, "2026-11", [("plan", "19.95", True)], "6.25", days=15)
    b.invoice(CY, "2026-11", [("plan", "15.00", True)])
    _ok("payment", "add", CY, "10.00", "--reference", "2231", "--date", "2026-12-02", env=_at("2026-12-02"))
    _ok("payment", "add", BOB, "21.20", "--reference", "5512", "--date", "2026-12-05", env=_at("2026-12-05"))
    _ok("payment", "void", "3", env=_at("2026-12-10"))


def _pg_create(name: str, template: str) -> None:
    con = pg_admin()
    with con.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    con.close()


@pytest.fixture(scope="module")
def _books_template(tmp_path_factory, _template):
    """The books built once per module (through the CLI); each test starts from a copy."""
    d, pg_template = _template
    books_dir = tmp_path_factory.mktemp("books")
    shutil.copy(d / "credentials", books_dir / "credentials")
    env = {"WWWTRAK_CREDENTIALS": str(books_dir / "credentials")}
    if pg_template:
        name = f"wwwtrak_books_{os.getpid()}"
        _pg_create(name, pg_template)
        env["WWWTRAK_DB"] = pg_url(name)
    else:
        shutil.copy(d / "wwwtrak.db", books_dir / "wwwtrak.db")
        env["WWWTRAK_DB"] = str(books_dir / "wwwtrak.db")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        build_books(Books(env["WWWTRAK_DB"]))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    if pg_template:
        yield books_dir, name
        con = pg_admin()
        with con.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.close()
        return
    con = sqlite3.connect(books_dir / "wwwtrak.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    yield books_dir, None


@pytest.fixture
def books(cli, isolated, _books_template, monkeypatch):
    """The three months of books above, on 2026-12-31."""
    books_dir, pg_template = _books_template
    if pg_template:
        _pg_create(os.environ["WWWTRAK_DB"].rsplit("/", 1)[1], pg_template)
    else:
        shutil.copy(books_dir / "wwwtrak.db", isolated / "wwwtrak.db")
    monkeypatch.setenv("WWWTRAK_NOW", END)
    return Books()


# --- payments ---------------------------------------------------------------------


def test_payment_applies_to_oldest_open_invoice_first_and_keeps_excess_as_credit(books):
    books.invoice(CY, "2026-12", [("plan", "15.00", True)])  # invoice 9, due 2027-01-31
    r = _ok("payment", "add", CY, "40.00", "--method", "card", "--reference", "v-1", "--format", "json")
    assert r.json == {
        "id": 7, "kind": "payment", "customer_id": CY, "amount": "40.00", "date": "2026-12-31",
        "applied": [{"invoice": 8, "amount": "15.00"}, {"invoice": 9, "amount": "15.00"}],
        "credit": "10.00", "balance": "-10.00",
    }
    # the next invoice takes the credit when it is posted
    books.invoice(CY, "2027-01", [("plan", "15.00", True)])
    rows = _ok("payment", "list", "--customer", CY, "--format", "json").json
    assert [(p["id"], p["applied"], p["unapplied"]) for p in rows] == [(5, "10.00", "0.00"), (7, "40.00", "0.00")]
    aging = _ok("report", "aging", "--as-of", "2027-02-01", "--format", "json").json
    assert [c for c in aging["customers"] if c["customer_id"] == CY][0]["total"] == "5.00"


def test_payment_table_output(books):
    r = _ok("payment", "add", BOB, "60.00", "--reference", "6001")
    assert r.stdout == (
        "Payment 7 of 60.00 recorded for customer 1002 on 2026-12-31.\n"
        "Applied to invoice 4 50.00, invoice 7 10.00.\n"
        "Account credit 0.00; balance 11.20.\n"
    )


def test_payment_list(books):
    r = _ok("payment", "list", "--format", "csv")
    assert r.stdout.splitlines() == [
        "id,customer_id,date,amount,method,reference,applied,unapplied,status,voided_on",
        "1,1002,2026-10-10,21.20,cash,,21.20,0.00,ok,",
        "2,1001,2026-10-20,36.60,check,1001,36.60,0.00,ok,",
        "3,1002,2026-11-20,30.00,ach,ACH-778,0.00,0.00,void,2026-12-10",
        "4,1001,2026-11-25,50.00,card,card-9,50.00,0.00,ok,",
        "5,1003,2026-12-02,10.00,check,2231,10.00,0.00,ok,",
        "6,1002,2026-12-05,21.20,check,5512,21.20,0.00,ok,",
    ]
    assert [p["id"] for p in _ok("payment", "list", "--customer", ADA, "--format", "json").json] == [2, 4]


def test_duplicate_reference_is_refused_unless_allowed(books):
    r = invoke("payment", "add", BOB, "21.20", "--reference", "5512")
    assert r.exit_code == 1
    assert r.stderr == (
        "error: payment: reference '5512' of 21.20 is already recorded for customer 1002 (payment 6 on 2026-12-05); "
        "add --allow-duplicate to record it again\n"
    )
    assert _ok("payment", "add", BOB, "21.20", "--reference", "5512", "--allow-duplicate", "--format", "json").json["id"] == 7
    # another amount, another customer, or a voided payment's reference is no duplicate
    _ok("payment", "add", BOB, "5.00", "--reference", "5512")
    _ok("payment", "add", ADA, "21.20", "--reference", "5512")
    _ok("payment", "add", BOB, "30.00", "--method", "ach", "--reference", "ACH-778")


@pytest.mark.parametrize(
    "args, message",
    [
        ((9999, "10.00"), "customer 9999 does not exist"),
        ((ADA, "0"), "amount: '0' must be more than 0.00"),
        ((ADA, "12.345"), "amount: '12.345' has more than two decimals"),
        ((ADA, "ten"), "amount: 'ten' is not an amount of money"),
        ((ADA, "10", "--method", "wire"), "method: 'wire' is not one of check, cash, card, ach"),
        ((ADA, "10", "--date", "2027-01-05"), "date: 2027-01-05 is in the future (today is 2026-12-31)"),
        ((ADA, "10", "--date", "2026-13-01"), "date: '2026-13-01' is not a date (YYYY-MM-DD)"),
    ],
)
def test_payment_add_refuses_bad_input(books, args, message):
    r = invoke("payment", "add", *args)
    assert (r.exit_code, r.stderr) == (1, f"error: {message}\n")
    assert len(_ok("payment", "list", "--format", "json").json) == 6


@pytest.mark.parametrize("command", ["payment", "credit"])
def test_void_of_a_number_too_large_for_the_database_is_not_found(books, command):
    r = invoke(command, "void", "99999999999999999999")
    assert (r.exit_code, r.stderr) == (1, f"error: {command} 99999999999999999999 does not exist\n")


def test_void_reopens_what_the_payment_paid_and_is_recorded_not_deleted(books):
    r = _ok("payment", "void", "6", "--format", "json")
    assert r.json == {
        "id": 6, "kind": "payment", "customer_id": BOB, "voided_on": "2026-12-31",
        "reopened": [{"invoice": 4, "amount": "21.20"}], "reapplied": [], "balance": "92.40",
    }
    r = invoke("payment", "void", "6")
    assert (r.exit_code, r.stderr) == (1, "error: payment 6 was already voided on 2026-12-31\n")
    r = invoke("payment", "void", "99")
    assert (r.exit_code, r.stderr) == (1, "error: payment 99 does not exist\n")
    rows = _ok("payment", "list", "--customer", BOB, "--format", "json").json
    assert [(p["id"], p["status"]) for p in rows] == [(1, "ok"), (3, "void"), (6, "void")]
    aging = {c["customer_id"]: c for c in _ok("report", "aging", "--format", "json").json["customers"]}
    assert (aging[BOB]["days_1_30"], aging[BOB]["days_31_60"], aging[BOB]["total"]) == ("21.20", "71.20", "92.40")


def test_void_frees_invoices_for_other_credit(books):
    # Ada overpays: 20.00 of credit left after invoice 6; voiding her card payment reopens invoice 3,
    # and the credit now pays it, dated the day of the void.
    _ok("payment", "add", ADA, "48.95", "--reference", "1002")
    r = _ok("payment", "void", "4")
    assert r.stdout == (
        "Payment 4 voided on 2026-12-31.\n"
        "Reopened invoice 3 37.13, invoice 6 12.87.\n"
        "Account credit applied to invoice 3 20.00.\n"
        "Customer 1001 balance 30.00.\n"
    )
    _ok("check")


def test_credit_memo_applies_like_a_payment_and_can_be_voided(books):
    r = _ok("credit", "add", BOB, "25.00", "--description", "Goodwill: billing error", "--format", "json")
    assert r.json["applied"] == [{"invoice": 4, "amount": "25.00"}] and r.json["balance"] == "46.20"
    r = _ok("credit", "void", "2")
    assert r.stdout == (
        "Credit memo 2 voided on 2026-12-31.\n"
        "Reopened invoice 4 25.00.\n"
        "Customer 1002 balance 71.20.\n"
    )
    r = invoke("credit", "add", BOB, "5", "--description", "  ")
    assert (r.exit_code, r.stderr) == (1, "error: description: must not be empty\n")
    r = invoke("credit", "void", "2")
    assert (r.exit_code, r.stderr) == (1, "error: credit 2 was already voided on 2026-12-31\n")
    _ok("check")


def test_changes_are_audited(books):
    _ok("credit", "add", ADA, "1.00", "--description", "Sorry")
    rows = _ok("audit", "list", "--format", "json").json
    mine = [(r["command"], r["target"]) for r in rows if r["command"].split()[0] in ("payment", "credit")]
    assert mine == [
        ("payment add", "payment 1"), ("payment add", "payment 2"), ("credit add", "credit 1"), ("payment add", "payment 3"),
        ("payment add", "payment 4"), ("payment add", "payment 5"), ("payment add", "payment 6"), ("payment void", "payment 3"),
        ("credit add", "credit 2"),
    ]
    assert rows[-1]["changes"] == {"customer": [None, ADA], "amount": [None, "1.00"], "description": [None, "Sorry"], "date": [None, "2026-12-31"]}


def test_user_role_lists_payments_but_cannot_record_them(books, isolated):
    login_as(isolated, "desk", "user")
    assert invoke("payment", "list").exit_code == 0
    r = invoke("payment", "add", ADA, "5.00")
    assert (r.exit_code, r.stderr) == (3, "error: 'payment add' needs the role superuser or accounting; you are user\n")
    assert invoke("report", "aging").exit_code == 3


def test_negative_invoice_is_credit_for_open_invoices(books):
    books.invoice(BOB, "2026-12", [("time", "-4.00", True)], "6.25")  # late usage refunded: -4.25, issued 2027-01-01
    aging = {c["customer_id"]: c for c in _ok("report", "aging", "--as-of", "2027-01-01", "--format", "json").json["customers"]}
    assert (aging[BOB]["days_31_60"], aging[BOB]["days_1_30"], aging[BOB]["total"]) == ("45.75", "21.20", "66.95")
    _ok("check")


def test_customer_show_has_balance_open_invoices_and_credit(books):
    r = _ok("customer", "show", BOB, "--format", "json")
    assert (r.json["balance"], r.json["credit"]) == ("71.20", "0.00")
    assert r.json["open_invoices"] == [
        {"number": 4, "due_date": "2026-11-16", "total": "71.20", "balance": "50.00"},
        {"number": 7, "due_date": "2026-12-16", "total": "21.20", "balance": "21.20"},
    ]
    _ok("payment", "add", ADA, "40.00", "--reference", "1003")  # 28.95 owed: 11.05 left as credit
    r = _ok("customer", "show", ADA, "--format", "json")
    assert (r.json["balance"], r.json["credit"], r.json["open_invoices"]) == ("-11.05", "11.05", [])
    out = _ok("customer", "show", BOB).stdout
    assert "Open invoices" in out and "due 2026-11-16  total      71.20  balance      50.00" in out


# --- aging ------------------------------------------------------------------------


def test_aging_today(books):
    r = _ok("report", "aging", "--format", "json")
    assert r.json == {
        "as_of": "2026-12-31",
        "customers": [
            {"customer_id": ADA, "name": "Ada Lovelace", "current": "28.95", "days_1_30": "0.00", "days_31_60": "0.00",
             "days_61_90": "0.00", "days_over_90": "0.00", "credit": "0.00", "total": "28.95"},
            {"customer_id": BOB, "name": "Bob's Bait & Tackle", "current": "0.00", "days_1_30": "21.20", "days_31_60": "50.00",
             "days_61_90": "0.00", "days_over_90": "0.00", "credit": "0.00", "total": "71.20"},
            {"customer_id": CY, "name": "Cy Young", "current": "15.00", "days_1_30": "0.00", "days_31_60": "0.00",
             "days_61_90": "0.00", "days_over_90": "0.00", "credit": "0.00", "total": "15.00"},
        ],
        "totals": {"current": "43.95", "days_1_30": "21.20", "days_31_60": "50.00", "days_61_90": "0.00", "days_over_90": "0.00",
                   "credit": "0.00", "total": "115.15"},
    }


def test_aging_as_of_a_past_day_uses_only_what_was_known_then(books):
    # 30 November: Ada's card payment left 12.87 of credit (applied to invoice 6 only on 1 December);
    # Bob's ACH payment, voided on 10 December, still counted; his 5 December check did not exist yet.
    r = _ok("report", "aging", "--as-of", "2026-11-30", "--format", "csv")
    assert r.stdout.splitlines() == [
        "customer_id,name,current,days_1_30,days_31_60,days_61_90,days_over_90,total,credit",
        "1001,Ada Lovelace,-12.87,0.00,0.00,0.00,0.00,-12.87,12.87",
        "1002,Bob's Bait & Tackle,0.00,41.20,0.00,0.00,0.00,41.20,0.00",
        "1003,Cy Young,10.00,0.00,0.00,0.00,0.00,10.00,0.00",
    ]
    r = _ok("report", "aging", "--as-of", "2026-12-05", "--format", "json")
    assert {c["customer_id"]: (c["current"], c["days_1_30"], c["total"]) for c in r.json["customers"]} == {
        ADA: ("28.95", "0.00", "28.95"), BOB: ("21.20", "20.00", "41.20"), CY: ("15.00", "0.00", "15.00"),
    }
    assert r.json["totals"]["total"] == "85.15"
    assert _ok("report", "aging", "--as-of", "2026-10-31", "--format", "json").json["customers"] == []


def test_aging_buckets_over_90_days(books):
    r = _ok("report", "aging", "--as-of", "2027-02-15")
    assert r.stdout == (
        "Receivable aging as of 2027-02-15 (days past due; unapplied credit is negative under current)\n"
        "customer_id    name                 current    days_1_30    days_31_60    days_61_90    days_over_90    total\n"
        "-------------  -------------------  ---------  -----------  ------------  ------------  --------------  -------\n"
        "1001           Ada Lovelace         0.00       0.00         28.95         0.00          0.00            28.95\n"
        "1002           Bob's Bait & Tackle  0.00       0.00         0.00          21.20         50.00           71.20\n"
        "1003           Cy Young             0.00       0.00         15.00         0.00          0.00            15.00\n"
        "TOTAL                               0.00       0.00         43.95         21.20         50.00           115.15\n"
    )


@pytest.mark.parametrize("text", ["31/12/2026", ""])  # an empty --as-of (an unset variable) is not today
def test_aging_refuses_a_bad_date(books, text):
    r = invoke("report", "aging", "--as-of", text)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: as-of: {text!r} is not a date (YYYY-MM-DD)\n")


# --- revenue ----------------------------------------------------------------------


def test_revenue_by_income_account(books):
    r = _ok("report", "revenue", "--month", "2026-10", "--format", "json")
    assert r.json == {
        "month": "2026-10",
        "accounts": [{"account": "Income:Charges", "amount": "50.00"}, {"account": "Income:Plans", "amount": "64.90"},
                     {"account": "Income:Services", "amount": "5.00"}],
        "total": "119.90", "sales_tax": "3.43", "invoiced": "123.33",
    }
    r = _ok("report", "revenue", "--month", "2026-11")
    assert r.stdout == (
        "Revenue for 2026-11\n"
        "account                  amount\n"
        "-----------------------  --------\n"
        "Income:Credits           -5.00\n"
        "Income:Late fees         10.00\n"
        "Income:Plans             64.90\n"
        "Total income             69.90\n"
        "Sales tax payable        3.12\n"
        "Invoiced (income + tax)  78.02\n"
    )
    r = invoke("report", "revenue", "--month", "2026-13")
    assert (r.exit_code, r.stderr) == (1, "error: month: '2026-13' is not a month (YYYY-MM)\n")


# --- usage -----------------------------------------------------------------------


def test_report_usage_top_users_by_hours_and_bytes_in_the_isps_zone(books):
    # November 2026 in Chicago runs from 05:00 UTC on 1 November (daylight time ends that day) to 06:00 UTC on 1 December.
    books.session(ADA, "2026-11-01T04:30:00+00:00", 3600, 10**9)  # 23:30 on 31 October, Chicago: October
    books.session(ADA, "2026-11-01T05:30:00+00:00", 7200, 2 * 10**9, 5 * 10**8)
    books.session(ADA, "2026-12-01T05:59:00+00:00", 1800, 10**8)  # 23:59 on 30 November, Chicago
    books.session(BOB, "2026-11-15T12:00:00-06:00", 36000, 10**9)
    books.session(BOB, "2026-12-01T06:00:00+00:00", 99999)  # midnight: December
    books.session(CY, "2026-11-20T08:00:00-06:00", 600, 4 * 10**9, 5 * 10**9)
    books.session(None, "2026-11-20T08:00:00-06:00", 10**6, 10**12)  # a login of no customer
    books.session(BOB, None, 10**6)  # still open
    r = _ok("report", "usage", "--month", "2026-11")
    assert r.stdout == (
        "rank    customer_id    name                 sessions    hours    seconds    bytes       gb\n"
        "------  -------------  -------------------  ----------  -------  ---------  ----------  -----\n"
        "1       1002           Bob's Bait & Tackle  1           10.00    36000      1000000000  1.000\n"
        "2       1001           Ada Lovelace         2           2.50     9000       2600000000  2.600\n"
        "3       1003           Cy Young             1           0.17     600        9000000000  9.000\n"
    )
    r = _ok("report", "usage", "--month", "2026-11", "--by", "bytes", "--limit", "2", "--format", "json")
    assert [(u["customer_id"], u["bytes"], u["hours"]) for u in r.json] == [(CY, 9000000000, "0.17"), (ADA, 2600000000, "2.50")]
    assert [u["customer_id"] for u in _ok("report", "usage", "--month", "2026-10", "--format", "json").json] == [ADA]
    assert _ok("report", "usage", "--month", "2026-09").stdout == "No sessions ended in 2026-09.\n"
    r = invoke("report", "usage", "--month", "2026-11", "--by", "minutes")
    assert (r.exit_code, r.stderr) == (1, "error: by: 'minutes' is not one of hours, bytes\n")


# --- check ------------------------------------------------------------------------


def test_check_passes_on_sound_books(books):
    r = _ok("check")
    assert r.stdout == (
        "ok: 16 journal entries balance; 8 invoices equal their lines plus tax; "
        "receivable equals open invoices minus credit for 3 customers; invoice numbers 1-8 have no gaps\n"
    )


def _check_fails(expected: list[str]):
    r = invoke("check")
    assert r.exit_code == 1
    assert r.stderr == "".join(f"error: {line}\n" for line in expected)


def test_check_finds_an_unbalanced_entry(books):
    books.sql("UPDATE posting SET amount = amount + 1 WHERE entry_id = 1 AND account = 'Income:Plans'")
    _check_fails(["journal entry 1 (Invoice 1 for 2026-09) does not balance: its postings sum to 0.01"])


def test_check_finds_an_invoice_total_that_is_not_lines_plus_tax(books):
    books.sql("UPDATE invoice SET total = total + 1 WHERE number = 2")
    _check_fails([
        "invoice 2: total 21.21 is not subtotal 19.95 plus tax 1.25",
        "invoice 2: its journal entry posts 21.20 to Assets:Receivable, not its total 21.21",
        "customer 1002: receivable 71.20 is not open invoices 71.21 minus credit 0.00",
    ])


def test_check_finds_lines_that_do_not_add_up(books):
    books.sql("UPDATE invoice_line SET amount = 3000 WHERE invoice_id = 1 AND kind = 'plan'")
    _check_fails(["invoice 1: subtotal 34.45 is not the sum of its lines 34.50"])


def test_check_finds_receivable_that_does_not_match(books):
    books.sql("UPDATE payment SET amount = 1500 WHERE id = 5")
    _check_fails(["customer 1003: receivable 15.00 is not open invoices 15.00 minus credit 5.00"])


def test_check_finds_an_invoice_without_journal_entry(books):
    books.sql("DELETE FROM posting WHERE entry_id = 2")
    books.sql("DELETE FROM journal_entry WHERE id = 2")
    _check_fails(["invoice 2 has no journal entry", "customer 1002: receivable 50.00 is not open invoices 71.20 minus credit 0.00"])


def test_check_finds_gaps_in_invoice_numbers(books):
    books.invoice(CY, "2026-12", [("plan", "15.00", True)], number=10)
    _check_fails(["invoice numbers: 9 is missing"])
    books.invoice(ADA, "2026-12", [("plan", "29.95", True)], number=13)
    _check_fails(["invoice numbers: 9 is missing", "invoice numbers: 11 to 12 are missing"])


def test_check_finds_overapplied_payments(books):
    books.sql("UPDATE application SET amount = amount + 500 WHERE payment_id = 2")
    _check_fails([
        "invoice 1: paid 41.60 is not between 0.00 and its total 36.60",
        "payment 2: applied 41.60 is not between 0.00 and 36.60",
        "customer 1001: receivable 28.95 is not open invoices 28.95 minus credit -5.00",
    ])


# --- exports ----------------------------------------------------------------------

FORMATS = {"csv": "csv", "iif": "iif", "beancount": "beancount", "ledger": "journal"}


def _export(month: str, fmt: str, tmp_path: Path) -> bytes:
    out = tmp_path / f"{month}.{FORMATS[fmt]}"
    r = _ok("export", "ledger", "--month", month, "--format", fmt, "-o", str(out))
    assert r.stderr == f"Journal for {month} ({fmt}) written to {out}.\n"
    return out.read_bytes()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_ledger_matches_golden_file_and_is_byte_identical_twice(books, tmp_path, fmt):
    first = _export("2026-11", fmt, tmp_path)
    assert _export("2026-11", fmt, tmp_path) == first
    stdout = _ok("export", "ledger", "--month", "2026-11", "--format", fmt).stdout
    assert stdout.encode("cp1252" if fmt == "iif" else "utf-8") == first
    golden = GOLDEN / f"ledger-2026-11.{FORMATS[fmt]}"
    if os.environ.get("WWWTRAK_REGENERATE_GOLDEN") == "1":
        golden.write_bytes(first)
    assert first == golden.read_bytes(), f"regenerate on purpose with WWWTRAK_REGENERATE_GOLDEN=1 and review the diff of {golden}"


# November's file: invoices 6-8 (the November period, issued 1 December), payments 3 and 4, credit memo 1.
NOV_INVOICED, NOV_PAID, NOV_CREDITED = Decimal("78.02"), Decimal("80.00"), Decimal("5.00")


def test_export_csv_totals_equal_the_months_invoices_and_payments(books, tmp_path):
    rows = list(csv.DictReader(io.StringIO(_export("2026-11", "csv", tmp_path).decode())))
    debit = lambda r: Decimal(r["debit"] or 0) - Decimal(r["credit"] or 0)  # noqa: E731
    assert sum(debit(r) for r in rows if r["kind"] == "invoice" and r["account"] == "Assets:Receivable") == NOV_INVOICED
    assert sum(debit(r) for r in rows if r["account"].startswith("Assets:Cash:")) == NOV_PAID
    assert sum(debit(r) for r in rows if r["account"] == "Income:Credits") == NOV_CREDITED
    for entry in {r["entry_id"] for r in rows}:
        assert sum(debit(r) for r in rows if r["entry_id"] == entry) == 0


SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def iif_transactions(text: str) -> tuple[dict[str, list[str]], list[list[dict]]]:
    """The headers and the TRNS..ENDTRNS transactions of an IIF file, each line a dict by its header's columns."""
    headers, txns, current = {}, [], None
    for line in text.splitlines():
        kind, *fields = line.split("\t")
        if kind.startswith("!"):
            headers[kind] = fields
        elif kind == "TRNS":
            current = [dict(zip(headers["!TRNS"], fields))]
        elif kind == "SPL":
            current.append(dict(zip(headers["!SPL"], fields)))
        elif kind == "ENDTRNS":
            txns.append(current)
    return headers, txns


def test_iif_reader_agrees_with_real_quickbooks_transaction_files():
    """The reader the export is checked with reads real IIF transactions as QuickBooks means them."""
    path = SAMPLES / "iif" / "stripe-iiftoqbo_spec_sample-data_basic.iif"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared samples)")
    headers, txns = iif_transactions(path.read_text())
    assert len(txns) == 8 and {t[0]["TRNSTYPE"] for t in txns} == {"CHECK", "DEPOSIT", "GENERAL JOURNAL"}
    for t in txns:
        assert sum(Decimal(line["AMOUNT"]) for line in t) == 0
        assert all(len(line["DATE"]) == 10 and line["DATE"][2] == line["DATE"][5] == "/" for line in t)  # MM/DD/YYYY
    riif = (SAMPLES / "iif" / "riif_spec_fixtures_trns.iif").read_text()
    theirs, (invoice,) = iif_transactions(riif)
    assert invoice[0]["TRNSTYPE"] == "INVOICE" and invoice[0]["ACCNT"] == "Accounts Receivable" and invoice[0]["AMOUNT"] == "20"
    # every column we write is one QuickBooks' invoice layout has
    assert {"TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO", "DUEDATE"} <= set(theirs["!TRNS"])
    assert {"SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO"} <= set(theirs["!SPL"])


def test_export_iif_is_quickbooks_transactions_that_sum_to_zero(books, tmp_path):
    text = _export("2026-11", "iif", tmp_path).decode("cp1252")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    headers, txns = iif_transactions(text)
    assert headers["!TRNS"] == ["TRNSID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO", "DUEDATE"]
    assert headers["!SPL"] == ["SPLID", "TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO"]
    assert headers["!ENDTRNS"] == []
    assert [(t[0]["TRNSTYPE"], t[0]["DATE"], t[0]["ACCNT"], t[0]["AMOUNT"]) for t in txns] == [
        ("CREDIT MEMO", "11/10/2026", "Accounts Receivable", "-5.00"),
        ("PAYMENT", "11/20/2026", "Cash:ACH", "30.00"),
        ("PAYMENT", "11/25/2026", "Cash:Card", "50.00"),
        ("INVOICE", "12/01/2026", "Accounts Receivable", "41.82"),
        ("INVOICE", "12/01/2026", "Accounts Receivable", "21.20"),
        ("INVOICE", "12/01/2026", "Accounts Receivable", "15.00"),
    ]
    for t in txns:
        assert sum(Decimal(line["AMOUNT"]) for line in t) == 0
    assert sum(Decimal(t[0]["AMOUNT"]) for t in txns if t[0]["TRNSTYPE"] == "INVOICE") == NOV_INVOICED
    assert sum(Decimal(t[0]["AMOUNT"]) for t in txns if t[0]["TRNSTYPE"] == "PAYMENT") == NOV_PAID
    assert txns[3][0]["DOCNUM"] == "6" and txns[3][0]["DUEDATE"] == "12/31/2026" and txns[3][0]["NAME"] == "1001 Ada Lovelace"


def test_export_beancount_passes_the_beancount_loader(books, tmp_path):
    loader = pytest.importorskip("beancount.loader", reason="beancount is in the test extras")
    from beancount.core import data

    text = _export("2026-11", "beancount", tmp_path).decode()
    entries, errors, _options = loader.load_string(text)
    assert errors == []
    opens = {e.account for e in entries if isinstance(e, data.Open)}
    txns = [e for e in entries if isinstance(e, data.Transaction)]
    assert opens == {p.account for t in txns for p in t.postings}
    assert "Income:Late-fees" in opens  # "Income:Late fees" made a valid beancount name
    invoiced = sum(p.units.number for t in txns if "invoice" in t.meta for p in t.postings if p.account == "Assets:Receivable")
    paid = sum(p.units.number for t in txns for p in t.postings if p.account.startswith("Assets:Cash:"))
    assert (invoiced, paid) == (NOV_INVOICED, NOV_PAID)
    assert [(t.meta["invoice"], t.meta["customer_id"]) for t in txns if "invoice" in t.meta] == [("6", "1001"), ("7", "1002"), ("8", "1003")]


def test_export_beancount_of_a_month_with_a_void(books, tmp_path):
    loader = pytest.importorskip("beancount.loader", reason="beancount is in the test extras")
    entries, errors, _ = loader.load_string(_export("2026-12", "beancount", tmp_path).decode())
    assert errors == []
    voids = [e for e in entries if getattr(e, "meta", {}).get("reverses")]
    assert [(v.narration, v.meta["payment"]) for v in voids] == [("Void of payment 3", "3")]


@pytest.mark.skipif(shutil.which("hledger") is None, reason="hledger is not installed (apt-get install hledger)")
@pytest.mark.parametrize("month", ["2026-11", "2026-12"])
def test_export_ledger_passes_hledger_check(books, tmp_path, month):
    path = tmp_path / f"{month}.journal"
    path.write_bytes(_export(month, "ledger", tmp_path))
    r = subprocess.run(["hledger", "-f", str(path), "check", "--strict", "ordereddates", "payees"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["hledger", "-f", str(path), "balance", "--flat", "--no-total", "Assets:Cash", "Income:Credits"], capture_output=True, text=True)
    cash = {" ".join(line.split()[2:]): line.split()[0] for line in r.stdout.splitlines()}
    if month == "2026-11":
        assert cash == {"Assets:Cash:ACH": "30.00", "Assets:Cash:Card": "50.00", "Income:Credits": "5.00"}
    else:  # Cy's and Bob's checks, Bob's ACH payment voided
        assert cash == {"Assets:Cash:ACH": "-30.00", "Assets:Cash:Check": "31.20"}


def test_export_ledger_refuses_bad_format_and_month(books):
    r = invoke("export", "ledger", "--month", "2026-11", "--format", "qif")
    assert (r.exit_code, r.stderr) == (1, "error: format: 'qif' is not one of csv, iif, beancount, ledger\n")
    r = invoke("export", "ledger", "--month", "11/2026", "--format", "csv")
    assert (r.exit_code, r.stderr) == (1, "error: month: '11/2026' is not a month (YYYY-MM)\n")


def test_export_of_an_empty_month_is_valid(books):
    assert _ok("export", "ledger", "--month", "2025-01", "--format", "csv").stdout == (
        "date,entry_id,kind,account,debit,credit,customer_id,customer,reference,memo\n"
    )
    loader = pytest.importorskip("beancount.loader")
    assert loader.load_string(_ok("export", "ledger", "--month", "2025-01", "--format", "beancount").stdout)[1] == []


@pytest.mark.parametrize("fmt, ext", [("csv", "csv"), ("json", "json")])
def test_export_customers_matches_golden_file(books, tmp_path, fmt, ext):
    out = tmp_path / f"customers.{ext}"
    r = _ok("export", "customers", "--format", fmt, "-o", str(out))
    assert r.stderr == f"Customers written to {out}.\n"
    golden = GOLDEN / f"customers.{ext}"
    if os.environ.get("WWWTRAK_REGENERATE_GOLDEN") == "1":
        golden.write_bytes(out.read_bytes())
    assert out.read_bytes() == golden.read_bytes()


def test_export_customers_json_has_lookups_and_balances(books):
    rows = _ok("export", "customers", "--format", "json").json
    bob = rows[1]
    assert (bob["id"], bob["type"], bob["company"], bob["tags"], bob["logins"], bob["billing_category"], bob["balance"]) == (
        BOB, "commercial", "Bob's Bait & Tackle", ["fishing"], ["bob", "bobshop"], "small-business", "71.20")
    assert [r["balance"] for r in rows] == ["28.95", "71.20", "15.00"]


@pytest.mark.sqlite_only
def test_backup_and_restore_keep_the_books(books, tmp_path):
    _ok("backup", str(tmp_path / "books.gz"))
    env = {"WWWTRAK_DB": str(tmp_path / "restored.db")}
    _ok("restore", str(tmp_path / "books.gz"), env=env)
    assert _ok("check", env=env).stdout == _ok("check").stdout
    for fmt in ("beancount", "iif"):
        assert _ok("export", "ledger", "--month", "2026-12", "--format", fmt, env=env).stdout == _ok(
            "export", "ledger", "--month", "2026-12", "--format", fmt).stdout
    # new entries continue the numbering after a restore
    assert _ok("payment", "add", ADA, "1.00", "--format", "json", env=env).json["id"] == 7


def test_demo_books_pay_some_invoices_show_aging_and_write_beancount(books, tmp_path):
    from wwwtrak.audit import Actor
    from wwwtrak.ledger_demo import payments_and_aging

    with books:
        sections = dict(payments_and_aging(Actor(1, "root", "superuser", "demo"), tmp_path))
    assert [line.split() for line in sections["Payments"].splitlines()[2:]] == [
        ["7", "1001", "payment", "28.95", "6", "0.00"],
        ["8", "1002", "payment", "35.60", "4", "35.60"],  # then a 5.00 outage credit
    ]
    assert sections["Receivable aging as of 2026-12-31"].splitlines()[-1].split() == ["TOTAL", "15.00", "21.20", "9.40", "0.00", "0.00", "45.60"]
    files = sorted(tmp_path.glob("ledger-*.beancount"))
    assert [f.name for f in files] == [f"ledger-2026-{m}.beancount" for m in ("09", "10", "11", "12")]
    loader = pytest.importorskip("beancount.loader")
    assert all(loader.load_string(f.read_text())[1] == [] for f in files)
    assert sections["Journal"].splitlines()[-1].startswith("ok: 19 journal entries balance")


def test_exports_survive_awkward_names(books, tmp_path):
    name = 'José "Pepe" Müller; Café\tÅrhus 北京'
    odd = books.customer(name, id=1004)
    books.invoice(odd, "2026-12", [("plan", "10.00", True), ("late-fee", "1.00", False)], "6.25")
    _ok("payment", "add", odd, "5.00", "--reference", 'chk "7"; x')
    loader = pytest.importorskip("beancount.loader")
    entries, errors, _ = loader.load_string(_export("2026-12", "beancount", tmp_path).decode())
    assert errors == []
    assert {e.payee for e in entries if getattr(e, "payee", None) and "Pepe" in e.payee} == {'José "Pepe" Müller; Café Århus 北京'}
    iif = _export("2026-12", "iif", tmp_path).decode("cp1252")
    assert "\tPAYMENT\t12/31/2026\tCash:Check\t1004 José 'Pepe' Müller; Café Århus ??\t5.00\tchk '7'; x\t" in iif
    assert all(line.count("\t") <= 9 for line in iif.splitlines())
    if shutil.which("hledger"):
        path = tmp_path / "odd.journal"
        path.write_bytes(_export("2026-12", "ledger", tmp_path))
        r = subprocess.run(["hledger", "-f", str(path), "check", "--strict", "ordereddates", "payees"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_ledger_export_survives_a_bar_in_a_name_and_a_parenthesis_in_a_reference(books, tmp_path):
    # hledger reads 'payee | note' and '(code)': a '|' in a name or a ')' in a check reference split them wrongly.
    odd = books.customer("Bob | Builder", id=1004)
    books.invoice(odd, "2026-12", [("plan", "10.00", False)])
    _ok("payment", "add", odd, "5.00", "--reference", "x) y")
    text = _export("2026-12", "ledger", tmp_path).decode()
    assert "payee Bob / Builder\n" in text
    assert "\n2026-12-31 * (x] y) Bob / Builder | Payment 7 by check x) y\n" in text
    if shutil.which("hledger"):
        path = tmp_path / "bar.journal"
        path.write_text(text)
        r = subprocess.run(["hledger", "-f", str(path), "check", "--strict", "ordereddates", "payees"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def test_an_entry_that_does_not_balance_is_refused_before_anything_is_written(books):
    from datetime import date

    from wwwtrak import db, journal
    from wwwtrak.errors import CheckFailed
    from wwwtrak.journal import Entry, Post
    from wwwtrak.models import JournalEntry

    good = Entry(date(2026, 12, 31), "payment", "fine", (Post("Assets:Cash:Cash", Decimal("1.00")), Post("Assets:Receivable", Decimal("-1.00"))))
    bad = Entry(date(2026, 12, 31), "payment", "Payment 99 by cash", (Post("Assets:Cash:Cash", Decimal("1.00")), Post("Assets:Receivable", Decimal("-0.99"))))
    with books:
        before = JournalEntry.select().count()
        with pytest.raises(CheckFailed) as e:
            with db.atomic():
                journal.write([good, bad])
        assert str(e.value) == ("journal entry 'Payment 99 by cash' does not balance: postings sum to 0.01 "
                                "(Assets:Cash:Cash 1.00, Assets:Receivable -0.99)")
        assert JournalEntry.select().count() == before
        with pytest.raises(CheckFailed, match=r"^journal entry 'x': A 0.005 has a fraction of a cent$"):
            journal.assert_balanced(Entry(date(2026, 12, 31), "payment", "x", (Post("A", Decimal("0.005")), Post("B", Decimal("-0.005")))))
