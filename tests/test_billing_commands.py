"""service, customer subscribe, charge add, billing runs, invoice list/show: their output and errors."""

from __future__ import annotations

import pytest

from billing_fixtures import add_customer, add_plan, bill, invoices, lines
from helpers import invoke, login_as, switch_to_root


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-01T12:00:00-06:00")


def test_service_add_and_list(cli):
    r = invoke("service", "add", "static-ip", "--description", "Static IP address", "--unit-price", "5.00")
    assert (r.exit_code, r.stdout) == (0, "Added service static-ip (Static IP address): 5.00 each, every month, taxable.\n")
    r = invoke("service", "add", "install", "--description", "Installation", "--unit-price", "40", "--unit", "hour", "--one-time", "--not-taxable")
    assert r.stdout == "Added service install (Installation): 40.00 per hour, once, not taxable.\n"
    r = invoke("service", "list", "--format", "json")
    assert r.json == [
        {"code": "install", "description": "Installation", "unit": "hour", "unit_price": "40.00", "recurring": False, "taxable": False},
        {"code": "static-ip", "description": "Static IP address", "unit": "each", "unit_price": "5.00", "recurring": True, "taxable": True},
    ]
    assert invoke("service", "list", "--format", "csv").stdout.splitlines()[0] == "code,description,unit,unit_price,recurring,taxable"


@pytest.mark.parametrize(
    "args, error",
    [
        (["static-ip", "--description", "Again", "--unit-price", "1"], "error: service 'static-ip' already exists\n"),
        (["STATIC-IP", "--description", "Again", "--unit-price", "1"], "error: service 'STATIC-IP' already exists\n"),
        (["vpn", "--description", "VPN", "--unit-price", "1.999"], "error: --unit-price: '1.999' has more than two decimals\n"),
        (["vpn", "--description", "VPN", "--unit-price", "ten"], "error: --unit-price: 'ten' is not an amount of money\n"),
        (["two words", "--description", "VPN", "--unit-price", "1"], "error: code: 'two words' must be one word of at most 32 characters\n"),
        (["vpn", "--description", " ", "--unit-price", "1"], "error: --description: must not be empty\n"),
    ],
)
def test_service_add_refuses_bad_input(cli, args, error):
    assert invoke("service", "add", "static-ip", "--description", "Static IP", "--unit-price", "5.00").exit_code == 0
    r = invoke("service", "add", *args)
    assert (r.exit_code, r.stderr) == (1, error)


def _catalogue():
    assert invoke("service", "add", "static-ip", "--description", "Static IP", "--unit-price", "5.00").exit_code == 0
    assert invoke("service", "add", "install", "--description", "Installation", "--unit-price", "40.00", "--unit", "hour", "--one-time", "--not-taxable").exit_code == 0


def test_subscriptions_are_prorated_priced_and_billed_once_when_one_time(cli, monkeypatch):
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-01T12:00:00-06:00")
    _catalogue()
    c = add_customer(start="2026-01-01", type="commercial")
    r = invoke("customer", "subscribe", c, "static-ip", "--quantity", "2", "--start", "2026-11-15")
    assert (r.exit_code, r.stdout) == (0, f"Subscription 1: customer {c} gets static-ip x 2 at 5.00 from 2026-11-15.\n")
    r = invoke("customer", "subscribe", c, "STATIC-IP", "--price", "4.00", "--start", "2026-11-01", "--end", "2026-12-10")
    assert r.stdout == f"Subscription 2: customer {c} gets static-ip x 1 at 4.00 from 2026-11-01 to 2026-12-10.\n"
    assert invoke("customer", "subscribe", c, "install", "--quantity", "1.5", "--start", "2026-11-03").exit_code == 0
    bill("2026-11")
    (nov,) = invoices("--customer", str(c))
    assert [(ln["description"], ln["amount"], ln["taxable"]) for ln in nov["lines"]] == [
        ("Static IP: 2 x 5.00/month, 2026-11-15 to 2026-11-30: 16 of 30 days", "5.33", True),  # 10.00 x 16/30 = 5.333
        ("Static IP: 1 x 4.00/month, 2026-11-01 to 2026-11-30: 30 of 30 days", "4.00", True),
        ("Installation: 1.5 hour x 40.00", "60.00", False),
    ]
    assert (nov["subtotal"], nov["tax"], nov["total"]) == ("69.33", "0.58", "69.91")  # 6.25% of 9.33 = 0.583
    bill("2026-12")
    assert lines(c, "2026-12") == [("service", "10.00"), ("service", "1.29")]  # 4.00 x 10/31 = 1.290


