"""usage import / list / unmatched: RADIUS accounting in, one row per session out, every record accounted for."""

from __future__ import annotations

import gzip
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest

from helpers import PG_SERVER, invoke, login_as, sql, switch_to_root

SAMPLES = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "radius-detail"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "usage"

T0 = 1793714400  # 2026-11-03 08:00:00 America/Chicago (CST, -06:00) = 14:00 UTC
COUNTS = ("read", "imported", "updated", "duplicates", "skipped", "rejected", "unmatched")


# --- helpers ------------------------------------------------------------------------


def rec(status, user="alice", sid="s1", ts=T0, nas="192.0.2.1", secs=None, inp=None, out=None,
        header="Tue Nov  3 08:00:00 2026", extra=()):
    """One FreeRADIUS detail record, tab-indented, ending with its blank line."""
    lines = [header] if header else []
    if user is not None:
        lines.append(f'\tUser-Name = "{user}"')
    lines.append(f"\tAcct-Status-Type = {status}")
    if sid is not None:
        lines.append(f'\tAcct-Session-Id = "{sid}"')
    if nas:
        lines.append(f"\tNAS-IP-Address = {nas}")
    if secs is not None:
        lines.append(f"\tAcct-Session-Time = {secs}")
    if inp is not None:
        lines.append(f"\tAcct-Input-Octets = {inp}")
    if out is not None:
        lines.append(f"\tAcct-Output-Octets = {out}")
    lines += [f"\t{x}" for x in extra]
    if ts is not None:
        lines.append(f"\tTimestamp = {ts}")
    return "\n".join(lines) + "\n\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def imp(*args, input=None):
    """``usage import ... --format json`` that must succeed; returns the summary."""
    r = invoke("usage", "import", *args, "--format", "json", input=input)
    assert r.exit_code == 0, r.stderr
    return r.json


def counts(summary):
    return tuple(summary[k] for k in COUNTS)


def sessions(*args):
    r = invoke("usage", "list", *args, "--format", "json")
    assert r.exit_code == 0, r.stderr
    return r.json


def brief(rows):
    """The fields that make a session's state, for comparing."""
    return [(s["login"], s["nas"], s["session_id"], s["start"], s["stop"], s["seconds"], s["bytes_in"], s["bytes_out"]) for s in rows]


def iso(epoch):
    """Local ISO 8601 time in the test zone, as ``usage list --format json`` shows it."""
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(epoch, ZoneInfo("America/Chicago")).isoformat()


def add_customer(name, *logins):
    """A customer holding ``logins``, made with the models as the customer form will, claiming their sessions."""
    from wwwtrak import db
    from wwwtrak.models import Customer, Login, UsageSession

    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        with db.atomic():
            c = Customer.create(type="individual", name=name, start_date=date(2026, 1, 1))
            for u in logins:
                Login.create(customer=c, username=u, key=u.casefold())
                UsageSession.update(customer=c.id).where(
                    (UsageSession.login_key == u.casefold()) & UsageSession.customer.is_null()
                ).execute()
        return c.id
    finally:
        db.close_database()


def default_rejects(tmp_path, import_id):
    """Where an import's rejects go by default: beside a SQLite file; for PostgreSQL, the data directory."""
    if PG_SERVER:
        return tmp_path / "home" / "data" / "wwwtrak" / "rejects" / f"import-{import_id}.txt"
    return tmp_path / "rejects" / f"import-{import_id}.txt"


def query(_where, statement, *params):
    """Rows of raw SQL on the database under test (``WWWTRAK_DB``, either backend)."""
    return [tuple(row) for row in sql(statement, *params)]


# --- 1. formats -----------------------------------------------------------------------


def test_start_interim_stop_make_one_session(cli, tmp_path):
    f = write(tmp_path, "acct.detail",
              rec("Start", ts=T0)
              + rec("Interim-Update", ts=T0 + 600, secs=600, inp=1000, out=20000)
              + rec("Stop", ts=T0 + 3600, secs=3600, inp=5000, out=90000))
    s = imp(str(f))
    assert counts(s) == (3, 1, 2, 0, 0, 0, 1)
    rows = sessions()
    assert brief(rows) == [("alice", "192.0.2.1", "s1", "2026-11-03T08:00:00-06:00", "2026-11-03T09:00:00-06:00", 3600, 5000, 90000)]
    assert rows[0]["customer_id"] is None


def test_detail_values_quoted_or_bare_unknown_and_vendor_attributes_odd_spacing(cli, tmp_path):
    text = (
        "Tue Nov  3 08:00:00 2026\n"
        "        User-Name=alice\n"                                  # spaces, no blanks around '='
        "\tAcct-Status-Type   =   Stop\n"
        "\tAcct-Session-Id = 0000A1F3\n"                             # bare value
        "\tNAS-Identifier = \"bras-1\"\n"                            # no NAS-IP-Address
        "\tAttr-26.4874.177 = 0x506f72742073706565643a20313030303030306b\n"
        "\tAscend-Disconnect-Cause = 45\n"
        "\tTmp-String-9 = \"ai:\"\n"
        "\tAcct-Session-Time = \"120\"\n"
        "\tAcct-Input-Octets = 10\t\n"
        "\tAcct-Output-Octets = 20\n"
        "\tAcct-Input-Gigawords = 1\n"
        "\tAcct-Output-Gigawords = 2\n"
        f"\tTimestamp = {T0}\n"
        "\tRequest-Authenticator = Verified\n"
    )
    s = imp(str(write(tmp_path, "odd.detail", text)))
    assert counts(s) == (1, 1, 0, 0, 0, 0, 1)
    assert brief(sessions()) == [("alice", "bras-1", "0000A1F3", iso(T0 - 120), iso(T0), 120, 10 + 2**32, 20 + 2 * 2**32)]


def test_time_from_timestamp_else_event_timestamp_else_header(cli, tmp_path):
    text = (
        rec("Stop", sid="a", secs=60, inp=1, out=1, ts=T0 + 7, extra=['Event-Timestamp = "Nov  3 2026 07:00:00 CST"'])
        + rec("Stop", sid="b", secs=60, inp=1, out=1, ts=None, extra=['Event-Timestamp = "Nov  3 2026 07:00:00 CST"'])
        + rec("Stop", sid="c", secs=60, inp=1, out=1, ts=None, extra=[f"Event-Timestamp = {T0 + 30}"])
        + rec("Stop", sid="d", secs=60, inp=1, out=1, ts=None, header="Tue Nov  3 09:00:00 2026")
    )
    imp(str(write(tmp_path, "t.detail", text)))
    stops = {s["session_id"]: s["stop"] for s in sessions()}
    assert stops == {
        "a": iso(T0 + 7),
        "b": "2026-11-03T07:00:00-06:00",
        "c": iso(T0 + 30),
        "d": "2026-11-03T09:00:00-06:00",  # the header line is local time in the ISP's zone
    }


