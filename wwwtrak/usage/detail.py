"""FreeRADIUS / Livingston ``detail`` files.

Each record is a header line (``Tue Mar 23 13:51:45 2021``, the server's local
time) followed by indented ``Attribute = Value`` lines, and ends at a blank
line. Values may be quoted or bare; attributes we do not use are ignored, so
vendor attributes and pseudo-attributes pass through harmlessly.
"""

from __future__ import annotations

from datetime import tzinfo
from itertools import chain, islice, repeat
from typing import Iterable, Iterator

from wwwtrak.usage.records import (
    CUT_OFF,
    GIGAWORD,
    INTERIM,
    MAX_COUNT,
    MAX_TIME,
    NAS_RESTART,
    NO_USAGE,
    START,
    TEXT_LIMIT,
    STOP,
    Malformed,
    Record,
    Reject,
    bounded,
    count,
    ctime,
    iter_lines,
    name_text,
    normalize,
    seconds,
    timestamp,
    unquote,
)

STATUS = {
    "Start": START, "1": START,
    "Stop": STOP, "2": STOP,
    "Interim-Update": INTERIM, "Alive": INTERIM, "3": INTERIM,
    "Accounting-On": NAS_RESTART, "7": NAS_RESTART,
    "Accounting-Off": NAS_RESTART, "8": NAS_RESTART,
}
# Accounting records that carry no usage of a session.
NO_USAGE_STATUS = {
    "Tunnel-Start", "Tunnel-Stop", "Tunnel-Reject", "Tunnel-Link-Start", "Tunnel-Link-Stop",
    "Tunnel-Link-Reject", "Failed", "9", "10", "11", "12", "13", "14", "15",
}


_BIG = 1 << 22  # a "record" longer than this means the file has no blank lines: read it line by line


def parse(chunks: Iterable[str], *, zone: tzinfo, login_attribute: str | None = None) -> Iterator[Record | Reject]:
    """Records and rejects of a detail file, in file order, from its text in chunks.

    Records as FreeRADIUS writes them (tab-indented ``Attribute = Value``) take a
    fast path: split in C, one dict per record. Anything else (odd spacing,
    stray lines, a missing blank line, the end of the file) is read line by line.
    """
    login_name = (login_attribute or "User-Name").strip()
    chunks = iter(chunks)
    rest = ""
    number = 1  # line number of the next record's first line
    for chunk in chunks:
        parts = (rest + chunk).split("\n\n")
        rest = parts.pop()
        for text in parts:
            record = _fast(text, number, zone, login_name)
            if record is None:
                yield from _by_line((text + "\n\n").splitlines(keepends=True), number, zone, login_name)
            else:
                yield record
            number += text.count("\n") + 2
        if len(rest) > _BIG:
            yield from _by_line(iter_lines(chain([rest], chunks)), number, zone, login_name)
            return
    if rest:
        yield from _by_line(rest.splitlines(keepends=True), number, zone, login_name)


def _fast(text: str, number: int, zone: tzinfo, login_name: str) -> Record | Reject | None:
    """One record as FreeRADIUS writes it, or None when it needs reading line by line."""
    if not text or text[0] in "\t #\n":
        return None
    lines = text.split("\n\t")
    if text.count("\n") != len(lines) - 1 or "=" in lines[0]:
        return None  # a line not indented by one tab, or no header line
    try:
        values = dict(map(str.split, islice(lines, 1, None), _EQUALS, _ONCE))
    except ValueError:  # a line without " = "
        return None
    names = " ".join(values)
    if "=" in names or "  " in names or "\t" in names or names[:1] == " " or names[-1:] == " ":
        return None  # odd spacing around a name, or an "=" before the " = " (as in 'Name="a = b"')
    return _common(values, number, login_name) or _record(values, lines, number, "", zone, login_name, text + "\n\n")


_EQUALS, _ONCE = repeat(" = "), repeat(1)  # endless, so one pair serves every map()
_COMMON = {"Start": START, "Stop": STOP, "Interim-Update": INTERIM}


