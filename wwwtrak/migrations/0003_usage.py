"""Imported usage files and RADIUS accounting sessions."""

from wwwtrak.models import UsageImport, UsageSession, database


def up():
    database.create_tables([UsageImport, UsageSession])
