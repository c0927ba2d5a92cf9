"""Services, subscriptions, one-time charges, billing runs, invoices and the usage they billed."""

from wwwtrak.models import BilledUsage, BillingRun, Charge, Invoice, InvoiceLine, Service, Subscription, database


def up():
    database.create_tables([Service, Subscription, Charge, BillingRun, Invoice, InvoiceLine, BilledUsage])