def _common(values: dict[str, str], number: int, login_name: str) -> Record | None:
    """The everyday Start, Interim-Update or Stop, built with as few steps as possible; None for
    anything else (missing or quoted numbers, escapes, no Timestamp...), which ``_build`` then reads."""
    get = values.get
    kind = _COMMON.get(get("Acct-Status-Type"))
    login = get(login_name)
    session_id = get("Acct-Unique-Session-Id") or get("Acct-Session-Id")
    nas = get("NAS-IP-Address") or get("NAS-IPv6-Address") or get("NAS-Identifier") or ""
    if kind is None or not login or not session_id or "\\" in login or "\\" in session_id or "\\" in nas:
        return None
    if login[0] == '"':
        if login[-1] != '"' or len(login) < 3:
            return None
        login = login[1:-1]
    if session_id[0] == '"':
        if session_id[-1] != '"' or len(session_id) < 3:
            return None
        session_id = session_id[1:-1]
    if nas[:1] == '"':
        nas = nas[1:-1] if nas[-1] == '"' and len(nas) > 1 else None
    if nas is None or nas != nas.strip() or login != login.strip() or session_id != session_id.strip():
        return None
    if not (login + session_id + nas).isascii() or not (login + session_id + nas).isprintable() \
            or max(len(login), len(session_id), len(nas)) > TEXT_LIMIT:
        return None  # odd bytes or an endless value: the careful path names it
    numbers = [get("Timestamp"), get("Acct-Session-Time") or "0", get("Acct-Input-Octets") or "0",
               get("Acct-Output-Octets") or "0", get("Acct-Input-Gigawords") or "0", get("Acct-Output-Gigawords") or "0"]
    try:
        time, secs, octets_in, octets_out, giga_in, giga_out = map(int, numbers)
    except (ValueError, TypeError):
        return None
    joined = "".join(numbers)
    if not joined.isdigit() or not joined.isascii():
        return None  # signs, blanks, underscores: let the careful path say what is wrong
    if time > MAX_TIME or max(secs, octets_in + (giga_in << 32), octets_out + (giga_out << 32)) > MAX_COUNT:
        return None  # beyond what can be stored: the careful path names it
    if kind is START:
        return tuple.__new__(Record, (number, kind, nas, session_id, login, time, time, None, 0, 0))
    if "Acct-Session-Time" not in values:
        secs = None
    elif secs > time:
        return None
    return tuple.__new__(Record, (number, kind, nas, session_id, login, time, None, secs,
                                  octets_in + (giga_in << 32), octets_out + (giga_out << 32)))


def _by_line(lines: Iterable[str], number: int, zone: tzinfo, login_name: str) -> Iterator[Record | Reject]:
    """The reference reading: line by line, any spacing; ``number`` is the first line's number."""
    values: dict[str, str] = {}
    text: list[str] = []
    first = 0
    bad = ""
    number -= 1
    for line in lines:
        number += 1
        name, eq, value = line.partition("=")
        if eq:
            if not text:  # a record with no header line
                first = number
            text.append(line)
            values[name.strip()] = value
            continue
        if not line.strip():  # the blank line that ends a record
            if text:
                text.append(line)
                yield _record(values, text, first, bad, zone, login_name)
                values, text, bad = {}, [], ""
            continue
        if line[0] in " \t":
            if not text:
                first = number
            text.append(line)
            bad = bad or f"line {number} is not 'Attribute = Value'"
            continue
        if not text and line[0] == "#":  # a comment between records (as in a rejects file)
            continue
        if text:  # a header line with no blank line before it: the previous record ended
            yield _record(values, text, first, bad, zone, login_name)
            values, bad = {}, ""
        text, first = [line], number
    if text:
        if not text[-1].endswith("\n"):
            yield Reject(first, CUT_OFF, "".join(text))
        else:
            yield _record(values, text, first, bad, zone, login_name)


