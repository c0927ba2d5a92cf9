"""What the parsers hand the importer, and the value parsing they share.

A parser turns lines of text into a stream of ``Record`` (one accounting
event, or a record that carries no usage) and ``Reject`` (a malformed record,
kept verbatim with the reason). Times are UTC epoch seconds throughout.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable, Iterator, NamedTuple, Optional

# Record kinds
START = "start"
INTERIM = "interim"
STOP = "stop"
NAS_RESTART = "nas-restart"  # Accounting-On/Off: the NAS's open sessions end
NO_USAGE = "no-usage"  # authentication-side or tunnel records: nothing to bill
REJECT = "reject"

GIGAWORD = 2**32


class Record(NamedTuple):
    """One accounting record, reduced to what a session needs.

    ``start`` is set when the record itself knows when the session began (a
    Start, or a row of an SQL export); ``seconds`` and the byte counters are
    running totals, not increments.
    """

    line: int
    kind: str
    nas: str = ""
    session_id: str = ""
    login: str = ""
    time: int = 0
    start: Optional[int] = None
    seconds: Optional[int] = None
    bytes_in: int = 0
    bytes_out: int = 0


class Reject(NamedTuple):
    """A malformed record: where it began, why, and its text exactly as read."""

    line: int
    reason: str
    text: str
    kind = REJECT


class Malformed(Exception):
    """Raised inside a parser with the reason a record is rejected."""


class BadHeader(Exception):
    """The file does not start the way its format requires; nothing of it can be read."""


CUT_OFF = "cut off mid-line at the end of the file"


# --- values ---------------------------------------------------------------------------

_ESCAPE_RE = re.compile(r"\\([\"\\nrt]|[0-7]{3})")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def unquote(value: str) -> str:
    """A detail value without its surrounding blanks and double quotes, escapes undone."""
    v = value.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        v = v[1:-1]
        if "\\" in v:
            v = _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1)) or chr(int(m.group(1), 8)), v)
    return v


MAX_COUNT = 2**63 - 1  # the largest counter or duration a BIGINT column holds
MAX_TIME = 253402300799  # 9999-12-31 23:59:59 UTC, the last time a date can show
TEXT_LIMIT = 255  # characters of a login, session id or NAS: the width of their columns


def name_text(value: str, name: str) -> str:
    """A login, session id or NAS as stored: UTF-8 text without control characters, at most TEXT_LIMIT long."""
    if not value.isprintable():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, kept by surrogateescape
            raise Malformed(f"{name}: {value!r} is not UTF-8 text") from None
        raise Malformed(f"{name}: {value!r} holds an unprintable character")
    if len(value) > TEXT_LIMIT or len(value.casefold()) > TEXT_LIMIT:  # a login's key is case-folded ('ß' is 'ss')
        raise Malformed(f"{name}: at most {TEXT_LIMIT} characters (got {len(value)}, {len(value.casefold())} case-folded)"
                        if len(value) <= TEXT_LIMIT else f"{name}: at most {TEXT_LIMIT} characters (got {len(value)})")
    return value


def count(value: str, name: str) -> int:
    """A counter: a whole number, not negative (surrounding blanks or quotes allowed)."""
    try:
        n = int(value)  # the common case, bare digits, at C speed
    except ValueError:
        n = None
    if n is None or "_" in value or "+" in value or not value.isascii():
        v = unquote(value)
        if not (v.isdigit() and v.isascii()):
            if v[:1] == "-" and v[1:].isdigit() and v[1:].isascii():
                raise Malformed(f"{name}: {v!r} is negative")
            raise Malformed(f"{name}: {v!r} is not a number")
        n = int(v)
    elif n < 0:
        raise Malformed(f"{name}: {value.strip()!r} is negative")
    if n > MAX_COUNT:
        raise Malformed(f"{name}: {unquote(value)!r} is too large")
    return n


def bounded(record: Record) -> Record:
    """The record, unless a time or a total is beyond what can be stored and shown."""
    if record.time > MAX_TIME:
        raise Malformed(f"time: {record.time} is after the year 9999")
    if max(record.seconds or 0, record.bytes_in, record.bytes_out) > MAX_COUNT:
        raise Malformed("a counter (octets plus gigawords, or the session time) is too large")
    return record


def seconds(value: str, name: str) -> int:
    """A time in whole seconds (an epoch or a duration), not negative."""
    try:
        return count(value, name)
    except Malformed as e:
        if "negative" in str(e):
            raise Malformed(f"{name}: {unquote(value)!r} is a negative time") from None
        raise


MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}

# Abbreviations a NAS may print, for zones other than the ISP's own (whose abbreviations are always known).
_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "AKST": -9, "AKDT": -8, "HST": -10,
}
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})?")


def _epoch(year, month, day, hour, minute, second, zone: tzinfo, zone_text: str | None, what: str) -> int:
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise Malformed(what) from None
    if not zone_text:
        return int(naive.replace(tzinfo=zone).timestamp())
    m = _OFFSET_RE.fullmatch(zone_text)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        offset = timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
        return int(naive.replace(tzinfo=offset).timestamp())
    abbr = zone_text.upper()
    for fold in (0, 1):  # the ISP's own zone, either side of a change of clocks
        local = naive.replace(tzinfo=zone, fold=fold)
        if local.tzname() == abbr:
            return int(local.timestamp())
    if abbr in _ABBREVIATIONS:
        return int(naive.replace(tzinfo=timezone(timedelta(hours=_ABBREVIATIONS[abbr]))).timestamp())
    raise Malformed(f"{what}: unknown time zone {zone_text!r}")


def _clock(text: str) -> tuple[int, int, int]:
    parts = text.split(".")[0].split(":")
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() for p in parts):
        raise ValueError
    return int(parts[0]), int(parts[1]), int(parts[2])


def ctime(text: str, zone: tzinfo, name: str) -> int:
    """A detail header line, ``Tue Mar 23 13:51:45 2021``, in ``zone`` (the weekday is not checked)."""
    what = f"{name}: {text.strip()!r} is not a date"
    words = text.split()
    if len(words) == 5:
        words = words[1:]
    try:
        if len(words) != 4:
            raise ValueError
        month, day, clock, year = words
        h, m, s = _clock(clock)
        return _epoch(int(year), MONTHS[month.lower()], int(day), h, m, s, zone, None, what)
    except (KeyError, ValueError):
        raise Malformed(what) from None


_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?"
)


def timestamp(text: str, zone: tzinfo, name: str, what: str = "is not a date and time") -> int:
    """A time as an epoch, ISO 8601 (``2026-11-03 08:00:00``, with or without an offset),
    or the ``Mar 23 2021 13:50:39 EDT`` that FreeRADIUS prints; no offset means ``zone``."""
    value = text.strip()
    message = f"{name}: {value!r} {what}"
    if value.isdigit() and value.isascii():
        if int(value) > MAX_TIME:
            raise Malformed(f"{name}: {value!r} is after the year 9999")
        return int(value)
    if value[:1] == "-" and value[1:].isdigit():
        raise Malformed(f"{name}: {value!r} is a negative time")
    m = _ISO_RE.fullmatch(value)
    if m:
        y, mo, d, h, mi, s, z = m.groups()
        return _epoch(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), zone, "Z" if z in ("z", "UTC") else z, message)
    words = value.split()
    if len(words) in (4, 5) and words[0].lower() in MONTHS:
        try:
            h, mi, s = _clock(words[3])
            day, year = int(words[1]), int(words[2])
        except ValueError:
            raise Malformed(message) from None
        return _epoch(year, MONTHS[words[0].lower()], day, h, mi, s, zone, words[4] if len(words) == 5 else None, message)
    raise Malformed(message)


def normalize(name: str) -> str:
    """A column or attribute name for matching: ``Calling-Station-Id`` and ``callingstationid`` agree."""
    return name.strip().lower().replace("-", "").replace("_", "")


def iter_lines(chunks: Iterable[str]) -> Iterator[str]:
    """The lines of text that arrives in chunks, each with its newline (the last one perhaps without)."""
    rest = ""
    for chunk in chunks:
        lines = (rest + chunk).split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
    if rest:
        yield rest
