"""The database schema. Money is integer cents, times are UTC epoch seconds."""

from __future__ import annotations

import json

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from wwwtrak.fields import MoneyField, TimestampField

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class JSONTextField(TextField):
    """A small JSON document stored as text (portable across SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


# --- foundation (schema version 1) -------------------------------------------------


class Setting(BaseModel):
    """Key/value settings of this installation: schema version, time zone, currency."""

    key = CharField(primary_key=True)
    value = TextField()


class Operator(BaseModel):
    """An employee who runs commands; the role lives here, the secret in their credentials file."""

    id = AutoField()
    name = CharField(unique=True)
    role = CharField()
    token_hash = CharField()
    active = BooleanField(default=True)
    created_at = TimestampField()


class AuditEntry(BaseModel):
    """One change: who, when, which command, what changed (old and new values)."""

    id = AutoField()
    at = TimestampField(index=True)
    operator = ForeignKeyField(Operator, null=True, backref="audit_entries")
    operator_name = CharField()
    command = CharField()
    target = CharField(default="")
    changes = JSONTextField(null=True)


class Lookup(BaseModel):
    """A code of a lookup list (country, state, postal-code, payment-terms, ...).

    ``scope`` is the country for kinds tied to one (state, postal-code), else "".
    ``key`` is the case-folded code, for case-insensitive matching.
    """

    id = AutoField()
    kind = CharField()
    scope = CharField(default="")
    code = CharField()
    key = CharField()
    label = CharField(default="")
    active = BooleanField(default=True)
    attrs = JSONTextField(default=dict)

    class Meta:
        indexes = ((("kind", "scope", "key"), True), (("kind", "key"), False))


# --- customers and plans (schema version 2) -------------------------------------------


class Plan(BaseModel):
    """A plan of the catalogue; its prices live in PlanPrice, by effective month."""

    id = AutoField()
    code = CharField(unique=True)
    name = CharField()
    active = BooleanField(default=True)


class PlanPrice(BaseModel):
    """The prices of a plan from ``effective`` (YYYY-MM) until the next row's month."""

    id = AutoField()
    plan = ForeignKeyField(Plan, backref="prices")
    effective = CharField()  # YYYY-MM
    monthly_fee = MoneyField()
    setup_fee = MoneyField()
    included_seconds = BigIntegerField(null=True)  # None: no time allowance, no time billing
    overage_per_hour = MoneyField()
    included_bytes = BigIntegerField(null=True)  # None: no data allowance, no data billing
    overage_per_gb = MoneyField()
    taxable = BooleanField(default=True)

    class Meta:
        indexes = ((("plan", "effective"), True),)


class Customer(BaseModel):
    """A customer account; ``id`` is the stable account number."""

    id = AutoField()
    type = CharField()  # individual | commercial
    name = CharField()
    company = CharField(null=True)
    contact = CharField(null=True)
    address = CharField(null=True)
    city = CharField(null=True)
    state = CharField(null=True)  # state lookup code, e.g. US-IL
    postal_code = CharField(null=True)
    country = CharField(null=True)  # ISO 3166-1 alpha-2
    phone = CharField(null=True)  # E.164
    email = CharField(null=True)
    billing_category = CharField(null=True)
    payment_terms = CharField(null=True)
    pc_type = CharField(null=True)
    source = CharField(null=True)
    plan = ForeignKeyField(Plan, null=True, backref="customers")
    remote_host = CharField(null=True)
    start_date = DateField()
    close_date = DateField(null=True)
    status = CharField(default="active")  # active | suspended | closed
    tax_exempt = CharField(null=True)  # tax-exemption id
    notes = TextField(null=True)
    search_text = TextField(default="")  # case-folded name, company, contact, email, digits of phone

    class Meta:
        indexes = ((("status", "type"), False),)


class CustomerTag(BaseModel):
    """A commercial tag on a customer."""

    customer = ForeignKeyField(Customer, backref="tags")
    tag = CharField()

    class Meta:
        indexes = ((("customer", "tag"), True),)


