"""The ledger with real month-end runs: the README's worked example, paid, part-paid, paid ahead and voided.

Ann Lee's November 2026 invoice (number 1, issued 2026-12-01, due 2026-12-31)
is 55.73: plan 9.31, setup 25.00, static IP 1.83, router 12.50, usage 4.55,
tax 2.54. Unpaid, December's invoice (issued 2027-01-01) is 37.35 with a late
fee of 10.84 (README). Paid, December is plan 19.95 + IP 5.00 = 24.95, tax
6.25% of 24.95 = 1.56, total 26.51.
"""

from __future__ import annotations

import pytest

from billing_fixtures import add_customer, add_plan, add_session, bill, invoices
from helpers import invoke


def _ok(*args):
    r = invoke(*args)
    assert r.exit_code == 0, (args, r.stderr)
    return r


@pytest.fixture
def ann(cli, monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-20T12:00:00-06:00")
    plan = add_plan("dialup", "Basic Dial-up", monthly_fee="19.95", setup_fee="25.00", included_hours="10", overage_per_hour="3.00")
    ann = add_customer("Ann Lee", start="2026-11-17", plan=plan, payment_terms="net-30")
    _ok("service", "add", "static-ip", "--description", "Static IP address", "--unit-price", "5.00")
    _ok("customer", "subscribe", ann, "static-ip", "--start", "2026-11-20")
    _ok("charge", "add", ann, "12.50", "--description", "Replacement router", "--date", "2026-11-25")
    add_session(ann, "2026-11-28T21:00:00", seconds=11 * 3600 + 30 * 60 + 20)
    bill("2026-11")
    return ann


def _december(ann, monkeypatch) -> dict:
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T06:00:00-06:00")
    bill("2026-12")
    return invoices("--customer", str(ann), "--month", "2026-12")[0]


def test_month_end_posts_each_invoice_to_the_journal(ann):
    r = _ok("report", "revenue", "--month", "2026-11", "--format", "json")
    assert r.json == {
        "month": "2026-11",
        "accounts": [{"account": "Income:Charges", "amount": "12.50"}, {"account": "Income:Plans", "amount": "9.31"},
                     {"account": "Income:Services", "amount": "1.83"}, {"account": "Income:Setup fees", "amount": "25.00"},
                     {"account": "Income:Usage", "amount": "4.55"}],
        "total": "53.19", "sales_tax": "2.54", "invoiced": "55.73",
    }
    rows = _ok("export", "ledger", "--month", "2026-11", "--format", "csv").stdout.splitlines()
    assert rows[1:] == [
        "2026-12-01,1,invoice,Assets:Receivable,55.73,,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Income:Charges,,12.50,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Income:Plans,,9.31,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Income:Services,,1.83,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Income:Setup fees,,25.00,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Income:Usage,,4.55,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
        "2026-12-01,1,invoice,Liabilities:SalesTax:US-IL,,2.54,1001,Ann Lee,invoice 1,Invoice 1 for 2026-11",
    ]
    assert _ok("check").stdout.startswith("ok: 1 journal entries balance; 1 invoices equal their lines plus tax;")
    assert _ok("customer", "show", ann, "--format", "json").json["balance"] == "55.73"


def test_paid_in_full_no_late_fee_and_invoice_show_paid(ann, monkeypatch):
    _ok("payment", "add", ann, "55.73", "--reference", "101")
    nov = _ok("invoice", "show", "1", "--format", "json").json
    assert (nov["total"], nov["paid"], nov["balance"]) == ("55.73", "55.73", "0.00")
    dec = _december(ann, monkeypatch)
    assert [ln["amount"] for ln in dec["lines"]] == ["19.95", "5.00"]
    assert (dec["previous_balance"], dec["subtotal"], dec["tax"], dec["total"], dec["paid"], dec["balance"]) == (
        "0.00", "24.95", "1.56", "26.51", "0.00", "26.51")
    assert dec["payments_received"] == "55.73"  # December's statement: received 2026-12-01 to 2026-12-31
    _ok("check")


def test_part_paid_the_late_fee_is_on_what_is_left(ann, monkeypatch):
    _ok("payment", "add", ann, "20.00", "--method", "cash")
    dec = _december(ann, monkeypatch)
    # 10.00 + 1.5% of 35.73 = 10.53595
    assert [(ln["description"], ln["amount"]) for ln in dec["lines"]][2:] == [("Late fee: 10.00 + 1.5% of 35.73 overdue (invoice 1)", "10.54")]
    assert (dec["previous_balance"], dec["subtotal"], dec["tax"], dec["total"]) == ("35.73", "35.49", "1.56", "37.05")
    aging = _ok("report", "aging", "--as-of", "2027-01-02", "--format", "json").json
    assert aging["customers"][0] | {"name": None} == {
        "customer_id": ann, "name": None, "current": "37.05", "days_1_30": "35.73", "days_31_60": "0.00", "days_61_90": "0.00",
        "days_over_90": "0.00", "credit": "0.00", "total": "72.78",
    }


def test_paid_ahead_the_credit_pays_the_next_invoice_at_month_end(ann, monkeypatch):
    r = _ok("payment", "add", ann, "100.00", "--method", "card", "--format", "json")
    assert (r.json["credit"], r.json["balance"]) == ("44.27", "-44.27")
    dec = _december(ann, monkeypatch)
    assert (dec["total"], dec["paid"], dec["balance"]) == ("26.51", "26.51", "0.00")
    show = _ok("customer", "show", ann, "--format", "json").json
    assert (show["balance"], show["credit"], show["open_invoices"]) == ("-17.76", "17.76", [])
    _ok("check")


def test_a_voided_payment_reopens_the_invoice_and_the_late_fee_follows(ann, monkeypatch):
    _ok("payment", "add", ann, "55.73", "--reference", "101")
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-28T12:00:00-06:00")
    _ok("payment", "void", "1")
    dec = _december(ann, monkeypatch)
    assert [ln["amount"] for ln in dec["lines"]] == ["19.95", "5.00", "10.84"]  # as in the README's example
    assert dec["previous_balance"] == "55.73"
    assert _ok("report", "aging", "--as-of", "2026-12-27", "--format", "json").json["customers"] == []
    _ok("check")


def test_a_dry_run_posts_nothing(ann, monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T06:00:00-06:00")
    assert bill("2026-12", "--dry-run")["invoices"] == 1
    assert _ok("export", "ledger", "--month", "2026-12", "--format", "csv").stdout.count("\n") == 1  # the header only


def test_a_payment_dated_before_the_due_date_but_entered_after_a_later_one_counts_against_the_late_fee(ann, monkeypatch):
    # The November invoice (55.73, due 2026-12-31) is paid by a check dated 2026-12-10 that is only
    # entered on 2027-01-03, after a card payment of 30.00 dated 2027-01-02. December is billed late,
    # on 2027-01-04: the check was received before the issue date, so nothing was overdue on it.
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-03T12:00:00-06:00")
    _ok("payment", "add", ann, "30.00", "--method", "card", "--date", "2027-01-02")
    _ok("payment", "add", ann, "55.73", "--reference", "4411", "--date", "2026-12-10")
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-04T06:00:00-06:00")
    bill("2026-12")
    dec = invoices("--customer", str(ann), "--month", "2026-12")[0]
    assert [ln["amount"] for ln in dec["lines"]] == ["19.95", "5.00"]  # no late fee
    assert (dec["previous_balance"], dec["total"]) == ("0.00", "26.51")
    _ok("check")


def test_tax_posts_to_the_jurisdiction_whose_rate_was_charged(cli, monkeypatch):
    # Illinois' rate is deactivated and the country has one: the 5% charged is the US rate, so it is owed to US.
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-02T06:00:00-06:00")
    _ok("lookup", "add", "tax-rate", "us", "United States", "--set", "country=US", "--set", "percent=5")
    _ok("lookup", "deactivate", "tax-rate", "us-il")
    c = add_customer("Ill Noy", start="2026-11-01", plan=add_plan(monthly_fee="100.00"))
    bill("2026-11")
    assert invoices("--customer", str(c))[0]["tax"] == "5.00"
    rows = _ok("export", "ledger", "--month", "2026-11", "--format", "csv").stdout.splitlines()
    assert [r.split(",")[3:6] for r in rows[1:]] == [
        ["Assets:Receivable", "105.00", ""], ["Income:Plans", "", "100.00"], ["Liabilities:SalesTax:US", "", "5.00"],
    ]


def test_aging_of_a_past_day_agrees_with_the_journal_after_a_void_and_a_backdated_payment(ann, monkeypatch):
    # Check 101 (dated 2026-12-10) pays November's 55.73; on 2027-01-05 it bounces and is voided, and a
    # replacement check dated 2026-12-15 is entered. On 2026-12-20 both checks were held: the customer was
    # 55.73 in credit, as the journal says; the replacement may not count as paying the invoice before the void.
    _ok("payment", "add", ann, "55.73", "--reference", "101", "--date", "2026-12-10")
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-05T12:00:00-06:00")
    _ok("payment", "void", "1")
    _ok("payment", "add", ann, "55.73", "--reference", "102", "--date", "2026-12-15")
    for day, total, credit in (("2026-12-20", "-55.73", "55.73"), ("2027-01-05", "0.00", None)):
        rows = _ok("report", "aging", "--as-of", day, "--format", "json").json["customers"]
        assert [(r["total"], r["credit"]) for r in rows] == ([(total, credit)] if credit else [])
    _ok("check")
