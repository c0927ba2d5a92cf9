"""Plausible usage for the demo sandbox: sessions of every login over the last complete months."""

from __future__ import annotations

import random
from wwwtrak import clock, instance
from wwwtrak.audit import Actor
from wwwtrak.models import Login
from wwwtrak.period import Period
from wwwtrak.usage.importer import import_records
from wwwtrak.usage.records import STOP, Record

NASES = ("192.0.2.1", "192.0.2.2")
STRAYS = ("guest-4417", "old-dialup-22")  # logins no customer holds, for 'usage unmatched'
BUSY_SANDBOX = 10_000  # above this many logins each gets 1-2 long sessions a month, not 3-12, to keep the demo quick


def generate_usage(actor: Actor, months: int = 3, seed: int = 2026) -> list[list]:
    """Import sessions for every login (and two strays) over the last ``months`` complete months,
    through the importer; returns a summary table's rows (month, sessions, hours, GB, unmatched)."""
    zone = instance.zone()
    rnd = random.Random(seed)
    last = Period.of(clock.today(zone)).previous()
    periods = [last]
    while len(periods) < months:
        periods.insert(0, periods[0].previous())
    logins = [u for (u,) in Login.select(Login.username).order_by(Login.id).tuples()] + list(STRAYS)
    records, summary, sid = [], [], 0
    fewest, most, longest = (3, 12, 4 * 3600) if len(logins) <= BUSY_SANDBOX else (1, 2, 16 * 3600)
    for period in periods:
        lo, hi = (int(t.timestamp()) for t in period.utc_bounds(zone))
        sessions = seconds = octets = unmatched = 0
        for login in logins:
            for _ in range(rnd.randint(fewest, most)):
                duration = rnd.randint(300, longest)
                start = rnd.randint(lo, hi - duration - 1)
                down, up = rnd.randint(2, 600) * 10**6, rnd.randint(1, 60) * 10**6
                sid += 1
                records.append(Record(0, STOP, rnd.choice(NASES), f"{sid:08X}", login, start + duration, start, duration, up, down))
                sessions, seconds, octets = sessions + 1, seconds + duration, octets + up + down
                unmatched += login in STRAYS
        summary.append([str(period), sessions, f"{seconds / 3600:.1f}", f"{octets / 10**9:.1f}", unmatched])
    import_records(actor, "demo usage", records)
    return summary
