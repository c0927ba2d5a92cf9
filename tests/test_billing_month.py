"""Month-end invoices against values computed by hand from BILLING.md (zone America/Chicago)."""

from __future__ import annotations

import pytest

from billing_fixtures import add_customer, add_plan, add_price, add_session, bill, invoices, lines, link_login
from helpers import invoke


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    # every month used below is over
    monkeypatch.setenv("WWWTRAK_NOW", "2029-01-01T12:00:00-06:00")


@pytest.mark.parametrize(
    "month, start, expected, description",
    [
        # a 30.00 plan from the 10th of the month
        ("2026-02", "2026-02-10", "20.36", "Basic plan, 2026-02-10 to 2026-02-28: 19 of 28 days at 30.00/month"),  # 30 x 19/28 = 20.357
        ("2028-02", "2028-02-10", "20.69", "Basic plan, 2028-02-10 to 2028-02-29: 20 of 29 days at 30.00/month"),  # 30 x 20/29 = 20.690
        ("2026-04", "2026-04-10", "21.00", "Basic plan, 2026-04-10 to 2026-04-30: 21 of 30 days at 30.00/month"),  # 30 x 21/30
        ("2026-03", "2026-03-10", "21.29", "Basic plan, 2026-03-10 to 2026-03-31: 22 of 31 days at 30.00/month"),  # 30 x 22/31 = 21.290
    ],
)
def test_proration_in_28_29_30_and_31_day_months(cli, month, start, expected, description):
    c = add_customer(plan=add_plan(), start=start)
    assert bill(month)["invoices"] == 1
    (inv,) = invoices("--customer", str(c))
    assert [(ln["description"], ln["amount"], ln["taxable"]) for ln in inv["lines"]] == [(description, expected, True)]


def test_start_and_close_on_the_first_and_last_day_and_in_the_same_month(cli):
    plan = add_plan()  # 30.00 a month, November has 30 days: 1.00 a day
    whole_from_first = add_customer("From the 1st", start="2026-11-01", plan=plan)
    from_last = add_customer("From the 30th", start="2026-11-30", plan=plan)
    to_first = add_customer("To the 1st", start="2026-01-01", close="2026-11-01", plan=plan)
    to_last = add_customer("To the 30th", start="2026-01-01", close="2026-11-30", plan=plan)
    same_month = add_customer("10th to 20th", start="2026-11-10", close="2026-11-20", plan=plan)
    closed_before = add_customer("Closed in October", start="2026-01-01", close="2026-10-31", plan=plan)
    not_yet = add_customer("From December", start="2026-12-01", plan=plan)

    nov = bill("2026-11")
    assert (nov["invoices"], nov["subtotal"]) == (5, "73.00")
    assert lines(whole_from_first, "2026-11") == [("plan", "30.00")]
    assert lines(from_last, "2026-11") == [("plan", "1.00")]
    assert lines(to_first, "2026-11") == [("plan", "1.00")]
    assert lines(to_last, "2026-11") == [("plan", "30.00")]
    assert lines(same_month, "2026-11") == [("plan", "11.00")]
    assert lines(closed_before, "2026-11") == lines(not_yet, "2026-11") == []

    dec = bill("2026-12")  # closed customers are never billed after their close date
    assert [(i["number"], i["customer_id"], i["total"]) for i in invoices("--month", "2026-12")] == [
        (6, whole_from_first, "31.88"),  # 30.00 + 6.25% tax 1.875 -> 1.88
        (7, from_last, "31.88"),
        (8, not_yet, "31.88"),
    ]
    assert dec["total"] == "95.64"