def test_radacct_csv_columns_in_any_order_extra_columns_ignored(cli, tmp_path):
    text = (
        "radacctid,username,realm,nasipaddress,acctsessionid,acctuniqueid,acctstarttime,acctupdatetime,acctstoptime,"
        "acctsessiontime,acctinputoctets,acctoutputoctets,callingstationid,acctterminatecause\n"
        "1,alice,,10.0.0.1,00000001,,2026-11-03 08:00:00,2026-11-03 08:10:00,2026-11-03 09:00:00,3600,5000,90000,00-11,User-Request\n"
        "2,bob,,10.0.0.1,00000002,u-bob-2,2026-11-03 08:30:00,2026-11-03 08:40:00,NULL,600,100,200,00-12,\n"
        "3,carol,,10.0.0.2,00000003,,2026-11-03T14:00:00Z,,2026-11-03T15:00:00+00:00,,7,8,00-13,Lost-Carrier\n"
    )
    s = imp(str(write(tmp_path, "radacct.csv", text)))
    assert counts(s) == (3, 3, 0, 0, 0, 0, 3)
    assert s["files"][0]["format"] == "radacct"
    assert brief(sessions()) == [  # in order of start
        ("alice", "10.0.0.1", "00000001", "2026-11-03T08:00:00-06:00", "2026-11-03T09:00:00-06:00", 3600, 5000, 90000),
        ("carol", "10.0.0.2", "00000003", "2026-11-03T08:00:00-06:00", "2026-11-03T09:00:00-06:00", 3600, 7, 8),
        ("bob", "10.0.0.1", "u-bob-2", "2026-11-03T08:30:00-06:00", None, 600, 100, 200),
    ]


def test_own_csv_layout(cli, tmp_path):
    text = (
        "login,start,stop,seconds,bytes_in,bytes_out,session_id,nas\n"
        "alice,2026-11-03 08:00:00,2026-11-03 09:00:00,3600,5000,90000,s1,bras-1\n"
        "bob,2026-11-03T08:00:00-06:00,,,0,0,s2,bras-1\n"
        "carol,2026-11-03T14:00:00Z,2026-11-03T14:30:00Z,,10,20,s3,\n"
    )
    s = imp(str(write(tmp_path, "usage.csv", text)))
    assert counts(s) == (3, 3, 0, 0, 0, 0, 3) and s["files"][0]["format"] == "csv"
    assert brief(sessions()) == [
        ("alice", "bras-1", "s1", "2026-11-03T08:00:00-06:00", "2026-11-03T09:00:00-06:00", 3600, 5000, 90000),
        ("bob", "bras-1", "s2", "2026-11-03T08:00:00-06:00", None, 0, 0, 0),
        ("carol", "", "s3", "2026-11-03T08:00:00-06:00", "2026-11-03T08:30:00-06:00", 1800, 10, 20),
    ]


def test_gzip_stdin_and_several_files(cli, tmp_path):
    one = rec("Start", sid="g1", ts=T0)
    two = rec("Stop", sid="g1", ts=T0 + 60, secs=60, inp=1, out=2) + rec("Stop", sid="g2", ts=T0 + 60, secs=60, inp=3, out=4)
    gz = tmp_path / "detail-1.gz"
    gz.write_bytes(gzip.compress(one.encode()))
    plain = write(tmp_path, "detail-2", two)
    s = imp(str(gz), str(plain))
    assert counts(s) == (3, 2, 1, 0, 0, 0, 2)
    assert [f["file"] for f in s["files"]] == [str(gz), str(plain)]
    # zcat detail-*.gz | wwwtrak usage import -
    s = imp("-", input=one + two)
    assert counts(s) == (3, 0, 0, 3, 0, 0, 0) and s["files"][0]["file"] == "<stdin>"
    s = imp(input=gzip.compress((one + two).encode()))  # no FILE: stdin, gzip detected by its magic bytes
    assert counts(s) == (3, 0, 0, 3, 0, 0, 0)
    assert [x[-3:] for x in brief(sessions())] == [(60, 1, 2), (60, 3, 4)]


def test_login_attribute_names_another_attribute_or_column(cli, tmp_path):
    f = write(tmp_path, "ipoe.detail", rec("Stop", user="ignored", secs=60, inp=1, out=2,
                                           extra=['Calling-Station-Id = "ac:16:2d:75:9d:0a"']))
    imp(str(f), "--login-attribute", "Calling-Station-Id")
    assert [s["login"] for s in sessions()] == ["ac:16:2d:75:9d:0a"]
    csv = write(tmp_path, "r.csv", "username,acctsessionid,nasipaddress,acctstarttime,acctstoptime,acctinputoctets,acctoutputoctets,callingstationid\n"
                                   "x,77,10.0.0.9,2026-11-03 08:00:00,2026-11-03 08:01:00,1,1,AA-BB\n")
    imp(str(csv), "--login-attribute", "Calling-Station-Id")  # radacct column callingstationid
    assert sorted(s["login"] for s in sessions()) == ["AA-BB", "ac:16:2d:75:9d:0a"]
    r = invoke("usage", "import", str(f), "--login-attribute", "Framed-IP-Address", "--format", "json")
    assert r.exit_code == 0 and r.json["rejected"] == 1


