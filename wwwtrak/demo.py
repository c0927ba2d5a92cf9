"""The demo sandbox: an initialised database with a few operators and lookups to look at."""

from __future__ import annotations

from pathlib import Path

from wwwtrak import auth, db, demo_data, instance, lookups
from wwwtrak.audit import Actor
from wwwtrak.usage.demo import generate_usage


def _table(rows: list[list], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate(rows, headers=headers, disable_numparse=True)


def build(db_path: str, credentials, customers: int = 36) -> list[tuple[str, str]]:
    """Create the sandbox at ``db_path``; returns (title, text) sections to show."""
    result = instance.init(db_path, "demo-admin", timezone="America/Chicago", currency="USD", credentials=credentials)
    actor = Actor(1, result.operator, "superuser", "demo")
    auth.add_operator(actor, "demo-billing", "accounting")
    auth.add_operator(actor, "demo-desk", "user")
    lookups.add(actor, "pc-type", "raspberry-pi", "Raspberry Pi", {})
    sections = [
        ("Sandbox", f"database {db_path} (time zone {result.timezone}, currency {result.currency})"),
        ("Operators", _table([[o.name, o.role] for o in auth.list_operators()], ["name", "role"])),
        ("Payment terms", _table([[r.code, r.label, r.attrs["days"], r.attrs["late_fee"], r.attrs["late_fee_percent"]] for r in lookups.list_codes("payment-terms")], ["code", "label", "days", "late_fee", "late_fee_percent"])),
        ("PC types", _table([[r.code, r.label] for r in lookups.list_codes("pc-type")], ["code", "label"])),
        ("Tax rates", _table([[r.code, r.attrs["country"], r.attrs.get("state", ""), r.attrs["percent"]] for r in lookups.list_codes("tax-rate")], ["code", "country", "state", "percent"])),
    ]
    counts = lookups.kind_counts()
    sections.append(("Lookup lists", _table([[k, a] for k, (a, _t) in counts.items()], ["kind", "active codes"])))
    sections.extend(demo_data.build(actor, customers))
    usage = generate_usage(actor)  # after the customers: their logins get sessions
    sections.append(("Usage", _table(usage, ["month", "sessions", "hours", "GB", "unmatched sessions"])))
    from wwwtrak.billing.demo import month_end

    sections.extend(month_end(actor))
    from wwwtrak.ledger_demo import payments_and_aging

    sections.extend(payments_and_aging(actor, Path(db_path).parent))
    db.close_database()
    return sections