def test_plan_price_change_takes_effect_from_its_month_also_for_late_usage(cli):
    plan = add_plan(monthly_fee="30.00", effective="2026-01", included_hours="10", overage_per_hour="3.00")
    add_price(plan, "2026-06", monthly_fee="40.00", included_hours="20", overage_per_hour="6.00")
    c = add_customer(start="2026-01-01", plan=plan, logins=["bob"])
    bill("2026-05")
    bill("2026-06")
    assert lines(c, "2026-05") == [("plan", "30.00")]
    assert lines(c, "2026-06") == [("plan", "40.00")]
    # 11 hours of May arrive after May was billed: May's allowance (10 h) and rate (3.00/h) apply
    add_session(c, "2026-05-20T10:00:00", seconds=11 * 3600, login="bob")
    bill("2026-07")
    (inv,) = invoices("--customer", str(c), "--month", "2026-07")
    assert [(ln["description"], ln["amount"]) for ln in inv["lines"]] == [
        ("Basic plan, 2026-07-01 to 2026-07-31: 31 of 31 days at 40.00/month", "40.00"),
        ("late usage for 2026-05: Time over 10 h included: 60 min at 3.00/hour (used 11:00:00) = 3.00, less 0.00 billed before", "3.00"),
    ]


def test_late_usage_of_a_month_without_sessions_is_priced_by_the_plan_that_billed_it(cli):
    big = add_plan("big", "Big", monthly_fee="30.00", included_gb="50", overage_per_gb="1.00", taxable=False)
    tiny = add_plan("tiny", "Tiny", monthly_fee="5.00", included_gb="0", overage_per_gb="1000.00", taxable=False)
    c = add_customer(start="2026-01-01", plan=big, logins=["dan"])
    bill("2026-10")  # October on Big, no sessions in it
    assert lines(c, "2026-10") == [("plan", "30.00")]
    assert invoke("customer", "edit", str(c), "--plan", tiny).exit_code == 0  # Tiny from November
    # 1 GB of October arrives late: within Big's 50 GB, so nothing to bill (Tiny would make it 1000.00)
    add_session(c, "2026-10-20T10:00:00", seconds=60, bytes_in=10**9, login="dan")
    bill("2026-11")
    assert lines(c, "2026-11") == [("plan", "5.00")]


def test_late_usage_of_a_month_billed_without_a_plan_bills_no_usage(cli):
    tiny = add_plan("tiny", "Tiny", monthly_fee="5.00", included_gb="0", overage_per_gb="1000.00", taxable=False)
    c = add_customer("Acme", start="2026-01-01", logins=["acme"])  # commercial: no plan, no usage billed
    bill("2026-10")
    r = invoke("customer", "edit", str(c), "--type", "individual", "--plan", tiny)
    assert r.exit_code == 0, r.stderr
    add_session(c, "2026-10-20T10:00:00", seconds=60, bytes_in=10**9, login="acme")  # October had no plan to bill it
    bill("2026-11")
    assert lines(c, "2026-11") == [("plan", "5.00")]


def test_prices_of_a_billed_month_cannot_be_changed_so_late_usage_is_priced_as_billed(cli):
    plan = add_plan(monthly_fee="30.00", effective="2026-01", included_hours="10", overage_per_hour="3.00")
    c = add_customer(start="2026-01-01", plan=plan)
    add_session(c, "2026-11-20T10:00:00", seconds=11 * 3600)
    bill("2026-11")
    assert lines(c, "2026-11") == [("plan", "30.00"), ("time", "3.00")]  # 60 min over at 3.00/hour
    for month in ("2026-11", "2026-01"):
        r = invoke("plan", "edit", plan, "--overage-per-hour", "6.00", "--effective", month)
        assert (r.exit_code, r.stderr) == (1, f"error: effective: {month}: the new prices of plan basic would hold in 2026-11, which is already billed; make them effective from an open month\n")
    assert invoke("plan", "edit", plan, "--name", "Basic dial-up").exit_code == 0  # the name is not tied to a month
    assert invoke("plan", "edit", plan, "--overage-per-hour", "6.00", "--effective", "2026-12").exit_code == 0
    add_session(c, "2026-11-21T10:00:00", seconds=60)  # one more minute of November arrives late
    bill("2026-12")
    assert lines(c, "2026-12") == [("plan", "30.00"), ("late-time", "0.05")]  # 61 min at 3.00/hour = 3.05, less 3.00
    # a plan first priced from an open month, with no customer before it, may still have its first prices corrected
    add_plan("new", "New", monthly_fee="50.00", effective="2027-01")
    assert invoke("plan", "edit", "new", "--monthly-fee", "45.00", "--effective", "2027-01").exit_code == 0