def _record(values: dict[str, str], lines: list[str], first: int, bad: str, zone: tzinfo, login_name: str, raw: str | None = None):
    try:
        if bad:
            raise Malformed(bad)
        return _build(values, lines, first, zone, login_name)
    except Malformed as e:
        return Reject(first, str(e), "".join(lines) if raw is None else raw)


def _build(values: dict[str, str], text: list[str], first: int, zone: tzinfo, login_name: str) -> Record:
    """The record of one detail entry's attributes (raw values, by attribute name)."""
    get = values.get
    status = get("Acct-Status-Type")
    if status is None:
        if "Acct-Session-Id" in values or "Acct-Unique-Session-Id" in values:
            raise Malformed("no Acct-Status-Type")
        return Record(first, NO_USAGE)  # an authentication-side record
    kind = STATUS.get(status)
    if kind is None:
        status = unquote(status)
        kind = STATUS.get(status)
        if kind is None:
            if status in NO_USAGE_STATUS:
                return Record(first, NO_USAGE)
            raise Malformed(f"Acct-Status-Type: {status!r} is not an accounting status")
    nas = name_text(unquote(get("NAS-IP-Address") or get("NAS-IPv6-Address") or get("NAS-Identifier") or ""), "NAS")
    if kind is not NAS_RESTART:
        login = unquote(get(login_name) or "") or _spelled_otherwise(text, login_name)
        if not login:
            raise Malformed(f"no {login_name}")
        name_text(login, login_name)
        session_id = unquote(values["Acct-Unique-Session-Id"]) if "Acct-Unique-Session-Id" in values else ""
        if not session_id:
            session_id = unquote(get("Acct-Session-Id") or "")
        if not session_id:
            raise Malformed("no Acct-Session-Id")
        name_text(session_id, "session id")
    if "Timestamp" in values:
        time = seconds(values["Timestamp"], "Timestamp")
    elif "Event-Timestamp" in values:
        time = timestamp(unquote(values["Event-Timestamp"]), zone, "Event-Timestamp", "is not a date")
    elif text[0].strip() and "=" not in text[0]:
        time = ctime(text[0], zone, "header line")
    else:
        raise Malformed("no time: no Timestamp, Event-Timestamp or header line")
    if kind is NAS_RESTART:
        if not nas:
            raise Malformed("no NAS-IP-Address or NAS-Identifier")
        return bounded(Record(first, kind, nas, time=time))
    if kind is START:
        return bounded(Record(first, kind, nas, session_id, login, time, time))
    raw = [get(name) or "0" for name in _COUNTERS]
    secs = get("Acct-Session-Time")
    try:  # the common case in one go: plain digits everywhere
        octets_in = int(raw[0]) + (int(raw[2]) << 32)
        octets_out = int(raw[1]) + (int(raw[3]) << 32)
        if secs is not None:
            secs = int(secs)
            raw.append(get("Acct-Session-Time"))
        joined = "".join(raw)
        plain = (joined.isascii() and "-" not in joined and "_" not in joined and "+" not in joined
                 and max(map(int, raw)) <= MAX_COUNT)
    except ValueError:
        plain = False
    if not plain:  # find the culprit, for an exact message
        octets_in, octets_out, in_giga, out_giga = (count(v, name) for v, name in zip(raw, _COUNTERS))
        octets_in += in_giga * GIGAWORD
        octets_out += out_giga * GIGAWORD
        secs = get("Acct-Session-Time")
        secs = None if secs is None else seconds(secs, "Acct-Session-Time")
    if secs is not None and secs > time:
        raise Malformed(f"Acct-Session-Time: {secs} would start the session before 1970")
    return bounded(Record(first, kind, nas, session_id, login, time, None, secs, octets_in, octets_out))


_COUNTERS = ("Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Gigawords", "Acct-Output-Gigawords")


def _spelled_otherwise(text: list[str], name: str) -> str:
    """The value of attribute ``name`` written in another case (``user-name``), else ""."""
    key = normalize(name)
    for line in text:
        attribute, eq, value = line.partition("=")
        if eq and normalize(attribute) == key:
            return unquote(value)
    return ""