def test_subscriptions_stop_when_the_customer_closes(cli):
    _catalogue()
    c = add_customer(start="2026-01-01", close="2026-11-10")
    assert invoke("customer", "subscribe", c, "static-ip", "--start", "2026-10-01").exit_code == 0
    bill("2026-11")
    assert lines(c, "2026-11") == [("service", "1.67")]  # 5.00 x 10/30 = 1.667


@pytest.mark.parametrize(
    "args, error",
    [
        (["9999", "static-ip"], "error: customer 9999 does not exist\n"),
        (["{c}", "static-pi"], "error: service 'static-pi' does not exist; did you mean static-ip?\n"),
        (["{c}", "static-ip", "--quantity", "0"], "error: --quantity: '0' must be more than 0\n"),
        (["{c}", "static-ip", "--quantity", "1.255"], "error: --quantity: '1.255' has more than two decimals\n"),
        (["{c}", "static-ip", "--price", "-1"], "error: --price: '-1' must not be negative\n"),
        (["{c}", "static-ip", "--start", "2026-12-10", "--end", "2026-12-01"], "error: --end: 2026-12-01 is before the start 2026-12-10\n"),
        (["{c}", "static-ip", "--start", "2026-11-20"], "error: --start: 2026-11-20 is in 2026-11, which is already billed; date the subscription in an open month\n"),
        (["{c}", "install", "--start", "2026-11-20"], "error: --start: 2026-11-20 is in 2026-11, which is already billed; date the subscription in an open month\n"),
        (["{c}", "static-ip", "--start", "2026-13-01"], "error: --start: '2026-13-01' is not a date (YYYY-MM-DD)\n"),
    ],
)
def test_subscribe_refuses_bad_input_and_billed_months(cli, args, error):
    _catalogue()
    c = add_customer(start="2026-01-01")
    bill("2026-11")
    r = invoke("customer", "subscribe", *[a.format(c=c) for a in args])
    assert (r.exit_code, r.stderr) == (1, error)


def test_a_subscription_reaching_back_over_a_billed_month_is_refused(cli):
    _catalogue()
    c = add_customer(start="2026-01-01")
    bill("2026-10")  # October billed; September still open
    r = invoke("customer", "subscribe", c, "static-ip", "--start", "2026-09-01")
    assert r.stderr == "error: --start: 2026-09-01: the subscription would run through 2026-10, which is already billed; date it in an open month\n"
    assert invoke("customer", "subscribe", c, "static-ip", "--start", "2026-09-01", "--end", "2026-09-30").exit_code == 0


def test_one_time_charges_are_billed_once_in_their_month(cli):
    c = add_customer(start="2026-01-01")
    r = invoke("charge", "add", c, "25.00", "--description", "Replacement modem", "--date", "2026-11-12")
    assert (r.exit_code, r.stdout) == (0, f"Charge 1: 25.00 to customer {c} on 2026-11-12 (Replacement modem), billed with 2026-11.\n")
    assert invoke("charge", "add", c, "5", "--description", "Cable", "--date", "2026-11-30", "--taxable").exit_code == 0
    bill("2026-11")
    (nov,) = invoices("--customer", str(c))
    assert [(ln["description"], ln["amount"], ln["taxable"]) for ln in nov["lines"]] == [
        ("2026-11-12: Replacement modem", "25.00", False),
        ("2026-11-30: Cable", "5.00", True),
    ]
    assert nov["tax"] == "0.31"  # 6.25% of 5.00 = 0.3125
    r = invoke("charge", "add", c, "9.00", "--description", "Late paper bill", "--date", "2026-11-05")
    assert (r.exit_code, r.stderr) == (1, "error: --date: 2026-11-05 is in 2026-11, which is already billed; date the charge in an open month\n")
    r = invoke("charge", "add", c, "9.00", "--description", "Paper bill")  # default today, 2026-12-01
    assert r.stdout == f"Charge 3: 9.00 to customer {c} on 2026-12-01 (Paper bill), billed with 2026-12.\n"