def test_a_plan_priced_after_the_customer_started_bills_its_first_price(cli):
    plan = add_plan(monthly_fee="25.00", effective="2026-08")
    c = add_customer(start="2026-05-01", plan=plan)
    bill("2026-05")
    assert lines(c, "2026-05") == [("plan", "25.00")]


def test_time_usage_at_one_second_over_and_far_over_the_allowance(cli):
    free = add_plan("dialup", "Dial-up", monthly_fee="0.00", included_hours="10", overage_per_hour="3.00", taxable=False)
    at = add_customer("At the allowance", plan=free)
    one_over = add_customer("One second over", plan=free)
    far_over = add_customer("Far over", plan=free)
    add_session(at, "2026-11-05T10:00:00", seconds=18000)
    add_session(at, "2026-11-06T10:00:00", seconds=18000)  # 10 h exactly, over two sessions
    add_session(one_over, "2026-11-05T10:00:00", seconds=18000)
    add_session(one_over, "2026-11-06T10:00:00", seconds=18001)
    add_session(far_over, "2026-11-05T10:00:00", seconds=36000 + 1_000_000)

    result = bill("2026-11")
    # nothing to pay at the allowance: no invoice and no number used for it
    assert [(i["number"], i["customer_id"]) for i in invoices()] == [(1, one_over), (2, far_over)]
    (inv,) = invoices("--customer", str(one_over))
    assert [(ln["description"], ln["amount"]) for ln in inv["lines"]] == [
        ("Time over 10 h included: 1 min at 3.00/hour (used 10:00:01)", "0.05")
    ]
    assert lines(far_over, "2026-11") == [("time", "833.35")]  # 16,666.67 min -> 16,667 x 0.05
    assert (result["invoices"], result["total"]) == (2, "833.40")


def test_data_usage_at_one_byte_over_and_with_gigaword_counters(cli):
    plan = add_plan("dsl", "DSL", monthly_fee="0.00", included_gb="10", overage_per_gb="10.00", taxable=False)
    at = add_customer("At 10 GB", plan=plan)
    one_over = add_customer("One byte over", plan=plan)
    gigawords = add_customer("Gigawords", plan=plan)
    add_session(at, "2026-11-05T10:00:00", bytes_in=4 * 10**9, bytes_out=6 * 10**9)
    add_session(one_over, "2026-11-05T10:00:00", bytes_in=4 * 10**9, bytes_out=6 * 10**9 + 1)
    # Acct-Input-Gigawords=5, Acct-Input-Octets=123: 5 x 2^32 + 123 = 21,474,836,603 bytes
    add_session(gigawords, "2026-11-05T10:00:00", bytes_in=5 * 2**32 + 123)
    bill("2026-11")
    assert lines(at, "2026-11") == []
    assert lines(one_over, "2026-11") == [("data", "0.01")]  # one MB at 10.00/1000
    (inv,) = invoices("--customer", str(gigawords))
    assert [(ln["description"], ln["amount"]) for ln in inv["lines"]] == [
        ("Data over 10 GB included: 11475 MB at 10.00/GB (used 21,474,836,603 bytes)", "114.75")  # 11,474.84 MB over
    ]


def test_a_session_belongs_to_the_month_it_stopped_in(cli):
    plan = add_plan(monthly_fee="0.00", included_hours="1", overage_per_hour="6.00", taxable=False)
    c = add_customer(plan=plan)
    add_session(c, "2026-11-01T01:00:00", seconds=7200, start="2026-10-31T23:00:00")
    bill("2026-10")
    bill("2026-11")
    assert lines(c, "2026-10") == []
    assert lines(c, "2026-11") == [("time", "6.00")]  # 2 h - 1 h = 60 min x 0.10