class Login(BaseModel):
    """A user name that appears in usage records, held by one customer."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="logins")
    username = CharField()
    key = CharField(unique=True)  # case-folded username


# --- usage (schema version 3) --------------------------------------------------------


class UsageImport(BaseModel):
    """One imported file (or stdin): what it was and what became of its records."""

    id = AutoField()
    file_name = CharField()
    size = BigIntegerField()  # bytes of content read (after gzip)
    sha256 = CharField(index=True)  # of that content
    format = CharField()  # detail | radacct | csv
    read = IntegerField(default=0)
    imported = IntegerField(default=0)
    updated = IntegerField(default=0)
    duplicates = IntegerField(default=0)
    skipped = IntegerField(default=0)
    rejected = IntegerField(default=0)
    unmatched = IntegerField(default=0)
    rejects_file = CharField(null=True)  # where the rejected records were written
    operator = ForeignKeyField(Operator, null=True)
    at = TimestampField()


class UsageSession(BaseModel):
    """A login's session on a NAS, with running totals from its newest record.

    A session is known by (nas, session_id) and its start: NASes reuse session
    ids after a reboot, so one key may name several sessions over time.
    """

    id = AutoField()
    nas = CharField()  # NAS-IP-Address, else NAS-IPv6-Address, else NAS-Identifier; opaque text ("" if none)
    session_id = CharField()  # Acct-Unique-Session-Id when present, else Acct-Session-Id
    login = CharField()  # as the records spell it
    login_key = CharField(index=True)  # case-folded login, matched against Login.key
    customer = ForeignKeyField(Customer, null=True, backref="sessions", index=False)  # None: unmatched login
    start = TimestampField()
    start_known = BooleanField(default=False)  # from a Start record (else stop - session time)
    stop = TimestampField(null=True)  # None: still open
    last_event = TimestampField()  # time of the record the counters come from
    seconds = BigIntegerField(default=0)
    bytes_in = BigIntegerField(default=0)  # octets + gigawords * 2**32
    bytes_out = BigIntegerField(default=0)
    usage_import = ForeignKeyField(UsageImport, null=True, index=False)  # the import that last changed it

    class Meta:
        # Few indexes on purpose: each one slows every import. Billing reads by (customer, stop).
        indexes = ((("session_id", "nas"), False), (("customer", "stop"), False))


# Open sessions by NAS, for Accounting-On/Off; only open sessions are in it, so it stays small.
UsageSession.add_index(UsageSession.index(UsageSession.nas, where=UsageSession.stop.is_null()))


# --- billing (schema version 4) --------------------------------------------------------


class Service(BaseModel):
    """A service or material of the catalogue: recurring (billed by the month) or one-time."""

    id = AutoField()
    code = CharField()
    key = CharField(unique=True)  # case-folded code
    description = CharField()
    unit = CharField(default="each")
    unit_price = MoneyField()
    recurring = BooleanField(default=True)
    taxable = BooleanField(default=True)
    active = BooleanField(default=True)


class Subscription(BaseModel):
    """A customer's service: quantity, optional own unit price, start and optional end date."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="subscriptions", index=True)
    service = ForeignKeyField(Service, backref="subscriptions")
    quantity = MoneyField()  # hundredths, Decimal in Python (1.50 hours)
    price = MoneyField(null=True)  # None: the service's unit price
    start = DateField()
    end = DateField(null=True)
    created_at = TimestampField()


class Charge(BaseModel):
    """A one-time charge, billed by the run of the month it is dated in."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="charges")
    date = DateField(index=True)
    amount = MoneyField()
    description = CharField()
    taxable = BooleanField(default=False)
    created_at = TimestampField()


class BillingRun(BaseModel):
    """A month billed (dry runs leave no row): when, by whom, and what it produced."""

    id = AutoField()
    month = CharField(unique=True)  # YYYY-MM
    at = TimestampField()
    operator = ForeignKeyField(Operator, null=True)
    operator_name = CharField()
    start_utc = TimestampField()  # the month's bounds in the ISP's zone, as billed
    end_utc = TimestampField()
    invoices = IntegerField(default=0)
    first_number = IntegerField(null=True)
    last_number = IntegerField(null=True)
    subtotal = MoneyField()
    tax = MoneyField()
    total = MoneyField()


class Invoice(BaseModel):
    """One customer's invoice for one month; ``number`` is consecutive with no gaps."""

    number = IntegerField(primary_key=True)
    run = ForeignKeyField(BillingRun, backref="invoice_rows")
    customer = ForeignKeyField(Customer, backref="invoices", index=False)  # (customer, period) indexes it
    period = CharField(index=True)  # YYYY-MM
    issue_date = DateField()
    due_date = DateField()
    subtotal = MoneyField()
    tax_percent = CharField(default="0")
    tax = MoneyField()
    total = MoneyField()
    previous_balance = MoneyField()  # unpaid balance of earlier invoices on the issue date

    class Meta:
        indexes = ((("customer", "period"), True),)


