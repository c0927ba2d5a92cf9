"""FreeRADIUS / Livingston ``detail`` files.

Each record is a header line (``Tue Mar 23 13:51:45 2021``, the server's local
time) followed by indented ``Attribute = Value`` lines, and ends at a blank
line. Values may be quoted or bare; attributes we do not use are ignored, so
vendor attributes and pseudo-attributes pass through harmlessly.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Iterable, Iterator

from wwwtrak.usage.records import (
    normalize,
    CUT_OFF,
    GIGAWORD,
    INTERIM,
    NAS_RESTART,
    NO_USAGE,
    START,
    STOP,
    Malformed,
    Record,
    Reject,
    count,
    ctime,
    seconds,
    timestamp,
    unquote,
)

# The attributes a session needs, by the short names the parser keeps them under.
ATTRIBUTES = {
    "User-Name": "login",
    "Acct-Status-Type": "status",
    "Acct-Session-Id": "sid",
    "Acct-Unique-Session-Id": "usid",
    "NAS-IP-Address": "nas_ip",
    "NAS-IPv6-Address": "nas_ip6",
    "NAS-Identifier": "nas_id",
    "Timestamp": "ts",
    "Event-Timestamp": "event",
    "Acct-Session-Time": "secs",
    "Acct-Input-Octets": "in",
    "Acct-Output-Octets": "out",
    "Acct-Input-Gigawords": "in_gw",
    "Acct-Output-Gigawords": "out_gw",
}

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


def parse(lines: Iterable[str], *, zone: tzinfo, login_attribute: str | None = None) -> Iterator[Record | Reject]:
    """Records and rejects of a detail file, in file order; memory holds one record at a time."""
    wanted = dict(ATTRIBUTES)
    login_name = "User-Name"
    if login_attribute:
        del wanted["User-Name"]
        login_name = login_attribute.strip()
        wanted[login_name] = "login"
    values: dict[str, str] = {}
    text: list[str] = []
    first = 0
    bad = ""
    number = 0
    for line in lines:
        number += 1
        name, eq, value = line.partition("=")
        if eq:
            if not text:  # a record with no header line
                first = number
            text.append(line)
            short = wanted.get(name.strip())
            if short is not None:
                values[short] = value
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


def _record(values: dict[str, str], text: list[str], first: int, bad: str, zone: tzinfo, login_name: str):
    try:
        if bad:
            raise Malformed(bad)
        return _build(values, text, first, zone, login_name)
    except Malformed as e:
        return Reject(first, str(e), "".join(text))


def _build(values: dict[str, str], text: list[str], first: int, zone: tzinfo, login_name: str) -> Record:
    get = values.get
    status = get("status")
    if status is None:
        if "sid" in values or "usid" in values:
            raise Malformed("no Acct-Status-Type")
        return Record(first, NO_USAGE)  # an authentication-side record
    status = unquote(status)
    kind = STATUS.get(status)
    if kind is None:
        if status in NO_USAGE_STATUS:
            return Record(first, NO_USAGE)
        raise Malformed(f"Acct-Status-Type: {status!r} is not an accounting status")
    nas = unquote(get("nas_ip") or get("nas_ip6") or get("nas_id") or "")
    login = unquote(get("login") or "") or _spelled_otherwise(text, login_name)
    if kind is not NAS_RESTART:
        if not login:
            raise Malformed(f"no {login_name}")
        session_id = unquote(get("usid") or "") or unquote(get("sid") or "")
        if not session_id:
            raise Malformed("no Acct-Session-Id")
    if "ts" in values:
        time = seconds(unquote(values["ts"]), "Timestamp")
    elif "event" in values:
        time = timestamp(unquote(values["event"]), zone, "Event-Timestamp", "is not a date")
    elif first and text[0].strip() and "=" not in text[0]:
        time = ctime(text[0], zone, "header line")
    else:
        raise Malformed("no time: no Timestamp, Event-Timestamp or header line")
    if kind is NAS_RESTART:
        if not nas:
            raise Malformed("no NAS-IP-Address or NAS-Identifier")
        return Record(first, kind, nas, time=time)
    if kind is START:
        return Record(first, kind, nas, session_id, login, time, time)
    secs = get("secs")
    secs = None if secs is None else seconds(unquote(secs), "Acct-Session-Time")
    if secs is not None and secs > time:
        raise Malformed(f"Acct-Session-Time: {secs} would start the session before 1970")
    octets_in = count(unquote(get("in") or "0"), "Acct-Input-Octets")
    octets_out = count(unquote(get("out") or "0"), "Acct-Output-Octets")
    if "in_gw" in values:
        octets_in += count(unquote(values["in_gw"]), "Acct-Input-Gigawords") * GIGAWORD
    if "out_gw" in values:
        octets_out += count(unquote(values["out_gw"]), "Acct-Output-Gigawords") * GIGAWORD
    return Record(first, kind, nas, session_id, login, time, None, secs, octets_in, octets_out)


def _spelled_otherwise(text: list[str], name: str) -> str:
    """The value of attribute ``name`` written in another case (``user-name``), else ""."""
    key = normalize(name)
    for line in text:
        attribute, eq, value = line.partition("=")
        if eq and normalize(attribute) == key:
            return unquote(value)
    return ""
