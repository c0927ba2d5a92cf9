"""WWWTrak's own simple CSV layout, one row per session:

    login,start,stop,seconds,bytes_in,bytes_out,session_id,nas

Times are ISO 8601 (no offset: the ISP's zone) or epoch seconds; ``stop`` is
empty for a session still open; ``seconds`` may be empty (then stop - start);
``nas`` may be empty. Columns may come in any order; others are ignored.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Iterable, Iterator

from wwwtrak.usage.records import Record, Reject, count, normalize, timestamp
from wwwtrak.usage.tables import session_record, table_records

COLUMNS = ["login", "start", "stop", "seconds", "bytes_in", "bytes_out", "session_id", "nas"]


def parse(chunks: Iterable[str], *, zone: tzinfo, login_attribute: str | None = None) -> Iterator[Record | Reject]:
    """Records and rejects of a file in our CSV layout, one per row."""
    login = login_attribute or "login"
    required = [c for c in COLUMNS if not (login_attribute and c == "login")] + ([login_attribute] if login_attribute else [])
    return table_records(chunks, required, "csv", lambda first, row: _record(first, row, zone, normalize(login), login))


def _record(first: int, row: dict[str, str], zone: tzinfo, login_column: str, login_name: str) -> Record:
    start = row["start"].strip()
    stop = row["stop"].strip()
    secs = row["seconds"].strip()
    return session_record(
        first,
        login=row[login_column].strip(),
        login_name=login_name,
        session_id=row["sessionid"].strip(),
        nas=row["nas"].strip(),
        start=timestamp(start, zone, "start"),
        stop=timestamp(stop, zone, "stop") if stop else None,
        updated=None,
        secs=count(secs, "seconds") if secs else None,
        bytes_in=count(row["bytesin"].strip(), "bytes_in"),
        bytes_out=count(row["bytesout"].strip(), "bytes_out"),
    )