def test_format_detection_and_forced_format(cli, tmp_path):
    f = write(tmp_path, "mystery.txt", "hello world\nthis is not accounting\n")
    r = invoke("usage", "import", str(f))
    assert r.exit_code == 1
    assert r.stderr == f"error: {f}: cannot tell the format (detail, radacct or csv); name it with --from\n"
    d = write(tmp_path, "a.detail", rec("Start"))
    r = invoke("usage", "import", str(d), "--from", "csv")
    assert r.exit_code == 1
    assert r.stderr == f"error: {d}: line 1: not a csv header: missing login, start, stop, seconds, bytes_in, bytes_out, session_id, nas\n"
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_import") == [(0,)]
    missing = tmp_path / "nope.detail"
    r = invoke("usage", "import", str(d), str(missing))
    assert r.exit_code == 1 and r.stderr == f"error: {missing}: cannot open: No such file or directory\n"
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_session") == [(0,)]  # checked before importing anything
    # a header its format cannot read is refused up front too: the files before it used to be imported
    # (and their summary lost) before the command stopped on it
    bad = write(tmp_path, "short.csv", "login,session_id,start\nbob,x1,2026-11-03 08:00:00\n")
    r = invoke("usage", "import", str(d), str(bad))
    assert r.exit_code == 1
    assert r.stderr == f"error: {bad}: line 1: not a csv header: missing stop, seconds, bytes_in, bytes_out, nas\n"
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_session") == [(0,)]
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_import") == [(0,)]


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples/radius-detail is not present")
def test_real_detail_samples(cli, tmp_path):
    def one(name):
        return counts(imp(str(SAMPLES / name), "--rejects", str(tmp_path / f"{name}.rejects")))

    assert one("freeradius-v3_logstash-radius-conf_auth-detail-extract.txt") == (1, 0, 0, 0, 1, 0, 0)
    assert one("freeradius_src-tests-detail_one.txt") == (1, 1, 0, 0, 0, 0, 1)
    assert one("gbill_ascend-max-1999_detail-extract.txt") == (2, 2, 0, 0, 0, 0, 2)
    assert one("gnu-radius_acct-texi-example.txt") == (2, 1, 1, 0, 0, 0, 1)
    assert one("juniper-mx-bng_detail-extract-from-README.txt") == (4, 2, 2, 0, 0, 0, 2)
    got = {(s["login"], s["session_id"]): s for s in sessions()}
    assert len(got) == 6
    bob = got[("bob", "ed8119f6919c6f6f")]
    assert (bob["nas"], bob["start"], bob["stop"]) == ("10.10.0.179", iso(1554226681), None)
    # no Timestamp: the header line, read in the ISP's zone (the weekday is wrong in the file and ignored)
    gbill = got[("gBill", "260420551")]
    assert (gbill["nas"], gbill["start"], gbill["stop"]) == ("xxx.xxx.xxx.xxx", "1999-06-22T21:28:18-05:00", None)
    jeff = got[("jeff", "260420548")]
    assert (jeff["start"], jeff["stop"], jeff["seconds"], jeff["bytes_in"], jeff["bytes_out"]) == (
        "1999-06-22T21:27:02-05:00", "1999-06-22T21:29:25-05:00", 143, 9950, 98682)
    e2 = got[("e2", "2193976896017")]
    assert (e2["nas"], e2["start"], e2["stop"], e2["seconds"], e2["bytes_in"], e2["bytes_out"]) == (
        "11.10.10.11", iso(976896024), iso(976897929), 1905, 7761, 5382)
    jun = got[("juniper", "c6972b3b7c5abe21400063b1fc3680e6")]
    assert (jun["nas"], jun["start"], jun["stop"], jun["seconds"], jun["bytes_in"], jun["bytes_out"]) == (
        "1.1.1.1", iso(1616521905), iso(1616521983), 77, 190, 30)
    mac = got[("ac:16:2d:75:9d:0a", "35a759cd80c000b23127a7f59ef0716f")]
    assert (mac["start"], mac["stop"], mac["seconds"], mac["bytes_in"], mac["bytes_out"]) == (
        iso(1616522031), iso(1616522078), 47, 1176, 927)
    # every sample again: nothing changes, every accounting record is a duplicate
    for name, expected in [("gnu-radius_acct-texi-example.txt", (2, 0, 0, 2, 0, 0, 0)),
                           ("juniper-mx-bng_detail-extract-from-README.txt", (4, 0, 0, 4, 0, 0, 0))]:
        assert one(name) == expected
    # IPoE subscribers known by their MAC address
    s = imp(str(SAMPLES / "juniper-mx-bng_detail-extract-from-README.txt"), "--login-attribute", "ERX-Dhcp-Mac-Addr")
    assert counts(s) == (4, 0, 0, 4, 0, 0, 0)


# --- 2. what a session is ---------------------------------------------------------------


def test_session_is_nas_and_session_id_unique_id_preferred(cli, tmp_path):
    text = (
        rec("Stop", sid="42", nas="10.0.0.1", secs=60, inp=1, out=1)
        + rec("Stop", sid="42", nas="10.0.0.2", secs=60, inp=2, out=2)           # same id, other NAS
        + rec("Stop", sid="42", nas=None, secs=60, inp=3, out=3, extra=['NAS-Identifier = "bras-3"'])
        + rec("Start", sid="43", nas="10.0.0.1", extra=['Acct-Unique-Session-Id = "u43"'])
        + rec("Stop", sid="43-other-format", nas="10.0.0.1", ts=T0 + 60, secs=60, inp=4, out=4, extra=['Acct-Unique-Session-Id = "u43"'])
    )
    s = imp(str(write(tmp_path, "k.detail", text)))
    assert counts(s) == (5, 4, 1, 0, 0, 0, 4)
    assert sorted((x["nas"], x["session_id"], x["bytes_in"]) for x in sessions()) == [
        ("10.0.0.1", "42", 1), ("10.0.0.1", "u43", 4), ("10.0.0.2", "42", 2), ("bras-3", "42", 3)]


def test_reused_session_id_after_reboot_begins_a_new_session(cli, tmp_path):
    first = rec("Start", ts=T0) + rec("Stop", ts=T0 + 100, secs=100, inp=10, out=10)
    imp(str(write(tmp_path, "a.detail", first)))
    later = rec("Start", ts=T0 + 150) + rec("Interim-Update", ts=T0 + 250, secs=100, inp=5, out=5)
    s = imp(str(write(tmp_path, "b.detail", later)))
    assert counts(s) == (2, 1, 1, 0, 0, 0, 1)
    assert brief(sessions()) == [
        ("alice", "192.0.2.1", "s1", iso(T0), iso(T0 + 100), 100, 10, 10),
        ("alice", "192.0.2.1", "s1", iso(T0 + 150), None, 100, 5, 5),
    ]


def test_running_totals_never_roll_back_and_nothing_changes_a_stopped_session(cli, tmp_path):
    text = (
        rec("Start", ts=T0)
        + rec("Interim-Update", ts=T0 + 600, secs=600, inp=600, out=600)
        + rec("Interim-Update", ts=T0 + 300, secs=300, inp=300, out=300)    # older: no roll back
        + rec("Stop", ts=T0 + 900, secs=900, inp=900, out=900)
        + rec("Interim-Update", ts=T0 + 1200, secs=1200, inp=1200, out=1200)  # after the Stop: ignored
        + rec("Stop", ts=T0 + 1500, secs=1500, inp=1500, out=1500)            # a second, later Stop: ignored
    )
    s = imp(str(write(tmp_path, "r.detail", text)))
    assert counts(s) == (6, 1, 2, 3, 0, 0, 1)
    assert brief(sessions()) == [("alice", "192.0.2.1", "s1", iso(T0), iso(T0 + 900), 900, 900, 900)]


def test_stop_without_start_starts_at_stop_minus_session_time(cli, tmp_path):
    imp(str(write(tmp_path, "s.detail", rec("Stop", ts=T0, secs=5400, inp=1, out=2))))
    assert brief(sessions()) == [("alice", "192.0.2.1", "s1", iso(T0 - 5400), iso(T0), 5400, 1, 2)]


def test_accounting_on_off_closes_open_sessions_of_that_nas(cli, tmp_path):
    text = (
        rec("Start", sid="a", nas="10.0.0.1", ts=T0)
        + rec("Interim-Update", sid="a", nas="10.0.0.1", ts=T0 + 60, secs=60, inp=7, out=8)
        + rec("Start", sid="b", nas="10.0.0.2", ts=T0)
        + rec("Start", sid="c", nas="10.0.0.1", ts=T0 + 10) + rec("Stop", sid="c", nas="10.0.0.1", ts=T0 + 20, secs=10, inp=1, out=1)
        + rec("Accounting-On", user=None, sid=None, nas="10.0.0.1", ts=T0 + 500)
    )
    s = imp(str(write(tmp_path, "on.detail", text)))
    assert counts(s) == (6, 3, 2, 0, 1, 0, 3)
    assert sorted(brief(sessions()), key=lambda x: x[2]) == [
        ("alice", "10.0.0.1", "a", iso(T0), iso(T0 + 500), 500, 7, 8),   # closed at the Accounting-On
        ("alice", "10.0.0.2", "b", iso(T0), None, 0, 0, 0),              # another NAS: still open
        ("alice", "10.0.0.1", "c", iso(T0 + 10), iso(T0 + 20), 10, 1, 1),  # already stopped: untouched
    ]
    off = rec("Accounting-Off", user=None, sid=None, nas="10.0.0.2", ts=T0 + 900)
    assert counts(imp(str(write(tmp_path, "off.detail", off)))) == (1, 0, 0, 0, 1, 0, 0)
    assert [x["stop"] for x in sessions() if x["session_id"] == "b"] == [iso(T0 + 900)]


