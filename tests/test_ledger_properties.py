"""Laws of the books, for any sequence of invoices, payments, credit memos and voids.

- every journal entry sums to zero;
- ``wwwtrak check`` finds nothing wrong;
- on every past day, each customer's aged balance equals their receivable in
  the journal, no invoice is paid beyond its total and no credit is negative.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_fixtures import Books
from wwwtrak import books as books_check
from wwwtrak import journal, ledger, reports
from wwwtrak.audit import Actor
from wwwtrak.models import JournalEntry, Posting
from wwwtrak.period import Period

ROOT = Actor(1, "root", "superuser", "test")
cents = st.integers(min_value=1, max_value=20000).map(lambda c: f"{Decimal(c) / 100:.2f}")
op = st.one_of(
    st.tuples(st.just("invoice"), st.integers(0, 1), st.integers(-1500, 20000).filter(bool).map(lambda c: f"{Decimal(c) / 100:.2f}"), st.booleans()),
    st.tuples(st.just("pay"), st.integers(0, 1), cents, st.sampled_from(ledger.METHODS)),
    st.tuples(st.just("credit"), st.integers(0, 1), cents, st.just("")),
    st.tuples(st.just("void"), st.integers(0, 50), st.just(""), st.booleans()),
    st.tuples(st.just("wait"), st.integers(1, 45), st.just(""), st.booleans()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=14))
def test_books_balance_and_reconcile_on_every_day(cli, monkeypatch, ops):
    b = Books()
    with b:
        customers = [b.customer("Prop A"), b.customer("Prop B", state=None, terms="net-15")]
        day = date(2026, 1, 3)
        billed = {c: Period(2025, 12) for c in customers}
        receipts: list[tuple[str, int]] = []
        days = [day]
        for kind, who, amount, flag in ops:
            monkeypatch.setenv("WWWTRAK_NOW", f"{day}T12:00:00-06:00")
            if kind == "wait":
                day += timedelta(days=who)
                days.append(day)
            elif kind == "invoice":
                cid = customers[who]
                period = billed[cid].next()
                if period.next_first_day <= day:  # a month is billed once it is over
                    b.invoice(cid, str(period), [("plan", amount, flag)], "6.25" if who == 0 else "0", days=30)
                    billed[cid] = period
            elif kind == "void":
                if receipts:
                    what, rid = receipts[who % len(receipts)]
                    try:
                        (ledger.void_payment if what == "payment" else ledger.void_credit)(ROOT, rid)
                    except Exception as e:  # voiding twice is refused; nothing else may fail
                        assert "already voided" in str(e)
            elif kind == "pay":
                receipts.append(("payment", ledger.add_payment(ROOT, customers[who], amount, flag, None, str(day), True).id))
            else:
                receipts.append(("credit", ledger.add_credit(ROOT, customers[who], amount, "property", str(day)).id))

        unbalanced = (
            JournalEntry.select(JournalEntry.id)
            .join(Posting)
            .group_by(JournalEntry.id)
            .having(ledger._sum_cents(Posting.amount) != 0)
        )
        assert list(unbalanced) == []
        books_check.verify()
        for as_of in days + [day + timedelta(days=400)]:
            aged = {r["customer_id"]: Decimal(r["total"]) for r in reports.aging(str(as_of)).rows}
            in_journal = journal.receivable(customers, as_of)
            for cid in customers:
                assert aged.get(cid, Decimal(0)) == in_journal.get(cid, Decimal(0)), (cid, as_of)
            for item in ledger.invoice_items(customers, as_of, open_only=False):
                assert Decimal(0) <= item.paid <= max(item.total, Decimal(0)), (item, as_of)
            assert all(v >= 0 for v in ledger.unapplied_credit(customers, as_of).values()), as_of
        # today: what each customer owes is what they were invoiced less what they paid and were credited
        for cid in customers:
            invoiced = sum((i.total for i in ledger.invoice_items([cid], open_only=False)), Decimal(0))
            aged = ledger.customer_balance(cid)
            assert aged == sum((i.balance for i in ledger.invoice_items([cid])), Decimal(0)) - ledger.unapplied_credit([cid]).get(cid, Decimal(0))
            assert invoiced - aged == _received(cid)


def _received(cid: int) -> Decimal:
    from wwwtrak.models import Credit, Payment

    total = Decimal(0)
    for model in (Payment, Credit):
        total += sum((r.amount for r in model.select().where((model.customer == cid) & model.voided_on.is_null())), Decimal(0))
    return total
