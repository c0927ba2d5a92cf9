"""The parsers on their own: the detail fast path reads exactly what the careful line-by-line path reads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wwwtrak.usage import detail
from wwwtrak.usage.records import NO_USAGE, START, STOP, Record, Reject, iter_lines

ZONE = ZoneInfo("America/Chicago")

NAMES = ["User-Name", "Acct-Status-Type", "Acct-Session-Id", "Acct-Unique-Session-Id", "NAS-IP-Address",
         "NAS-Identifier", "Timestamp", "Event-Timestamp", "Acct-Session-Time", "Acct-Input-Octets",
         "Acct-Output-Octets", "Acct-Input-Gigawords", "Acct-Output-Gigawords", "Framed-IP-Address",
         "Attr-26.4874.177", "Calling-Station-Id", "user-name", "Timestamp-Extra"]
VALUES = st.sampled_from([
    "0", "7", "1793714400", "-5", "12k", '"120"', '"alice"', "alice", '"a\\"b"', '""', "", "Start", "Stop",
    "Interim-Update", "Accounting-On", "Failed", "Garbage", "10.0.0.1", '"Nov  3 2026 07:00:00 CST"', "0x00ff",
    '"a = b"', "x=y", "  9  ", "1_0", "+3",
])
SPACING = st.sampled_from([" = ", " = ", " = ", "=", "  =  ", " =\t", "\t= "])
INDENT = st.sampled_from(["\t", "\t", "\t", "        ", "", "\t "])
HEADER = st.sampled_from(["Tue Nov  3 08:00:00 2026", "Mon Foo 99 25:00:00 2026", "", "# a comment"])
SEPARATOR = st.sampled_from(["\n\n", "\n\n", "\n\n", "\n\n\n", "\n \n", "\n"])


GOOD = {
    "User-Name": st.sampled_from(['"alice"', "bob", '"a\\"b"', '""', '"x']),
    "Acct-Status-Type": st.sampled_from(["Start", "Stop", "Interim-Update", "Accounting-On", "Failed", "Garbage", "2"]),
    "Acct-Session-Id": st.sampled_from(['"s1"', "s2", '""', '"x = y"']),
    "NAS-IP-Address": st.sampled_from(["10.0.0.1", '"10.0.0.2"', ""]),
    "Timestamp": st.sampled_from(["1793714400", "1793718000", "-5", '"1793714400"', "x"]),
    "Acct-Session-Time": st.sampled_from(["0", "3600", "1793714401", "-1", "1_0"]),
    "Acct-Input-Octets": st.sampled_from(["0", "5", "+5", " 5", "12k"]),
    "Acct-Output-Gigawords": st.sampled_from(["0", "1", "x"]),
}


@st.composite
def record_lines(draw):
    """Mostly what FreeRADIUS writes (tab, " = "), now and then something odd."""
    canonical = draw(st.booleans())
    header = draw(HEADER) if not canonical else "Tue Nov  3 08:00:00 2026"
    lines = [header] if header else []
    if canonical:  # what a record needs, shuffled among attributes nobody reads
        extra = draw(st.lists(st.sampled_from(["Framed-IP-Address", "Attr-26.4874.177", "user-name",
                                               "Timestamp-Extra", "Calling-Station-Id", "NAS-Port"]), max_size=5))
        names = draw(st.permutations(list(GOOD) + extra))
    else:
        names = draw(st.lists(st.sampled_from(NAMES), max_size=9))
    for name in names:
        if canonical and draw(st.integers(0, 40)) == 0:
            lines.append("\tstray line without an equals sign")
        value = draw(GOOD[name]) if name in GOOD and draw(st.integers(0, 4)) else draw(VALUES)
        if name == "NAS-Port":
            value = ""  # a line that ends right after " = "
        if canonical:
            lines.append("\t" + name + " = " + value)
        else:
            lines.append(draw(INDENT) + name + draw(SPACING) + value)
    return "\n".join(lines)


@st.composite
def detail_text(draw):
    text = "".join(draw(record_lines()) + draw(SEPARATOR) for _ in range(draw(st.integers(0, 6))))
    if text and draw(st.booleans()):
        text = text.rstrip("\n")  # ends mid-line, or without its closing blank line
    return text


def chunked(text, sizes):
    out, i = [], 0
    for n in sizes:
        out.append(text[i:i + n])
        i += n
    out.append(text[i:])
    return out


@settings(max_examples=400, deadline=None)
@given(detail_text(), st.lists(st.integers(1, 200), max_size=8), st.sampled_from([None, "Calling-Station-Id"]))
def test_fast_path_and_chunking_read_what_the_line_by_line_path_reads(text, sizes, login_attribute):
    careful = list(detail._by_line(iter_lines([text]), 1, ZONE, login_attribute or "User-Name"))
    fast = list(detail.parse(chunked(text, sizes), zone=ZONE, login_attribute=login_attribute))
    assert fast == careful
    assert all(type(x) in (Record, Reject) for x in fast)


@pytest.mark.parametrize("line", [
    'Acct-Session-Id="x = y"', "Acct-Session-Id  = x", "Acct-Session-Id =x", " Acct-Session-Id = x",
    "Acct-Session-Id \t= x", "Acct-Session-Id\t = x", "\tAcct-Session-Id = x",
])
def test_odd_spacing_reads_as_the_careful_path_reads(line):
    text = 'Tue Nov  3 08:00:00 2026\n\tUser-Name = "a"\n\tAcct-Status-Type = Start\n\t' + line + "\n\tTimestamp = 1\n\n"
    careful = list(detail._by_line(iter_lines([text]), 1, ZONE, "User-Name"))
    assert list(detail.parse([text], zone=ZONE)) == careful
    assert isinstance(careful[0], Record) and careful[0].session_id in ("x", "x = y")


def test_canonical_records_take_the_fast_path(monkeypatch):
    text = (
        'Tue Nov  3 08:00:00 2026\n\tUser-Name = "alice"\n\tAcct-Status-Type = Start\n\tAcct-Session-Id = "s1"\n'
        "\tNAS-IP-Address = 10.0.0.1\n\tTimestamp = 1793714400\n\n"
        'Tue Nov  3 09:00:00 2026\n\tUser-Name = "alice"\n\tAcct-Status-Type = Stop\n\tAcct-Session-Id = "s1"\n'
        "\tNAS-IP-Address = 10.0.0.1\n\tAcct-Session-Time = 3600\n\tAcct-Input-Octets = 5\n"
        "\tAcct-Output-Octets = 6\n\tAcct-Output-Gigawords = 1\n\tTimestamp = 1793718000\n\n"
        "Tue Nov  3 09:00:00 2026\n\tPacket-Type = Access-Request\n\tUser-Name = \"bob\"\n\n"
    )

    def careful(*a, **k):
        raise AssertionError("read line by line")

    monkeypatch.setattr(detail, "_by_line", careful)
    assert list(detail.parse([text], zone=ZONE)) == [
        Record(1, START, "10.0.0.1", "s1", "alice", 1793714400, 1793714400, None, 0, 0),
        Record(8, STOP, "10.0.0.1", "s1", "alice", 1793718000, None, 3600, 5, 6 + 2**32),
        Record(19, NO_USAGE),
    ]


# --- times ------------------------------------------------------------------------------------------

from wwwtrak.usage.records import Malformed, ctime, timestamp  # noqa: E402

T0 = 1793714400  # 2026-11-03 08:00:00 CST


@pytest.mark.parametrize("text, epoch", [
    ("1793714400", T0),
    ("2026-11-03 08:00:00", T0),                    # no offset: the ISP's zone
    ("2026-11-03T08:00", T0),
    ("2026-11-03T14:00:00Z", T0),
    ("2026-11-03 14:00:00 UTC", T0),
    ("2026-11-03T08:00:00-06:00", T0),
    ("2026-11-03T09:00:00-0500", T0),
    ("2026-11-03T14:00:00.250+00", T0),
    ("Nov  3 2026 08:00:00 CST", T0),               # how FreeRADIUS prints Event-Timestamp
    ("Nov  3 2026 09:00:00 EST", T0),               # another zone's abbreviation
    ("Nov  3 2026 14:00:00 GMT", T0),
    ("Nov  3 2026 08:00:00", T0),
    ("Nov  1 2026 01:30:00 CDT", 1793514600),       # the hour that happens twice: the abbreviation decides
    ("Nov  1 2026 01:30:00 CST", 1793514600 + 3600),
])
def test_timestamps_in_every_form_the_files_use(text, epoch):
    assert timestamp(text, ZONE, "start") == epoch


@pytest.mark.parametrize("text, message", [
    ("yesterday", "start: 'yesterday' is not a date and time"),
    ("2026-13-01 00:00:00", "start: '2026-13-01 00:00:00' is not a date and time"),
    ("2026-11-03", "start: '2026-11-03' is not a date and time"),
    ("Nov  3 2026 08:00:00 XYZ", "start: 'Nov  3 2026 08:00:00 XYZ' is not a date and time: unknown time zone 'XYZ'"),
    ("-5", "start: '-5' is a negative time"),
])
def test_bad_timestamps_say_why(text, message):
    with pytest.raises(Malformed) as e:
        timestamp(text, ZONE, "start")
    assert str(e.value) == message


def test_header_lines():
    assert ctime("Tue Nov  3 08:00:00 2026\n", ZONE, "header line") == T0
    assert ctime("Wed Nov  3 08:00:00 2026", ZONE, "header line") == T0  # a wrong weekday is not checked
    assert ctime("Nov  3 08:00:00 2026", ZONE, "header line") == T0
    with pytest.raises(Malformed) as e:
        ctime("Tue Nov 31 08:00:00 2026", ZONE, "header line")
    assert str(e.value) == "header line: 'Tue Nov 31 08:00:00 2026' is not a date"