@pytest.mark.parametrize(
    "args, code, error",
    [
        (["{c}", "0", "--description", "x"], 1, "error: AMOUNT: '0' must be more than 0\n"),
        (["{c}", "1.001", "--description", "x"], 1, "error: AMOUNT: '1.001' has more than two decimals\n"),
        (["{c}", "3", "--description", ""], 1, "error: --description: must not be empty\n"),
        (["{c}", "3", "--description", "x", "--date", "11/12/2026"], 1, "error: --date: '11/12/2026' is not a date (YYYY-MM-DD)\n"),
        (["4242", "3", "--description", "x"], 1, "error: customer 4242 does not exist\n"),
    ],
)
def test_charge_add_refuses_bad_input(cli, args, code, error):
    c = add_customer()
    r = invoke("charge", "add", *[a.format(c=c) for a in args])
    assert (r.exit_code, r.stderr) == (code, error)


def _two_invoices():
    plan = add_plan()
    a = add_customer("Ann Lee", plan=plan, start="2026-01-01", address="12 Main St", city="Springfield", postal_code="62701", payment_terms="net-30")
    b = add_customer("Bo Chen", plan=plan, start="2026-11-16")
    bill("2026-10")
    bill("2026-11")
    return a, b


def test_invoice_show_json_has_the_contract_keys(cli):
    a, _ = _two_invoices()
    r = invoke("invoice", "show", "2", "--format", "json")
    assert r.exit_code == 0
    assert r.json == {
        "number": 2, "customer_id": a, "customer_name": "Ann Lee", "period": "2026-11", "issue_date": "2026-12-01",
        "due_date": "2026-12-31", "subtotal": "30.00", "tax_percent": "6.25", "tax": "1.88", "total": "31.88",
        "paid": "0.00", "balance": "31.88", "previous_balance": "31.88", "payments_received": "0.00",
        "lines": [{"description": "Basic plan, 2026-11-01 to 2026-11-30: 30 of 30 days at 30.00/month", "amount": "30.00", "taxable": True, "kind": "plan"}],
    }


def test_customer_show_gives_the_balance_of_the_invoices(cli):
    a, b = _two_invoices()
    assert invoke("customer", "show", a, "--format", "json").json["balance"] == "63.76"
    assert invoke("customer", "show", b, "--format", "json").json["balance"] == "15.94"


def test_invoice_show_renders_a_statement(cli):
    _two_invoices()
    r = invoke("invoice", "show", "2")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        "INVOICE 2",
        "",
        "Customer   1001  Ann Lee",
        "           12 Main St",
        "           Springfield, US-IL 62701",
        "           US",
        "Period     2026-11 (2026-11-01 to 2026-11-30)",
        "Issued     2026-12-01",
        "Due        2026-12-31",
        "",
        "Description                                                               Amount",
        "Basic plan, 2026-11-01 to 2026-11-30: 30 of 30 days at 30.00/month         30.00 T",
        "                                                          Subtotal         30.00",
        "                                       Tax 6.25% on lines marked T          1.88",
        "                                             Total of this invoice         31.88",
        "",
        "                            Previous balance, unpaid on 2026-12-01         31.88",
        "                        Payments received 2026-11-01 to 2026-11-30          0.00",
        "                                              Paid on this invoice          0.00",
        "                                          Amount due by 2026-12-31         63.76",
    ]


