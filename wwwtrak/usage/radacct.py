"""CSV exports of FreeRADIUS's SQL ``radacct`` table: one row per session, counters already
including gigawords. Columns are found by name in any order; others are ignored."""

from __future__ import annotations

from datetime import tzinfo
from typing import Iterable, Iterator

from wwwtrak.usage.records import GIGAWORD, Record, Reject, count, normalize, timestamp
from wwwtrak.usage.tables import session_record, table_records

NULLS = {"", "NULL", "null", "\\N", "0000-00-00 00:00:00"}


def parse(chunks: Iterable[str], *, zone: tzinfo, login_attribute: str | None = None) -> Iterator[Record | Reject]:
    """Records and rejects of a radacct export, one per row."""
    login = login_attribute or "username"
    required = [login, "acctsessionid", "acctstarttime", "acctstoptime", "acctinputoctets", "acctoutputoctets"]
    return table_records(chunks, required, "radacct", lambda first, row: _record(first, row, zone, normalize(login), login))


def _value(row: dict[str, str], column: str) -> str | None:
    v = row.get(column)
    if v is None:
        return None
    v = v.strip()
    return None if v in NULLS else v


def _time(row, column, zone):
    v = _value(row, column)
    return None if v is None else timestamp(v, zone, column)


def _counter(row, column):
    v = _value(row, column)
    return 0 if v is None else count(v, column)  # NULL counters: a session with no interim yet


def _record(first: int, row: dict[str, str], zone: tzinfo, login_column: str, login_name: str) -> Record:
    secs = _value(row, "acctsessiontime")
    return session_record(
        first,
        login=_value(row, login_column) or "",
        login_name=login_name,
        session_id=_value(row, "acctuniqueid") or _value(row, "acctsessionid") or "",
        nas=_value(row, "nasipaddress") or _value(row, "nasidentifier") or "",
        start=_time(row, "acctstarttime", zone),
        stop=_time(row, "acctstoptime", zone),
        updated=_time(row, "acctupdatetime", zone),
        secs=None if secs is None else count(secs, "acctsessiontime"),
        bytes_in=_counter(row, "acctinputoctets") + _counter(row, "acctinputgigawords") * GIGAWORD,
        bytes_out=_counter(row, "acctoutputoctets") + _counter(row, "acctoutputgigawords") * GIGAWORD,
    )