@pytest.mark.parametrize(
    "stops, months",
    [
        # November 2026: daylight saving ends on the 1st at 2:00 (CDT -5 -> CST -6)
        (["2026-10-31T23:59:59", "2026-11-01T00:00:00", "2026-11-30T23:59:59", "2026-12-01T00:00:00"], ["2026-10", "2026-11", "2026-12"]),
        # March 2026: daylight saving starts on the 8th (CST -6 -> CDT -5)
        (["2026-02-28T23:59:59", "2026-03-01T00:00:00", "2026-03-31T23:59:59", "2026-04-01T00:00:00"], ["2026-02", "2026-03", "2026-04"]),
    ],
)
def test_sessions_near_midnight_at_the_month_boundary_in_the_isps_zone(cli, stops, months):
    plan = add_plan(monthly_fee="0.00", included_hours="0", overage_per_hour="60.00", taxable=False)  # 1.00 a minute
    c = add_customer(plan=plan)
    for minutes, stop in zip((1, 2, 4, 8), stops):
        add_session(c, stop, seconds=60 * minutes)
    for month in months:
        bill(month)
    # the month before gets the minute ending 23:59:59; the month gets 00:00:00 to 23:59:59 on its last day
    assert [lines(c, m) for m in months] == [[("time", "1.00")], [("time", "6.00")], [("time", "8.00")]]


def test_tax_is_rounded_once_per_invoice_and_not_charged_to_exempt_customers(cli):
    illinois = add_customer("Illinois", state="US-IL")
    exempt = add_customer("Church", state="US-IL", tax_exempt="IL-EX-1234")
    new_york = add_customer("New York", state="US-NY")
    canada = add_customer("Canada", country="CA", state="CA-ON")
    for c in (illinois, exempt, new_york, canada):
        for _ in range(5):
            assert invoke("charge", "add", c, "0.10", "--description", "Mailbox day", "--date", "2026-11-03", "--taxable").exit_code == 0
        assert invoke("charge", "add", c, "1.00", "--description", "Printed bill", "--date", "2026-11-04").exit_code == 0
    bill("2026-11")
    summary = {i["customer_id"]: (i["subtotal"], i["tax_percent"], i["tax"], i["total"]) for i in invoices()}
    assert summary == {
        illinois: ("1.50", "6.25", "0.03", "1.53"),  # 6.25% of 0.50 = 0.03125; line by line it would be 0.05
        exempt: ("1.50", "0", "0.00", "1.50"),
        new_york: ("1.50", "4", "0.02", "1.52"),
        canada: ("1.50", "0", "0.00", "1.50"),
    }


def test_late_fee_on_an_unpaid_earlier_invoice(cli):
    plan = add_plan()  # 30.00, taxable; Illinois 6.25%
    c = add_customer(start="2026-01-01", plan=plan, payment_terms="net-15")  # 15 days, 5.00 + 1.5%
    patient = add_customer("Net 60", start="2026-01-01", plan=plan, payment_terms="net-60")
    bill("2026-10")
    (oct_,) = invoices("--customer", str(c))
    assert (oct_["issue_date"], oct_["due_date"], oct_["total"]) == ("2026-11-01", "2026-11-16", "31.88")
    bill("2026-11")
    (nov,) = invoices("--customer", str(c), "--month", "2026-11")
    assert [(ln["description"], ln["amount"], ln["taxable"]) for ln in nov["lines"]][1:] == [
        ("Late fee: 5.00 + 1.5% of 31.88 overdue (invoice 1)", "5.48", False)  # 5.00 + 0.4782
    ]
    assert (nov["previous_balance"], nov["subtotal"], nov["tax"], nov["total"]) == ("31.88", "35.48", "1.88", "37.36")
    # net 60: the October invoice is due 2026-12-31, not overdue on 2026-12-01
    assert lines(patient, "2026-11") == [("plan", "30.00")]
    bill("2026-12")
    dec_lines = lines(c, "2026-12")
    assert dec_lines[-1] == ("late-fee", "6.04")  # 5.00 + 1.5% of (31.88 + 37.36) = 5.00 + 1.0386