def test_invoice_list_filters_by_customer_and_month(cli):
    a, b = _two_invoices()
    assert [(i["number"], i["customer_id"], i["period"]) for i in invoices()] == [(1, a, "2026-10"), (2, a, "2026-11"), (3, b, "2026-11")]
    assert [i["number"] for i in invoices("--customer", str(a))] == [1, 2]
    assert [i["number"] for i in invoices("--month", "2026-11")] == [2, 3]
    assert [i["number"] for i in invoices("--customer", str(b), "--month", "2026-10")] == []
    assert invoices("--customer", str(b))[0]["lines"][0]["amount"] == "15.00"
    table = invoke("invoice", "list", "--month", "2026-11").stdout.splitlines()
    assert table[0].split() == ["number", "customer_id", "customer_name", "period", "issue_date", "due_date", "subtotal", "tax", "total", "paid", "balance"]
    assert table[3].split() == ["3", str(b), "Bo", "Chen", "2026-11", "2026-12-01", "2026-12-01", "15.00", "0.94", "15.94", "0.00", "15.94"]
    csv = invoke("invoice", "list", "--format", "csv", "--customer", str(b)).stdout.splitlines()
    assert csv[1] == f"3,{b},Bo Chen,2026-11,2026-12-01,2026-12-01,15.00,0.94,15.94,0.00,15.94"


@pytest.mark.parametrize(
    "args, error",
    [
        (["show", "99"], "error: invoice 99 does not exist\n"),
        (["show", "99999999999999999999"], "error: invoice 99999999999999999999 does not exist\n"),
        (["list", "--customer", "99"], "error: customer 99 does not exist\n"),
        (["list", "--month", "2026-13"], "error: --month: '2026-13' is not a month (YYYY-MM)\n"),
    ],
)
def test_invoice_errors(cli, args, error):
    r = invoke("invoice", *args)
    assert (r.exit_code, r.stderr) == (1, error)


def test_billing_runs_lists_real_runs_only(cli):
    add_customer(plan=add_plan(), start="2026-01-01")
    assert invoke("billing", "runs").stdout == "No month billed yet.\n"
    bill("2026-10")
    bill("2026-11", "--dry-run")
    r = invoke("billing", "runs", "--format", "json")
    assert r.json == [
        {"month": "2026-10", "at": "2026-12-01T18:00:00+00:00", "operator": "root", "invoices": 1, "first_number": 1,
         "last_number": 1, "subtotal": "30.00", "tax": "1.88", "total": "31.88"}
    ]


def test_roles(cli, isolated):
    add_customer()
    login_as(isolated, "desk", "user")
    assert invoke("invoice", "list").exit_code == 0
    assert invoke("service", "list").exit_code == 0
    r = invoke("billing", "run-month")
    assert (r.exit_code, r.stderr) == (3, "error: 'billing run-month' needs the role superuser or accounting; you are user\n")
    assert invoke("service", "add", "x", "--description", "x", "--unit-price", "1").exit_code == 3
    assert invoke("charge", "add", "1", "1", "--description", "x").exit_code == 3
    switch_to_root(isolated)
    login_as(isolated, "books", "accounting")
    assert invoke("billing", "run-month").exit_code == 0
    assert invoke("billing", "runs").exit_code == 0


def test_changes_are_audited(cli):
    c = add_customer()
    invoke("service", "add", "static-ip", "--description", "Static IP", "--unit-price", "5.00")
    invoke("customer", "subscribe", c, "static-ip", "--start", "2026-12-01")
    invoke("charge", "add", c, "2.00", "--description", "Paper bill")
    invoke("billing", "run-month", "--month", "2026-11")
    r = invoke("audit", "list", "--format", "json")
    assert [(e["target"], e["command"]) for e in r.json][-4:] == [
        ("service static-ip", "service add"),
        (f"customer {c}", "customer subscribe"),
        (f"customer {c}", "charge add"),
        ("billing run 2026-11", "billing run-month"),
    ]
