"""Settings, operators, the audit trail and lookup lists."""

from wwwtrak.models import AuditEntry, Lookup, Operator, Setting, database


def up():
    database.create_tables([Setting, Operator, AuditEntry, Lookup])