def test_closed_customers_get_no_late_fee_after_closing(cli):
    c = add_customer(start="2026-01-01", close="2026-10-15", plan=add_plan(), payment_terms="net-15")
    bill("2026-10")
    bill("2026-11")
    assert lines(c, "2026-10") == [("plan", "14.52")]  # 15 of 31 days: 30 x 15/31 = 14.516
    assert invoices("--month", "2026-11") == []


def test_closed_customers_are_not_billed_usage_of_months_after_closing(cli):
    # closed on 30 September with the login kept: sessions that end in October or later are not billed,
    # neither by October's run nor later as late usage; September's own usage is.
    c = add_customer(start="2026-09-01", close="2026-09-30", plan=add_plan(monthly_fee="10.00", included_hours="1", overage_per_hour="6.00"))
    add_session(c, "2026-09-30T23:00:00", seconds=3 * 3600)
    add_session(c, "2026-10-05T12:00:00", seconds=4 * 3600)
    bill("2026-09")
    bill("2026-10")
    assert lines(c, "2026-09") == [("plan", "10.00"), ("time", "12.00")]  # 120 min over at 6.00/hour
    assert invoices("--month", "2026-10") == []
    add_session(c, "2026-10-20T12:00:00", seconds=2 * 3600)  # a late file for October
    bill("2026-11")
    assert invoices("--month", "2026-11") == []


def test_setup_fee_only_in_the_start_month(cli):
    plan = add_plan(monthly_fee="30.00", setup_fee="25.00")
    c = add_customer(start="2026-11-16", plan=plan)
    bill("2026-11")
    bill("2026-12")
    assert lines(c, "2026-11") == [("plan", "15.00"), ("setup", "25.00")]
    assert lines(c, "2026-12") == [("plan", "30.00")]


def test_a_start_date_in_or_moved_across_a_billed_month_is_refused(cli):
    # November is billed with the setup fee; moving the start to December would bill it again,
    # and a customer added late with a start in November would never be billed November's days or setup.
    plan = add_plan(monthly_fee="30.00", setup_fee="25.00")
    c = add_customer(start="2026-11-17", plan=plan)
    bill("2026-11")
    assert lines(c, "2026-11") == [("plan", "14.00"), ("setup", "25.00")]
    r = invoke("customer", "edit", c, "--start-date", "2026-12-05")
    assert (r.exit_code, r.stderr) == (1, "error: start_date: 2026-12-05 (from 2026-11-17) reaches 2026-11, which is already billed; date the start in an open month\n")
    r = invoke("customer", "add", "--type", "individual", "--name", "Late Entry", "--plan", plan, "--state", "US-IL", "--start-date", "2026-11-28")
    assert (r.exit_code, r.stderr) == (1, "error: start_date: 2026-11-28 reaches 2026-11, which is already billed; date the start in an open month\n")
    assert invoke("customer", "edit", c, "--phone", "+1 312 555 0123").exit_code == 0  # other edits are fine
    late = add_customer("On time", start="2026-12-01", plan=plan)
    assert invoke("customer", "edit", late, "--start-date", "2026-12-10").exit_code == 0  # December is open
    bill("2026-12")
    assert lines(c, "2026-12") == [("plan", "30.00")]
    assert lines(late, "2026-12") == [("plan", "21.29"), ("setup", "25.00")]  # 30 x 22/31 = 21.290