class InvoiceLine(BaseModel):
    """A line of an invoice; ``kind`` says what it bills, ``account`` the income account it posts to."""

    id = AutoField()
    invoice = ForeignKeyField(Invoice, backref="lines", index=True)
    position = IntegerField()
    kind = CharField()  # plan, setup, service, charge, time, data, late-time, late-data, late-fee
    account = CharField()
    description = CharField()
    amount = MoneyField()
    taxable = BooleanField()


class BilledUsage(BaseModel):
    """Usage totals billed for a customer's month: one row per run, the sum is what was billed.

    A later run compares these sums with the sessions now in the database and
    bills only the difference, so late records are billed once.
    """

    id = AutoField()
    # Written once per customer and month, read whole by month: no index but (month, customer).
    customer = ForeignKeyField(Customer, backref="billed_usage", index=False)
    month = CharField()  # YYYY-MM of the sessions
    run = ForeignKeyField(BillingRun, backref="billed_usage", index=False)
    invoice = ForeignKeyField(Invoice, null=True, index=False)
    plan = ForeignKeyField(Plan, null=True, index=False)  # the plan whose allowance applied
    seconds = BigIntegerField()
    bytes = BigIntegerField()
    time_amount = MoneyField()
    data_amount = MoneyField()

    class Meta:
        indexes = ((("month", "customer"), False),)


# --- payments, credits and the journal (schema version 5) -----------------------------


class Payment(BaseModel):
    """Money received from a customer; a void reverses it (the row stays)."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="payments", index=True)
    amount = MoneyField()
    method = CharField()  # check | cash | card | ach
    reference = CharField(default="")
    date = DateField(index=True)
    created_at = TimestampField()
    voided_on = DateField(null=True)

    class Meta:
        indexes = ((("customer", "reference"), False),)


class Credit(BaseModel):
    """A credit memo (outage credit, goodwill): lowers what the customer owes; a void reverses it."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="credits", index=True)
    amount = MoneyField()
    description = CharField()
    date = DateField(index=True)
    created_at = TimestampField()
    voided_on = DateField(null=True)


class JournalEntry(BaseModel):
    """One balanced double-entry transaction: an invoice, a payment, a credit memo or a void.

    ``period`` (YYYY-MM) is the month the entry is reported and exported in: an
    invoice's billing period, else the month of ``date``.
    """

    id = AutoField()
    date = DateField(index=True)
    period = CharField(index=True)
    kind = CharField()  # invoice | payment | credit | void
    memo = CharField()
    customer = ForeignKeyField(Customer, null=True, backref="journal_entries")
    invoice = ForeignKeyField(Invoice, null=True, backref="journal_entries", index=True)
    payment = ForeignKeyField(Payment, null=True, backref="journal_entries", index=True)
    credit = ForeignKeyField(Credit, null=True, backref="journal_entries", index=True)
    reverses = ForeignKeyField("self", null=True, backref="reversals")
    created_at = TimestampField()


class Posting(BaseModel):
    """One leg of a journal entry: debit positive, credit negative."""

    id = AutoField()
    entry = ForeignKeyField(JournalEntry, backref="postings", index=True)
    account = CharField()
    amount = MoneyField()
    customer = ForeignKeyField(Customer, null=True)

    class Meta:
        indexes = ((("account", "customer"), False),)


class Application(BaseModel):
    """Part of a payment, credit memo or negative invoice applied to an invoice.

    A void adds a negative row dated the day of the void, so what was paid on
    any past day stays visible (aging as of a date).
    """

    id = AutoField()
    customer = ForeignKeyField(Customer, index=True)
    invoice = ForeignKeyField(Invoice, backref="applications", index=True)
    payment = ForeignKeyField(Payment, null=True, backref="applications", index=True)
    credit = ForeignKeyField(Credit, null=True, backref="applications", index=True)
    source_invoice = ForeignKeyField(Invoice, null=True, backref="applied_to", index=True)
    amount = MoneyField()
    date = DateField()