def test_authentication_records_are_skipped(cli, tmp_path):
    auth = (
        "Tue Nov  3 08:00:00 2026\n\tPacket-Type = Access-Request\n\tUser-Name = \"alice\"\n"
        "\tNAS-IP-Address = 10.9.0.4\n\tService-Type = Framed-User\n\n"
    )
    s = imp(str(write(tmp_path, "auth.detail", auth + rec("Start") + rec("Failed"))))
    assert counts(s) == (3, 1, 0, 0, 2, 0, 1)


# --- 3. idempotent, order does not matter -----------------------------------------------


def test_same_file_twice_and_overlapping_files_change_nothing(cli, tmp_path):
    a = rec("Start", sid="1") + rec("Interim-Update", sid="1", ts=T0 + 60, secs=60, inp=1, out=1)
    b = rec("Interim-Update", sid="1", ts=T0 + 60, secs=60, inp=1, out=1) + rec("Stop", sid="1", ts=T0 + 120, secs=120, inp=2, out=2)
    fa, fb = write(tmp_path, "a.detail", a), write(tmp_path, "b.detail", b)
    assert counts(imp(str(fa))) == (2, 1, 1, 0, 0, 0, 1)
    before = sessions()
    assert counts(imp(str(fa))) == (2, 0, 0, 2, 0, 0, 0)
    assert sessions() == before
    assert counts(imp(str(fb))) == (2, 0, 1, 1, 0, 0, 1)  # overlaps a.detail by one record
    after = sessions()
    assert counts(imp(str(fa), str(fb))) == (4, 0, 0, 4, 0, 0, 0)
    assert sessions() == after
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_session") == [(1,)]


def test_stop_before_its_start_ends_as_in_order(cli, tmp_path):
    start = rec("Start", ts=T0)
    interim = rec("Interim-Update", ts=T0 + 60, secs=60, inp=6, out=6)
    stop = rec("Stop", ts=T0 + 120, secs=120, inp=12, out=12)
    imp(str(write(tmp_path, "1.detail", stop)))
    imp(str(write(tmp_path, "2.detail", interim)))
    s = imp(str(write(tmp_path, "3.detail", start)))
    assert counts(s) == (1, 0, 1, 0, 0, 0, 1)  # the Start fixes the start time
    out_of_order = brief(sessions())
    assert out_of_order == [("alice", "192.0.2.1", "s1", iso(T0), iso(T0 + 120), 120, 12, 12)]


# --- 4. every record accounted for --------------------------------------------------------


def test_malformed_records_are_rejected_verbatim_and_the_rest_imports(cli, tmp_path):
    bad = [
        rec("Stop", user=None, secs=1, inp=1, out=1),
        rec("Stop", sid=None, secs=1, inp=1, out=1),
        rec("Stop", secs=1, inp="12k", out=1),
        rec("Stop", ts=-5, secs=1, inp=1, out=1),
        rec("Stop", ts=None, header="Mon Foo 99 25:00:00 2026", secs=1, inp=1, out=1),
        rec("Stop", secs=-60, inp=1, out=1),
    ]
    good = rec("Stop", sid="ok", secs=60, inp=1, out=1)
    text = bad[0] + bad[1] + good + "".join(bad[2:])
    f = write(tmp_path, "bad.detail", text)
    rejects = tmp_path / "rejects.txt"
    s = imp(str(f), "--rejects", str(rejects))
    assert counts(s) == (7, 1, 0, 0, 0, 6, 1)
    assert s["read"] == sum(s[k] for k in ("imported", "updated", "duplicates", "skipped", "rejected"))
    lines_of = [1]
    for chunk in (bad[0], bad[1], good, *bad[2:]):
        lines_of.append(lines_of[-1] + chunk.count("\n"))
    reasons = [
        (0, "no User-Name"),
        (1, "no Acct-Session-Id"),
        (3, "Acct-Input-Octets: '12k' is not a number"),
        (4, "Timestamp: '-5' is a negative time"),
        (5, "header line: 'Mon Foo 99 25:00:00 2026' is not a date"),
        (6, "Acct-Session-Time: '-60' is a negative time"),
    ]
    expected = "".join(
        f"# {f}:{lines_of[i]}: {reason}\n" + (bad[i if i < 2 else i - 1]) for i, reason in reasons
    )
    assert rejects.read_text() == expected
    assert [x["session_id"] for x in sessions()] == ["ok"]


def test_default_rejects_file_is_beside_the_database_named_after_the_import(cli, tmp_path):
    f = write(tmp_path, "x.detail", rec("Stop", user=None, secs=1, inp=1, out=1) + rec("Start"))
    s = imp(str(f))
    (import_id,) = [x["import_id"] for x in s["files"]]
    path = default_rejects(tmp_path, import_id)
    assert s["files"][0]["rejects_file"] == str(path)
    assert path.read_text() == f"# {f}:1: no User-Name\n" + rec("Stop", user=None, secs=1, inp=1, out=1)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    clean = imp(str(write(tmp_path, "y.detail", rec("Start", sid="y"))))
    assert clean["files"][0]["rejects_file"] is None
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_last_record_cut_off_mid_line_is_rejected_one_without_blank_line_is_whole(cli, tmp_path):
    whole = rec("Start", sid="w1") + rec("Start", sid="w2").rstrip("\n") + "\n"
    s = imp(str(write(tmp_path, "whole.detail", whole)))
    assert counts(s) == (2, 2, 0, 0, 0, 0, 2)
    stop = rec("Stop", sid="w1", ts=T0 + 60, secs=60, inp=123, out=456)
    cut = stop[: stop.index("\tAcct-Input-Octets = 123") + len("\tAcct-Input-Octets = 12")]
    rejects = tmp_path / "cut.rejects"
    s = imp(str(write(tmp_path, "cut.detail", rec("Start", sid="w3") + cut)), "--rejects", str(rejects))
    assert counts(s) == (2, 1, 0, 0, 0, 1, 1)
    assert rejects.read_text() == f"# {tmp_path / 'cut.detail'}:{rec('Start').count(chr(10)) + 1}: cut off mid-line at the end of the file\n{cut}\n"
    assert [x["stop"] for x in sessions() if x["session_id"] == "w1"] == [None]


