"""The audit trail: every change records who, when, which command and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from wwwtrak import clock
from wwwtrak.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """The operator running a command, as the database knows them."""

    id: int | None
    name: str
    role: str
    command: str = ""


def record(actor: Actor, target: str, changes: dict | None = None, command: str | None = None) -> None:
    """Write one audit entry; call inside the transaction that makes the change."""
    AuditEntry.create(
        at=clock.now_utc(),
        operator=actor.id,
        operator_name=actor.name,
        command=command or actor.command,
        target=target,
        changes=changes,
    )


def diff(old: dict, new: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def entries(since: date | None = None, operator: str | None = None, zone=timezone.utc, limit: int | None = None):
    """Audit entries, newest last, filtered by day (in ``zone``) and operator name."""
    query = AuditEntry.select().order_by(AuditEntry.id)
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=zone).astimezone(timezone.utc)
        query = query.where(AuditEntry.at >= start)
    if operator is not None:
        query = query.where(AuditEntry.operator_name == operator)
    if limit is not None:
        query = query.order_by(AuditEntry.id.desc()).limit(limit)
    return list(query)


def recent_for(target: str, limit: int = 10):
    """The latest entries about one target (``customer 1001``), newest first."""
    return list(AuditEntry.select().where(AuditEntry.target == target).order_by(AuditEntry.id.desc()).limit(limit))

