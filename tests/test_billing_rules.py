"""The pricing rules, each against values computed by hand, and the laws they keep."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wwwtrak.billing import rules
from wwwtrak.period import Period


@pytest.mark.parametrize(
    "fee, days, month_days, expected",
    [
        ("19.95", 14, 30, "9.31"),  # 279.30 / 30 = 9.31 exactly
        ("29.99", 15, 31, "14.51"),  # 449.85 / 31 = 14.5113
        ("30.00", 1, 28, "1.07"),  # February 2026: 1.0714
        ("30.00", 1, 29, "1.03"),  # February 2028: 1.0345
        ("30.00", 1, 31, "0.97"),  # 0.9677
        ("0.15", 15, 30, "0.08"),  # 0.075 rounds half-up
        ("0.01", 15, 30, "0.01"),  # 0.005 rounds half-up
        ("19.95", 30, 30, "19.95"),
        ("19.95", 0, 30, "0.00"),
    ],
)
def test_prorate_by_hand(fee, days, month_days, expected):
    assert rules.prorate(D(fee), days, month_days) == D(expected)


def test_prorate_of_an_extended_fee_rounds_once():
    # 1.5 hours x 19.99 = 29.985 a month: a whole month is 29.99, ten of 31 days 9.6726 -> 9.67
    fee = rules.extend(D("19.99"), D("1.50"))
    assert rules.prorate(fee, 31, 31) == D("29.99")
    assert rules.prorate(fee, 10, 31) == D("9.67")


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (None, None, (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 2, 1), date(2026, 2, 1), (date(2026, 2, 1), date(2026, 2, 1))),
        (date(2026, 2, 28), None, (date(2026, 2, 28), date(2026, 2, 28))),
        (date(2025, 12, 5), date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 3, 1), None, None),
        (None, date(2026, 1, 31), None),
    ],
)
def test_active_days(start, end, expected):
    assert rules.active_days(Period(2026, 2), start, end) == expected


@pytest.mark.parametrize(
    "seconds, minutes, amount",
    [
        (36000, 0, "0.00"),  # exactly at the 10 h allowance
        (36001, 1, "0.05"),  # one second over: one whole minute at 3.00/60
        (36060, 1, "0.05"),
        (36061, 2, "0.10"),
        (36000 + 7265, 122, "6.10"),  # 121.08 min -> 122 min x 0.05
        (36000 + 1_000_000, 16667, "833.35"),  # far over: 16666.67 -> 16667 min
    ],
)
def test_time_overage(seconds, minutes, amount):
    assert rules.time_overage(seconds, 36000, D("3.00")) == rules.Overage(minutes, D(amount))


def test_time_overage_rounds_the_amount_once_half_up():
    # 1.99 an hour: 1 minute = 0.033166 -> 0.03; 15 minutes = 0.4975 -> 0.50
    assert rules.time_overage(60, 0, D("1.99")).amount == D("0.03")
    assert rules.time_overage(61, 0, D("1.99")).amount == D("0.07")  # two minutes: 0.0663
    assert rules.time_overage(15 * 60, 0, D("1.99")).amount == D("0.50")


def test_no_allowance_bills_no_usage():
    assert rules.time_overage(10**9, None, D("3.00")) == rules.NO_OVERAGE
    assert rules.data_overage(10**15, None, D("3.00")) == rules.NO_OVERAGE


@pytest.mark.parametrize(
    "nbytes, mb, amount",
    [
        (10 * 10**9, 0, "0.00"),  # exactly at 10 GB
        (10 * 10**9 + 1, 1, "0.01"),  # one byte over: one whole MB at 10.00/1000
        (10 * 10**9 + 2_500_000, 3, "0.03"),
        (5 * 2**32 + 123, 11475, "114.75"),  # gigawords: 21,474,836,603 bytes, 11,474.84 MB over
    ],
)
def test_data_overage(nbytes, mb, amount):
    assert rules.data_overage(nbytes, 10 * 10**9, D("10.00")) == rules.Overage(mb, D(amount))


def test_tax_is_rounded_once_on_the_sum():
    # five lines of 0.10 at 6.25%: per line 0.00625 would round to 0.01 each (0.05);
    # on the sum 0.50 x 6.25% = 0.03125 -> 0.03
    assert rules.tax(D("0.50"), D("6.25")) == D("0.03")
    assert rules.tax(D("19.95"), D("6.25")) == D("1.25")  # 1.246875
    assert rules.tax(D("100.00"), D("0")) == D("0.00")


def test_late_fee():
    assert rules.late_fee(D("45.00"), D("10.00"), D("1.5")) == D("10.68")  # 10 + 0.675
    assert rules.late_fee(D("0.00"), D("10.00"), D("1.5")) == D("0.00")
    assert rules.late_fee(D("200.00"), D("0.00"), D("1.0")) == D("2.00")


money = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c).scaleb(-2))
months = st.builds(Period, st.integers(min_value=1990, max_value=2100), st.integers(min_value=1, max_value=12))


@given(money, months)
def test_a_whole_month_is_exactly_the_fee(fee, period):
    assert rules.prorate(fee, period.days, period.days) == fee


@given(money, months, st.data())
def test_day_splits_of_a_month_sum_to_the_fee_within_a_cent_each(fee, period, data):
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=period.days - 1), max_size=period.days - 1)))
    bounds = [0, *cuts, period.days]
    parts = [rules.prorate(fee, b - a, period.days) for a, b in zip(bounds, bounds[1:])]
    assert abs(sum(parts) - fee) <= D("0.01") * len(parts)


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=10**6), money)
def test_more_time_never_costs_less(seconds, extra, rate):
    assert rules.time_overage(seconds + extra, 3600, rate).amount >= rules.time_overage(seconds, 3600, rate).amount


@given(money, st.integers(min_value=0, max_value=1_000_000).map(lambda p: D(p).scaleb(-4)))
def test_tax_is_the_rate_rounded_half_up(taxable, percent):
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        expected = (taxable * percent / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert rules.tax(taxable, percent) == expected