def test_names_that_are_not_storable_text_are_rejected_and_the_rest_imports(cli, tmp_path):
    """Latin-1 bytes, a NUL or an endless login used to stop the whole file with an internal error."""
    latin1 = rec("Stop", user="jos\xe9", sid="l1", secs=60, inp=1, out=1).encode("latin-1")
    nul = rec("Stop", user="nul\x00x", sid="n1", secs=60, inp=1, out=1).encode()
    long_ = rec("Stop", user="u" * 256, sid="g1", secs=60, inp=1, out=1).encode()
    good = rec("Stop", user="jos\xe9", sid="ok", secs=60, inp=1, out=1).encode()  # é as UTF-8 is fine
    f = tmp_path / "odd.detail"
    f.write_bytes(latin1 + nul + good + long_)
    rejects = tmp_path / "odd.rejects"
    s = imp(str(f), "--rejects", str(rejects))
    assert counts(s) == (4, 1, 0, 0, 0, 3, 1)
    assert rejects.read_bytes() == (
        f"# {f}:1: User-Name: 'jos\\udce9' is not UTF-8 text\n".encode() + latin1
        + f"# {f}:11: User-Name: 'nul\\x00x' holds an unprintable character\n".encode() + nul
        + f"# {f}:31: User-Name: at most 255 characters (got 256)\n".encode() + long_
    )
    assert [(x["login"], x["session_id"]) for x in sessions()] == [("jos\xe9", "ok")]
    folds = rec("Start", user="\xdf" * 200, sid="ss")  # 200 characters whose case-folded key has 400
    s = imp(str(write(tmp_path, "ss.detail", folds)), "--rejects", str(rejects))
    assert counts(s) == (1, 0, 0, 0, 0, 1, 0)
    assert rejects.read_text() == f"# {tmp_path / 'ss.detail'}:1: User-Name: at most 255 characters (got 200, 400 case-folded)\n" + folds
    table = tmp_path / "odd.csv"
    table.write_bytes(b"login,start,stop,seconds,bytes_in,bytes_out,session_id,nas\n"
                      b"caf\xe9,2026-11-03 08:00:00,,,1,1,c1,bras-1\n"
                      b"bob,2026-11-03 08:00:00,,,1,1,c2,bras-\x001\n"
                      b"bob,2026-11-03 08:00:00,,,1,1,c3,bras-1\n")
    s = imp(str(table), "--rejects", str(rejects))
    assert counts(s) == (3, 1, 0, 0, 0, 2, 1)
    assert rejects.read_bytes().splitlines()[::2] == [
        f"# {table}:2: login: 'caf\\udce9' is not UTF-8 text".encode(),
        f"# {table}:3: nas: 'bras-\\x001' holds an unprintable character".encode(),
    ]


def test_counters_and_times_beyond_what_can_be_stored_are_rejected_and_the_rest_imports(cli, tmp_path):
    """A 23-digit counter or a far-future Timestamp used to stop the whole file with an internal error."""
    huge = "9" * 23
    bad = [
        rec("Stop", sid="o1", secs=60, inp=huge, out=1),
        rec("Stop", sid="o2", secs=60, inp=1, out=1, extra=[f"Acct-Input-Gigawords = {2**31}"]),
        rec("Start", sid="o3", ts=10**12),
    ]
    good = rec("Stop", sid="ok", secs=60, inp=2**32 - 1, out=1, extra=["Acct-Output-Gigawords = 3"])
    f = write(tmp_path, "big.detail", "".join(bad) + good)
    rejects = tmp_path / "big.rejects"
    s = imp(str(f), "--rejects", str(rejects))
    assert counts(s) == (4, 1, 0, 0, 0, 3, 1)
    assert [x for x in rejects.read_text().splitlines() if x.startswith("#")] == [
        f"# {f}:1: Acct-Input-Octets: '{huge}' is too large",
        f"# {f}:11: a counter (octets plus gigawords, or the session time) is too large",
        f"# {f}:22: time: {10**12} is after the year 9999",
    ]
    assert [(x["session_id"], x["bytes_in"], x["bytes_out"]) for x in sessions()] == [("ok", 2**32 - 1, 3 * 2**32 + 1)]
    table = write(tmp_path, "big.csv", "login,start,stop,seconds,bytes_in,bytes_out,session_id,nas\n"
                  f"bob,2026-11-03 08:00:00,,,{huge},1,c1,n\nbob,{10**12},,,1,1,c2,n\n")
    s = imp(str(table), "--rejects", str(rejects))
    assert counts(s) == (2, 0, 0, 0, 0, 2, 0)
    assert [x for x in rejects.read_text().splitlines() if x.startswith("#")] == [
        f"# {table}:2: bytes_in: '{huge}' is too large",
        f"# {table}:3: start: '{10**12}' is after the year 9999",
    ]


def test_csv_rows_rejected_with_their_line(cli, tmp_path):
    text = (
        "login,start,stop,seconds,bytes_in,bytes_out,session_id,nas\n"
        "alice,2026-11-03 08:00:00,2026-11-03 09:00:00,3600,5000,90000,s1,bras-1\n"
        ",2026-11-03 08:00:00,2026-11-03 09:00:00,3600,1,1,s2,bras-1\n"
        "bob,2026-11-03 08:00:00,2026-11-03 07:00:00,,1,1,s3,bras-1\n"
        "bob,yesterday,,,1,1,s4,bras-1\n"
        "bob,2026-11-03 08:00:00,,,,1,s5,bras-1\n"
        "bob,2026-11-03 08:00:00,,,1,1,s6\n"
    )
    f = write(tmp_path, "u.csv", text)
    rejects = tmp_path / "r.txt"
    s = imp(str(f), "--rejects", str(rejects))
    assert counts(s) == (6, 1, 0, 0, 0, 5, 1)
    lines = text.splitlines(keepends=True)
    assert rejects.read_text() == (
        f"# {f}:3: no login\n{lines[2]}"
        f"# {f}:4: stop before start\n{lines[3]}"
        f"# {f}:5: start: 'yesterday' is not a date and time\n{lines[4]}"
        f"# {f}:6: bytes_in: '' is not a number\n{lines[5]}"
        f"# {f}:7: 7 fields where the header has 8\n{lines[6]}"
    )


# --- 5. atomic per file, with its import record ---------------------------------------------