def test_late_records_are_billed_once_as_a_difference_naming_their_month(cli):
    plan = add_plan(monthly_fee="10.00", included_hours="1", overage_per_hour="6.00", taxable=False)
    bob = add_customer("Bob", plan=plan, logins=["bob"])
    carol = add_customer("Carol", plan=plan)
    add_session(bob, "2026-10-10T10:00:00", seconds=7200, login="bob")
    bill("2026-10")
    assert lines(bob, "2026-10") == [("plan", "10.00"), ("time", "6.00")]
    # after October was billed: a late detail file for bob, and carol's login linked to her
    add_session(bob, "2026-10-20T10:00:00", seconds=1800, login="bob")
    add_session(None, "2026-10-21T10:00:00", seconds=5400, login="carol")
    link_login(carol, "carol")
    bill("2026-11")
    (nov,) = invoices("--customer", str(bob), "--month", "2026-11")
    assert [(ln["description"], ln["amount"]) for ln in nov["lines"]] == [
        ("Basic plan, 2026-11-01 to 2026-11-30: 30 of 30 days at 10.00/month", "10.00"),
        ("late usage for 2026-10: Time over 1 h included: 90 min at 6.00/hour (used 2:30:00) = 9.00, less 6.00 billed before", "3.00"),
    ]
    assert lines(carol, "2026-11") == [("plan", "10.00"), ("late-time", "3.00")]
    bill("2026-12")  # the difference is billed once
    assert lines(bob, "2026-12") == lines(carol, "2026-12") == [("plan", "10.00")]


def test_late_records_within_the_allowance_bill_nothing_and_are_not_counted_again(cli):
    plan = add_plan(monthly_fee="0.00", included_hours="10", overage_per_hour="6.00")
    c = add_customer(plan=plan)
    add_session(c, "2026-10-10T10:00:00", seconds=3600)
    bill("2026-10")
    add_session(c, "2026-10-11T10:00:00", seconds=3600)
    assert bill("2026-11")["invoices"] == 0
    add_session(c, "2026-10-12T10:00:00", seconds=9 * 3600)  # now 11 h in October: 60 min over
    bill("2026-12")
    assert lines(c, "2026-12") == [("late-time", "6.00")]


def test_the_readme_worked_example(cli):
    plan = add_plan("dialup", "Basic Dial-up", monthly_fee="19.95", setup_fee="25.00", included_hours="10", overage_per_hour="3.00")
    ann = add_customer("Ann Lee", start="2026-11-17", plan=plan, payment_terms="net-30")
    assert invoke("service", "add", "static-ip", "--description", "Static IP address", "--unit-price", "5.00").exit_code == 0
    assert invoke("customer", "subscribe", ann, "static-ip", "--start", "2026-11-20").exit_code == 0
    assert invoke("charge", "add", ann, "12.50", "--description", "Replacement router", "--date", "2026-11-25").exit_code == 0
    add_session(ann, "2026-11-28T21:00:00", seconds=11 * 3600 + 30 * 60 + 20)
    bill("2026-11")
    bill("2026-12")
    nov, dec = invoices("--customer", str(ann))
    assert [(ln["description"], ln["amount"]) for ln in nov["lines"]] == [
        ("Basic Dial-up plan, 2026-11-17 to 2026-11-30: 14 of 30 days at 19.95/month", "9.31"),
        ("Basic Dial-up plan setup fee", "25.00"),
        ("Static IP address: 1 x 5.00/month, 2026-11-20 to 2026-11-30: 11 of 30 days", "1.83"),
        ("2026-11-25: Replacement router", "12.50"),
        ("Time over 10 h included: 91 min at 3.00/hour (used 11:30:20)", "4.55"),
    ]
    assert (nov["subtotal"], nov["tax"], nov["total"], nov["due_date"]) == ("53.19", "2.54", "55.73", "2026-12-31")
    assert [(ln["description"], ln["amount"]) for ln in dec["lines"]][2:] == [
        ("Late fee: 10.00 + 1.5% of 55.73 overdue (invoice 1)", "10.84")
    ]
    assert (dec["previous_balance"], dec["subtotal"], dec["tax"], dec["total"]) == ("55.73", "35.79", "1.56", "37.35")
