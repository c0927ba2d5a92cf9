"""Payments, credit memos, their applications to invoices, and the double-entry journal."""

from wwwtrak.models import Application, Credit, JournalEntry, Payment, Posting, database


def up():
    database.create_tables([Payment, Credit, JournalEntry, Posting, Application])
