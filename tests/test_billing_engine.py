"""Laws of the billing engine, checked on generated months (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from wwwtrak.billing import engine, rules
from wwwtrak.billing.engine import Account, BilledMonth, MonthFacts, OneTimeCharge, PlanPrice, Usage
from wwwtrak.period import Period

NOV = Period(2026, 11)
money = st.integers(min_value=0, max_value=100_000).map(lambda c: D(c).scaleb(-2))
days = st.integers(min_value=-40, max_value=70).map(lambda n: NOV.first_day + timedelta(days=n))


@st.composite
def prices(draw, plan_id=1):
    return PlanPrice(
        plan_id=plan_id, plan_name="Plan", effective="2026-01", monthly_fee=draw(money), setup_fee=draw(money),
        included_seconds=draw(st.none() | st.integers(min_value=0, max_value=400_000)), overage_per_hour=draw(money),
        included_bytes=draw(st.none() | st.integers(min_value=0, max_value=10**11)), overage_per_gb=draw(money),
        taxable=draw(st.booleans()),
    )


@st.composite
def months(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    customers, charges, usage = [], {}, {}
    for cid in range(1, n + 1):
        start = draw(days)
        close = draw(st.none() | days.filter(lambda d, s=start: d >= s))
        customers.append(Account(cid, start, close, plan_id=draw(st.sampled_from([None, 1])), country="US",
                                 state="US-IL", tax_exempt=draw(st.booleans())))
        charges[cid] = [OneTimeCharge(k, cid, draw(days), "x", draw(money), draw(st.booleans())) for k in range(draw(st.integers(0, 3)))]
        usage[cid] = Usage(draw(st.integers(0, 10**6)), draw(st.integers(0, 10**12)))
    percent = draw(st.integers(min_value=0, max_value=150_000).map(lambda p: D(p).scaleb(-4)))
    return MonthFacts(NOV, customers, prices={1: [draw(prices())]}, charges=charges, usage=usage,
                      tax_rates={("US", "US-IL"): percent})


@settings(max_examples=200)
@given(months())
def test_every_invoice_is_its_lines_plus_tax_rounded_once(facts):
    bill = engine.bill_month(facts)
    customers = {c.id: c for c in facts.customers}
    assert [i.customer_id for i in bill.invoices] == sorted({i.customer_id for i in bill.invoices})
    for inv in bill.invoices:
        assert inv.lines and all(line.amount != 0 for line in inv.lines)
        assert inv.subtotal == sum(line.amount for line in inv.lines)
        percent = D(0) if customers[inv.customer_id].tax_exempt else facts.tax_rates[("US", "US-IL")]
        assert inv.tax == rules.tax(sum((ln.amount for ln in inv.lines if ln.taxable), D(0)), percent)
        assert inv.total == inv.subtotal + inv.tax
        assert all(line.amount == line.amount.quantize(D("0.01")) for line in inv.lines)
    assert bill.total == bill.subtotal + bill.tax


@given(prices(), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**12), st.integers(0, 10**12))
def test_a_late_difference_brings_the_month_to_what_all_its_sessions_cost(price, s1, s2, b1, b2):
    customer = Account(1, date(2026, 1, 1), plan_id=1)
    billed = engine.bill_month(MonthFacts(NOV, [customer], prices={1: [price]}, usage={1: Usage(s1, b1)})).usage[0]
    late = BilledMonth(1, NOV, 1, Usage(billed.seconds, billed.bytes), Usage(s1 + s2, b1 + b2), billed.time_amount, billed.data_amount)
    later = engine.bill_month(MonthFacts(NOV.next(), [customer], prices={1: [price]}, late_usage={1: [late]}))
    difference = sum((ln.amount for inv in later.invoices for ln in inv.lines if ln.kind.startswith("late-")), D(0))
    at_once = engine.bill_month(MonthFacts(NOV, [customer], prices={1: [price]}, usage={1: Usage(s1 + s2, b1 + b2)})).usage[0]
    assert billed.time_amount + billed.data_amount + difference == at_once.time_amount + at_once.data_amount
    (record,) = [r for r in later.usage if r.month == str(NOV)]  # December records its plan with no sessions
    assert (billed.seconds + record.seconds, billed.bytes + record.bytes) == (s1 + s2, b1 + b2)


def test_price_in_effect_is_the_latest_not_after_the_month():
    rows = [PlanPrice(1, "P", m, D(f)) for m, f in (("2026-06", "40.00"), ("2026-01", "30.00"), ("2027-01", "50.00"))]
    assert engine.price_in_effect(rows, Period(2026, 5)).monthly_fee == D("30.00")
    assert engine.price_in_effect(rows, Period(2026, 6)).monthly_fee == D("40.00")
    assert engine.price_in_effect(rows, Period(2026, 12)).monthly_fee == D("40.00")
    assert engine.price_in_effect(rows, Period(2025, 12)).monthly_fee == D("30.00")  # before the first: the first
    assert engine.price_in_effect([], Period(2026, 6)) is None


def test_tax_percent_prefers_the_state_then_the_country():
    rates = {("US", "US-IL"): D("6.25"), ("US", None): D("1"), ("CA", None): D("5")}
    assert engine.tax_percent(rates, "US", "US-IL") == D("6.25")
    assert engine.tax_percent(rates, "US", "US-WI") == D("1")
    assert engine.tax_percent(rates, "CA", "CA-ON") == D("5")
    assert engine.tax_percent(rates, "FR", None) == D("0")
    assert engine.tax_percent(rates, None, None) == D("0")