def test_import_record_holds_file_size_hash_counts_operator_time(cli, tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-01T06:00:00-06:00")
    text = rec("Start") + rec("Stop", user=None)
    f = write(tmp_path, "x.detail", text)
    imp(str(f))
    rows = query(tmp_path, "SELECT i.file_name, i.size, i.sha256, i.format, i.read, i.imported, i.updated, i.duplicates, "
                           "i.skipped, i.rejected, i.unmatched, o.name, i.at FROM usage_import i JOIN operator o ON o.id = i.operator_id")
    assert rows == [(str(f), len(text), hashlib.sha256(text.encode()).hexdigest(), "detail", 2, 1, 0, 0, 0, 1, 1, "root", 1796126400)]
    audit = invoke("audit", "list", "--format", "json").json[-1]
    assert (audit["command"], audit["target"]) == ("usage import", "usage import 1")
    assert audit["changes"]["imported"] == [None, 1]


def test_failure_inside_a_file_keeps_nothing_of_it_and_a_rerun_finishes(cli, tmp_path, monkeypatch):
    from wwwtrak.usage import importer

    monkeypatch.setattr(importer, "BATCH_SIZE", 3)  # several batches written before the failure
    first = write(tmp_path, "1.detail", rec("Start", sid="first"))
    text = "".join(rec("Stop", sid=f"s{i}", secs=60, inp=i, out=i) for i in range(10))
    second = write(tmp_path, "2.detail", text)
    parse = importer.PARSERS["detail"]

    def failing(lines, **kw):
        for n, item in enumerate(parse(lines, **kw)):
            if n == 8:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setitem(importer.PARSERS, "detail", failing)
    r = invoke("usage", "import", str(first), str(second))
    assert r.exit_code == 130 and r.stderr == "error: interrupted; nothing of the unfinished step was saved\n"
    # the first file is in, nothing of the second
    assert query(tmp_path, "SELECT file_name FROM usage_import") == [(str(first),)]
    assert [x["session_id"] for x in sessions()] == ["first"]
    monkeypatch.setitem(importer.PARSERS, "detail", parse)
    s = imp(str(first), str(second))
    assert counts(s) == (11, 10, 0, 1, 0, 0, 10)
    assert len(sessions()) == 11


def open_fifo_for_writing(path, proc, timeout=60):
    """The writing end of FIFO ``path`` once ``proc`` opened it for reading; fails (no hang) if ``proc`` exits first."""
    import errno
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            if proc.poll() is not None or time.monotonic() > deadline:
                out, err = proc.communicate()
                pytest.fail(f"the importer never opened {path} (exit {proc.returncode}): {err}")
            time.sleep(0.02)
            continue
        os.set_blocking(fd, True)
        return open(fd, "w")


def test_killed_import_leaves_the_database_as_before(cli, tmp_path):
    """A real SIGKILL while the importer waits for the rest of its input (a FIFO)."""
    import signal
    import subprocess
    import sys
    import time

    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    p = subprocess.Popen([sys.executable, "-m", "wwwtrak", "usage", "import", str(fifo)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    part = "".join(rec("Stop", sid=f"k{i}", secs=60, inp=1, out=1) for i in range(12000))
    with open_fifo_for_writing(fifo, p) as w:
        w.write(part)
        w.flush()
        time.sleep(1.5)  # the importer has written batches inside its open transaction
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_session") == [(0,)]
    assert query(tmp_path, "SELECT COUNT(*) FROM usage_import") == [(0,)]
    f = write(tmp_path, "all.detail", part)
    assert counts(imp(str(f))) == (12000, 12000, 0, 0, 0, 0, 12000)


def _history(first, last, login_of):
    """Start, Interim-Update and Stop of sessions ``first..last-1`` (one per 10 s), in time order."""
    out = []
    for i in range(first, last):
        t = T0 + 10 * i
        user = login_of(i)
        out.append(rec("Start", user=user, sid=f"c{i}", ts=t))
        out.append(rec("Interim-Update", user=user, sid=f"c{i}", ts=t + 300, secs=300, inp=i, out=2 * i))
        out.append(rec("Stop", user=user, sid=f"c{i}", ts=t + 600, secs=600, inp=3 * i, out=4 * i))
    return "".join(out)


def _imports_and_sessions(env=None):
    """Each import's file name and counts, in the order they were made, and the session table (import by file name)."""
    saved = os.environ.get("WWWTRAK_DB")
    if env:
        os.environ["WWWTRAK_DB"] = env["WWWTRAK_DB"]
    try:
        imports = query(None, "SELECT id, file_name, read, imported, updated, duplicates, skipped, rejected, unmatched "
                              "FROM usage_import ORDER BY id")
        names = {row[0]: os.path.basename(row[1]) for row in imports}
        rows = query(None, "SELECT nas, session_id, login, login_key, customer_id, start, start_known, stop, last_event, "
                           "seconds, bytes_in, bytes_out, usage_import_id FROM usage_session")
    finally:
        os.environ["WWWTRAK_DB"] = saved
    table = sorted(row[:-1] + (names[row[-1]],) for row in rows)
    return [(names[row[0]],) + row[2:] for row in imports], table


def test_two_imports_at_once_equal_one_after_the_other(cli, second_db, tmp_path):
    """Two processes import overlapping files into one database at the same moment: nothing lost, nothing doubled.

    Each reads a FIFO, so both are inside ``usage import`` (past start-up, input open) before either gets
    a record; the files are then fed at once. The outcome must be what importing them one after the other
    (in the order the database took them) makes.
    """
    import subprocess
    import sys
    import threading

    login_of = lambda i: f"user{i % 40}"  # noqa: E731 - some logins belong to a customer, most to none
    for where in (None, second_db):  # the same customer, 1001, in both databases
        r = invoke("customer", "add", "--type", "commercial", "--name", "Claimed", "--company", "C", "--contact", "C",
                   "--login", "user1", "--login", "user2", env=where)
        assert (r.exit_code, "1001" in r.stdout) == (0, True), r.stderr
    texts = {"a.detail": _history(0, 3000, login_of), "b.detail": _history(1500, 4500, login_of)}  # half of each overlaps
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs, writers = [], []
    for name in texts:
        os.mkfifo(tmp_path / name)
        procs.append(subprocess.Popen([sys.executable, "-m", "wwwtrak", "usage", "import", str(tmp_path / name),
                                       "--format", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    ends = [open_fifo_for_writing(tmp_path / name, p) for name, p in zip(texts, procs)]  # each importer has opened its input

    def feed(end, text):
        with end:
            end.write(text)

    for end, text in zip(ends, texts.values()):
        writers.append(threading.Thread(target=feed, args=(end, text)))
        writers[-1].start()
    outs = [p.communicate(timeout=300) for p in procs]
    for w in writers:
        w.join()
    assert [p.returncode for p in procs] == [0, 0], [err for _out, err in outs]
    together_imports, together = _imports_and_sessions()

    for name, text in texts.items():
        (tmp_path / "sequential").mkdir(exist_ok=True)
        (tmp_path / "sequential" / name).write_text(text)
    for name, *_ in together_imports:  # the order the database took them in
        r = invoke("usage", "import", str(tmp_path / "sequential" / name), env=second_db)
        assert r.exit_code == 0, r.stderr
    one_by_one_imports, one_by_one = _imports_and_sessions(second_db)

    assert together_imports == one_by_one_imports
    assert together == one_by_one
    assert len(together) == 4500 == len({(row[0], row[1]) for row in together})
    totals = [sum(row[i] for row in together_imports) for i in range(1, 8)]
    # read, imported, updated, duplicates, skipped, rejected: 1,500 sessions' 3 records arrive twice
    assert totals[:6] == [18000, 4500, 9000, 4500, 0, 0]
    summaries = sorted(json.loads(out)["read"] for out, _err in outs)
    assert summaries == [9000, 9000]


# --- 6. unmatched logins ----------------------------------------------------------------------


def test_unmatched_logins_are_kept_listed_and_claimed_by_a_customer(cli, tmp_path):
    cid = add_customer("Alice Doe", "alice")
    text = (
        rec("Stop", user="ALICE", sid="1", secs=60, inp=1, out=2)           # logins match case-insensitively
        + rec("Stop", user="ghost", sid="2", secs=100, inp=10, out=20)
        + rec("Stop", user="Ghost", sid="3", ts=T0 + 500, secs=200, inp=30, out=40)
        + rec("Start", user="nobody", sid="4")
    )
    s = imp(str(write(tmp_path, "u.detail", text)))
    assert counts(s) == (4, 4, 0, 0, 0, 0, 3)
    assert [(x["login"], x["customer_id"]) for x in sessions("--customer", cid)] == [("ALICE", cid)]
    r = invoke("usage", "unmatched", "--format", "json")
    assert r.exit_code == 0
    assert r.json == [
        {"login": "Ghost", "sessions": 2, "seconds": 300, "bytes_in": 40, "bytes_out": 60,
         "first_start": iso(T0 - 100), "last_stop": iso(T0 + 500)},
        {"login": "nobody", "sessions": 1, "seconds": 0, "bytes_in": 0, "bytes_out": 0,
         "first_start": iso(T0), "last_stop": None},
    ]
    ghost = add_customer("Ghost Writer", "ghost")
    assert [x["session_id"] for x in sessions("--customer", ghost)] == ["2", "3"]
    assert [x["login"] for x in invoke("usage", "unmatched", "--format", "json").json] == ["nobody"]
    table = invoke("usage", "unmatched").stdout.splitlines()
    assert table[0].split() == ["login", "sessions", "seconds", "bytes_in", "bytes_out", "first_start", "last_stop"]
    assert table[2].split()[:5] == ["nobody", "1", "0", "0", "0"]


# --- 7. time: stored in UTC, shown and selected in the ISP's zone --------------------------------


def test_list_shows_local_time_and_month_selects_by_stop_in_the_zone(cli, tmp_path):
    halloween = 1793507400  # 2026-10-31 23:30 CDT = 2026-11-01 04:30 UTC
    november_end = 1796103000  # 2026-11-30 23:30 CST = 2026-12-01 05:30 UTC
    text = (
        rec("Stop", sid="oct", ts=halloween, secs=600, inp=1, out=1)
        + rec("Stop", sid="nov", ts=november_end, secs=600, inp=1, out=1)
        + rec("Start", sid="open", ts=T0)
    )
    imp(str(write(tmp_path, "m.detail", text)))
    assert query(tmp_path, "SELECT stop FROM usage_session WHERE session_id = 'oct'") == [(halloween,)]
    assert [x["session_id"] for x in sessions("--month", "2026-10")] == ["oct"]
    assert [x["session_id"] for x in sessions("--month", "2026-11")] == ["nov"]
    assert [x["session_id"] for x in sessions("--month", "2026-12")] == []
    assert [x["stop"] for x in sessions("--month", "2026-10")] == ["2026-10-31T23:30:00-05:00"]
    assert [x["stop"] for x in sessions("--month", "2026-11")] == ["2026-11-30T23:30:00-06:00"]
    table = invoke("usage", "list", "--month", "2026-11").stdout.splitlines()
    assert table[0].split() == ["id", "login", "customer_id", "nas", "session_id", "start", "stop", "seconds", "bytes_in", "bytes_out"]
    assert "2026-11-30 23:30:00 CST" in table[2]
    r = invoke("usage", "list", "--month", "2026-13")
    assert r.exit_code == 1 and r.stderr == "error: --month: '2026-13' is not a month (YYYY-MM)\n"


def test_list_filters_by_login_and_customer(cli, tmp_path):
    cid = add_customer("Bob", "bob")
    imp(str(write(tmp_path, "f.detail", rec("Start", user="Bob", sid="1") + rec("Start", user="carol", sid="2"))))
    assert [x["session_id"] for x in sessions("--login", "BOB")] == ["1"]
    assert [x["session_id"] for x in sessions("--customer", cid)] == ["1"]
    assert sessions("--login", "nobody") == []
    for fmt in ("table", "json", "csv"):
        r = invoke("usage", "list", "--customer", "999", "--format", fmt)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", "error: customer 999 not found\n")
    r = invoke("usage", "list", "--customer", str(2**64))  # was an internal error (SQLite integer overflow)
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"error: customer {2**64} not found\n")
    assert invoke("usage", "list", "--customer", "abc").exit_code == 2  # wrong use of the command line
    csv = invoke("usage", "list", "--format", "csv").stdout.splitlines()
    assert csv[0] == "id,login,customer_id,nas,session_id,start,stop,seconds,bytes_in,bytes_out"
    assert csv[1] == f"1,Bob,{cid},192.0.2.1,1,2026-11-03T08:00:00-06:00,,0,0,0"


# --- 9. output, progress, roles, demo -------------------------------------------------------------


def test_table_summary_in_a_pipe_has_no_progress_bar(cli, tmp_path):
    f = write(tmp_path, "p.detail", rec("Start") + rec("Stop", user=None))
    r = invoke("usage", "import", str(f))
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["file", "format", "read", "imported", "updated", "duplicates", "skipped", "rejected", "unmatched"]
    assert lines[2].split() == [str(f), "detail", "2", "1", "0", "0", "0", "1", "1"]
    assert lines[3:] == [f"rejected records of {f}: {default_rejects(tmp_path, 1)}"]
    assert "\x1b" not in r.stdout and r.stderr == ""


def test_progress_bar_on_a_terminal(cli, tmp_path):
    import pty
    import subprocess
    import sys

    f = write(tmp_path, "t.detail", "".join(rec("Start", sid=str(i)) for i in range(20)))
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "TERM": "xterm", "COLUMNS": "120"}
    p = subprocess.Popen([sys.executable, "-m", "wwwtrak", "usage", "import", str(f)], env=env,
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait()
    os.close(master)
    text = out.decode(errors="replace")
    assert p.returncode == 0
    assert "records" in text and "\x1b[" in text          # the bar was drawn (records and bytes) ...
    assert text.rstrip().splitlines()[-1].split()[1:3] == ["detail", "20"]  # ... and the summary follows


def test_roles(cli, tmp_path):
    f = write(tmp_path, "r.detail", rec("Start"))
    login_as(tmp_path, "desk", "user")
    r = invoke("usage", "import", str(f))
    assert r.exit_code == 3
    assert r.stderr == "error: 'usage import' needs the role superuser or accounting or administrator; you are user\n"
    assert invoke("usage", "list").exit_code == 0 and invoke("usage", "unmatched").exit_code == 0
    switch_to_root(tmp_path)
    login_as(tmp_path, "books", "accounting")
    assert counts(imp(str(f)))[1] == 1


def test_help_and_readme_cover_the_usage_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for cmd in ("import", "list", "unmatched"):
        r = invoke("usage", cmd, "--help")
        assert r.exit_code == 0 and len(r.stdout) > 100
        assert f"wwwtrak usage {cmd}" in readme
    assert "login,start,stop,seconds,bytes_in,bytes_out,session_id,nas" in readme


def test_demo_imports_usage_for_its_customers(isolated, monkeypatch):
    d = isolated / "sandbox"
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-15T12:00:00-06:00")
    r = invoke("demo", "--dir", str(d))
    assert r.exit_code == 0, r.stderr
    assert "== Usage" in r.stdout
    monkeypatch.setenv("WWWTRAK_DB", str(d / "wwwtrak.db"))
    monkeypatch.setenv("WWWTRAK_CREDENTIALS", str(d / "credentials"))
    rows = invoke("usage", "list", "--format", "json").json
    assert rows and all(x["stop"] is not None and x["seconds"] > 0 for x in rows)
    # the last three complete months, and every login of a demo customer used the service
    assert {x["stop"][:7] for x in rows} == {"2026-09", "2026-10", "2026-11"}
    logins = {k for (k,) in query(d, "SELECT key FROM login")}
    assert logins <= {x["login"].casefold() for x in rows if x["customer_id"] is not None}
    assert invoke("usage", "unmatched", "--format", "json").json  # a few strays, to show the command
    assert query(d, "SELECT COUNT(*) FROM usage_import") == [(1,)]


# --- 3. the law: import order does not change the final sessions ----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

GAP = 301  # a NAS reboot takes longer than the importer's 300 s matching tolerance


@st.composite
def accounting_history(draw):
    """Records of a few sessions on two NASes, some ids reused after a reboot; and the sessions they make."""
    records, expected = [], []
    for nas in ("10.0.0.1", "10.0.0.2"):
        for sid in ("1", "2"):
            t = T0 + draw(st.integers(0, 1000))
            for _gen in range(draw(st.integers(1, 3))):
                duration = draw(st.integers(0, 20000))
                has_start, has_stop = draw(st.booleans()), draw(st.booleans())
                marks = sorted(draw(st.sets(st.integers(1, max(1, duration - 1)), max_size=3))) if duration > 1 else []
                user = f"u{nas[-1]}{sid}"
                mine = []
                if has_start:
                    mine.append(rec("Start", user=user, sid=sid, nas=nas, ts=t))
                for m in marks:
                    mine.append(rec("Interim-Update", user=user, sid=sid, nas=nas, ts=t + m, secs=m, inp=m * 3, out=m * 7))
                if has_stop:
                    mine.append(rec("Stop", user=user, sid=sid, nas=nas, ts=t + duration, secs=duration, inp=duration * 3, out=duration * 7))
                if mine:
                    last = duration if has_stop else (marks[-1] if marks else 0)
                    expected.append((nas, sid, user, t, has_start, t + duration if has_stop else None, last, last * 3, last * 7))
                    records += mine
                t += duration + draw(st.integers(GAP, 5000))
    return records, sorted(expected)


def _import_in_files(root, files):
    """Import ``files`` (lists of records) one by one into a fresh database; the final sessions."""
    from wwwtrak import db, migrations
    from wwwtrak.audit import Actor
    from wwwtrak.models import UsageSession
    from wwwtrak.usage import import_files

    root.mkdir()
    db.open_database(str(root / "w.db"), create=True)
    try:
        migrations.upgrade()
        db.set_setting("timezone", "America/Chicago")
        paths = []
        for i, records in enumerate(files):
            (root / f"{i}.detail").write_text("".join(records))
            paths.append(str(root / f"{i}.detail"))
        import_files(Actor(None, "test", "superuser", "usage import"), paths, rejects=str(root / "rejects"))
        return sorted(
            (s.nas, s.session_id, s.login, int(s.start.timestamp()), s.start_known,
             None if s.stop is None else int(s.stop.timestamp()), s.seconds, s.bytes_in, s.bytes_out)
            for s in UsageSession.select()
        )
    finally:
        db.close_database()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(accounting_history(), st.randoms(use_true_random=False), st.integers(1, 3), st.booleans())
def test_import_order_does_not_change_the_final_sessions(isolated, history, rnd, nfiles, repeat):
    import tempfile

    records, expected = history
    with tempfile.TemporaryDirectory(dir=isolated) as tmp:
        in_order = _import_in_files(Path(tmp) / "in-order", [records])
        shuffled = list(records) + (records[: len(records) // 2] if repeat else [])  # overlapping files too
        rnd.shuffle(shuffled)
        files = [shuffled[i::nfiles] for i in range(nfiles)]
        assert _import_in_files(Path(tmp) / "shuffled", files) == in_order == expected


# --- golden files: each input beside what it must become (WWWTRAK_REGENERATE=1 rewrites them, on purpose) ---


@pytest.mark.parametrize("name", ["mixed.detail", "radacct.csv", "sessions.csv"])
def test_golden_imports(cli, tmp_path, monkeypatch, name):
    monkeypatch.chdir(FIXTURES)
    rejects = tmp_path / "rejects.txt"
    summary = imp(name, "--rejects", str(rejects))
    summary["files"][0].pop("rejects_file")
    got = {"summary": summary, "sessions": sessions(), "rejects": rejects.read_text().splitlines()}
    expected_file = FIXTURES / (name + ".expected.json")
    if os.environ.get("WWWTRAK_REGENERATE") == "1":
        expected_file.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(expected_file.read_text())


def test_big_inputs_are_parsed_in_a_second_process_with_the_same_outcome(cli, tmp_path, monkeypatch):
    from wwwtrak.usage import pipeline

    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 0)
    monkeypatch.chdir(FIXTURES)
    rejects = tmp_path / "rejects.txt"
    summary = imp("mixed.detail", "--rejects", str(rejects))
    summary["files"][0].pop("rejects_file")
    expected = json.loads((FIXTURES / "mixed.detail.expected.json").read_text())
    assert (summary, sessions(), rejects.read_text().splitlines()) == (expected["summary"], expected["sessions"], expected["rejects"])
    text = (FIXTURES / "mixed.detail").read_bytes()
    import hashlib

    assert query(tmp_path, "SELECT size, sha256 FROM usage_import") == [(len(text), hashlib.sha256(text).hexdigest())]
    r = invoke("usage", "import", "mixed.detail", "--from", "csv")  # an error in the child reaches the user
    assert r.exit_code == 1 and r.stderr.startswith("error: mixed.detail: line 1: not a csv header: missing login")


def test_truncated_gzip_keeps_what_it_holds_and_rejects_the_cut_record(cli, tmp_path):
    text = "".join(rec("Stop", sid=f"z{i}", secs=60, inp=1000 + i, out=1) for i in range(400))
    packed = gzip.compress(text.encode())
    f = tmp_path / "detail.gz"
    f.write_bytes(packed[: len(packed) * 2 // 3])  # rotation or a full disk cut the file short
    rejects = tmp_path / "r.txt"
    s = imp(str(f), "--rejects", str(rejects))
    assert 0 < s["imported"] < 400 and s["rejected"] == 1 and s["read"] == s["imported"] + 1
    first = rejects.read_text().splitlines()[0]
    assert first.startswith(f"# {f}:") and first.endswith(": cut off mid-line at the end of the file")
