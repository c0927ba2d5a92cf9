"""init, login, whoami, operators, the database file and its schema version."""

from __future__ import annotations

import json
import os
import sqlite3  # noqa: F401 - the sqlite_only tests read the file
import stat
import subprocess
import sys

import pytest

from helpers import PG_SERVER, invoke, login_as, sql, switch_to_root


def test_init_stores_settings_and_hashed_token(isolated):
    r = invoke("init", "--superuser", "alice", "--timezone", "Europe/Berlin", "--currency", "eur")
    assert r.exit_code == 0, r.stderr
    token = r.stdout.strip().rsplit(" ", 1)[-1]
    cred = isolated / "credentials"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert json.loads(cred.read_text()) == {"operator": "alice", "token": token}
    [(stored,)] = sql("SELECT token_hash FROM operator WHERE name='alice'")
    assert token not in stored and len(stored) == 64
    settings = dict(sql("SELECT key, value FROM setting"))
    assert settings["timezone"] == "Europe/Berlin" and settings["currency"] == "EUR"
    who = invoke("whoami", "--format", "json")
    assert who.exit_code == 0 and who.json["operator"] == "alice" and who.json["role"] == "superuser"


@pytest.mark.sqlite_only
def test_init_creates_private_database_and_credentials(isolated):
    r = invoke("init", "--superuser", "alice", "--timezone", "Europe/Berlin", "--currency", "eur")
    assert r.exit_code == 0, r.stderr
    assert "Token (shown once" in r.stdout
    token = r.stdout.strip().rsplit(" ", 1)[-1]
    db = isolated / "wwwtrak.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    cred = isolated / "credentials"
    assert stat.S_IMODE(cred.stat().st_mode) == 0o600
    assert json.loads(cred.read_text()) == {"operator": "alice", "token": token}
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (stored,) = con.execute("SELECT token_hash FROM operator WHERE name='alice'").fetchone()
    assert token not in stored and len(stored) == 64
    settings = dict(con.execute("SELECT key, value FROM setting"))
    assert settings["timezone"] == "Europe/Berlin" and settings["currency"] == "EUR"
    who = invoke("whoami", "--format", "json")
    assert who.exit_code == 0 and who.json["operator"] == "alice" and who.json["role"] == "superuser"


def test_init_refuses_initialised_database_and_changes_nothing(cli, isolated):
    before = sql("SELECT name, role, token_hash FROM operator ORDER BY id"), sql("SELECT count(*) FROM lookup")
    r = invoke("init", "--superuser", "mallory")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ") and "already initialised" in r.stderr
    assert (sql("SELECT name, role, token_hash FROM operator ORDER BY id"), sql("SELECT count(*) FROM lookup")) == before
    assert invoke("whoami").exit_code == 0  # root's credentials untouched


def test_init_rejects_bad_timezone_and_creates_nothing(isolated):
    r = invoke("init", "--superuser", "alice", "--timezone", "America/Chicgo")
    assert r.exit_code == 1
    assert r.stderr == "error: timezone: 'America/Chicgo' is not an IANA time zone; did you mean America/Chicago, America/Nipigon, America/Marigot?\n"
    if not PG_SERVER:
        assert not (isolated / "wwwtrak.db").exists()
    assert not (isolated / "credentials").exists()
    assert "is not a wwwtrak database" in invoke("whoami").stderr or not PG_SERVER


@pytest.mark.sqlite_only
def test_commands_need_a_database(isolated):
    r = invoke("whoami")
    assert r.exit_code == 1
    assert "no database at" in r.stderr and "wwwtrak init" in r.stderr


def test_whoami_without_credentials_exits_3(cli, isolated):
    os.remove(isolated / "credentials")
    r = invoke("whoami")
    assert r.exit_code == 3
    assert "not logged in" in r.stderr


def test_wrong_token_unknown_operator_and_loose_permissions_exit_3(cli, isolated):
    cred = isolated / "credentials"
    good = json.loads(cred.read_text())
    cred.write_text(json.dumps({"operator": "root", "token": "guess"}))
    r = invoke("whoami")
    assert r.exit_code == 3 and "wrong token" in r.stderr
    cred.write_text(json.dumps({"operator": "ghost", "token": good["token"]}))
    r = invoke("whoami")
    assert r.exit_code == 3 and "unknown operator 'ghost'" in r.stderr
    cred.write_text(json.dumps(good))
    os.chmod(cred, 0o640)
    r = invoke("whoami")
    assert r.exit_code == 3 and "readable by others" in r.stderr and "chmod 600" in r.stderr


def test_editing_the_credentials_file_cannot_raise_a_role(cli, isolated):
    login_as(isolated, "bob", "user")
    cred = isolated / "credentials-bob"
    data = json.loads(cred.read_text())
    data["role"] = "superuser"
    cred.write_text(json.dumps(data))
    r = invoke("operator", "list")
    assert r.exit_code == 3
    assert r.stderr == "error: 'operator list' needs the role superuser or administrator; you are user\n"


def test_disabled_operator_is_refused(cli, isolated):
    login_as(isolated, "bob", "user")
    switch_to_root(isolated)
    assert invoke("operator", "disable", "bob").exit_code == 0
    os.environ["WWWTRAK_CREDENTIALS"] = str(isolated / "credentials-bob")
    r = invoke("whoami")
    assert r.exit_code == 3 and r.stderr == "error: operator 'bob' is disabled\n"


def test_login_with_token_from_stdin_and_reset_token(cli, isolated):
    token = login_as(isolated, "carol", "accounting")
    os.environ["WWWTRAK_CREDENTIALS"] = str(isolated / "new-creds")
    r = invoke("login", "carol", input=token + "\n")
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE((isolated / "new-creds").stat().st_mode) == 0o600
    assert invoke("whoami", "--format", "json").json["role"] == "accounting"
    r = invoke("login", "carol", input="nope\n")
    assert r.exit_code == 3 and "login failed" in r.stderr
    switch_to_root(isolated)
    r = invoke("operator", "reset-token", "carol")
    assert r.exit_code == 0
    os.environ["WWWTRAK_CREDENTIALS"] = str(isolated / "new-creds")
    assert invoke("whoami").exit_code == 3  # the old token stopped working


def test_administrator_manages_users_only(cli, isolated):
    login_as(isolated, "admin", "administrator")
    assert invoke("operator", "add", "u1", "--role", "user").exit_code == 0
    r = invoke("operator", "add", "acc", "--role", "accounting")
    assert r.exit_code == 3
    assert r.stderr == "error: 'operator add' for an operator of role accounting needs the role superuser; you are administrator\n"
    assert invoke("operator", "disable", "root").exit_code == 3
    assert invoke("operator", "reset-token", "u1").exit_code == 0
    assert invoke("operator", "set-role", "u1", "accounting").exit_code == 3


def test_last_superuser_cannot_be_demoted_or_disabled(cli):
    r = invoke("operator", "set-role", "root", "user")
    assert r.exit_code == 1 and "last active superuser" in r.stderr
    assert invoke("operator", "disable", "root").exit_code == 1


def test_operator_add_rejects_bad_role_and_duplicates(cli):
    r = invoke("operator", "add", "x", "--role", "boss")
    assert r.exit_code == 1
    assert r.stderr == "error: role: 'boss' is not one of superuser, accounting, administrator, user\n"
    assert invoke("operator", "add", "x", "--role", "user").exit_code == 0
    r = invoke("operator", "add", "x", "--role", "user")
    assert r.exit_code == 1 and r.stderr == "error: operator 'x' already exists\n"


def test_operator_list_formats(cli):
    invoke("operator", "add", "zed", "--role", "user")
    rows = invoke("operator", "list", "--format", "json").json
    assert [(r["name"], r["role"], r["active"]) for r in rows] == [("root", "superuser", True), ("zed", "user", True)]
    csv = invoke("operator", "list", "--format", "csv").stdout.splitlines()
    assert csv[0] == "name,role,active,created_at" and csv[2].startswith("zed,user,True,")


def test_audit_records_operator_changes(cli, isolated):
    invoke("operator", "add", "dave", "--role", "user")
    invoke("operator", "set-role", "dave", "accounting")
    rows = invoke("audit", "list", "--format", "json").json
    assert rows[-1]["operator"] == "root"
    assert rows[-1]["command"] == "operator set-role"
    assert rows[-1]["target"] == "operator dave"
    assert rows[-1]["changes"] == {"role": ["user", "accounting"]}
    assert invoke("audit", "list", "--operator", "nobody", "--format", "json").json == []


def test_newer_schema_is_refused(cli, isolated):
    sql("UPDATE setting SET value='999' WHERE key='schema_version'")
    r = invoke("whoami")
    assert r.exit_code == 1
    assert "schema version 999, newer than this wwwtrak knows" in r.stderr


def test_version_1_database_upgrades_and_keeps_its_data(isolated):
    """A database at schema version 1 (foundation only) is upgraded in place on first use."""
    from wwwtrak import db, migrations
    from wwwtrak.instance import init

    url = os.environ["WWWTRAK_DB"]
    init(url, "root")
    # Rebuild it as version 1: drop every table later migrations made, newest first.
    v1 = {"setting", "operator", "audit_entry", "lookup"}
    later = [t for t in reversed(db.database.get_tables()) if t not in v1]
    db.close_database()
    for name in _drop_order(later):
        sql(f'DROP TABLE "{name}"')
    sql("UPDATE setting SET value='1' WHERE key='schema_version'")
    sql("INSERT INTO lookup (kind, scope, code, key, label, active, attrs) VALUES ('pc-type', '', 'amiga', 'amiga', 'Amiga', ?, '{}')", True)
    r = invoke("lookup", "list", "pc-type", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert "amiga" in [x["code"] for x in r.json]
    assert sql("SELECT value FROM setting WHERE key='schema_version'") == [(str(migrations.LATEST),)]
    db.open_database(url)
    tables = set(db.database.get_tables())
    db.close_database()
    assert {"customer", "login", "usage_session"} <= tables


def _drop_order(tables):
    """Tables in an order that drops referencing tables before the ones they reference."""
    from peewee import sort_models

    from wwwtrak import models

    all_models = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, models.BaseModel) and m is not models.BaseModel]
    ordered = [m._meta.table_name for m in reversed(sort_models(all_models))]
    return [t for t in ordered if t in tables]


def test_python_m_wwwtrak_help_lists_groups():
    r = subprocess.run([sys.executable, "-m", "wwwtrak", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for group in ("init", "login", "whoami", "operator", "lookup", "audit"):
        assert group in r.stdout


def test_errors_have_no_traceback(cli, isolated):
    r = invoke("lookup", "list", "colour")
    assert r.exit_code == 1
    assert r.stderr == "error: lookup kind: 'colour' is not a lookup kind; did you mean country?\n"
    r = invoke("lookup", "list", "zzz")
    assert r.stderr == "error: lookup kind: 'zzz' is not a lookup kind; kinds: country, state, postal-code, billing-category, payment-terms, pc-type, source, commercial-tag, tax-rate\n"
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.sqlite_only
def test_init_never_overwrites_a_credentials_file(cli, isolated, tmp_path):
    other = tmp_path / "other.db"
    r = invoke("init", "--superuser", "other", env={"WWWTRAK_DB": str(other)})
    assert r.exit_code == 1
    assert r.stderr == f"error: {isolated / 'credentials'}: a credentials file exists already; set WWWTRAK_CREDENTIALS to a new file or move it away\n"
    assert not other.exists()  # nothing initialised, the file made for it removed
    assert invoke("whoami").exit_code == 0


@pytest.mark.sqlite_only
def test_init_with_unwritable_credentials_initialises_nothing(isolated, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    r = invoke("init", "--superuser", "bob", env={"WWWTRAK_CREDENTIALS": str(blocker / "cred")})
    assert r.exit_code == 1 and r.stderr.startswith(f"error: {blocker}: cannot create the credentials folder")
    assert not (isolated / "wwwtrak.db").exists()
    assert invoke("init", "--superuser", "bob").exit_code == 0


@pytest.mark.sqlite_only
def test_init_refuses_another_applications_database(isolated):
    con = sqlite3.connect(isolated / "wwwtrak.db")
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.close()
    r = invoke("init", "--superuser", "bob")
    assert r.exit_code == 1 and "already holds tables of another application" in r.stderr
    assert (isolated / "wwwtrak.db").exists()


def test_bad_database_urls_are_named(isolated):
    r = invoke("--db", "postgressql://postgres@127.0.0.1/x", "init", "--superuser", "bob")
    assert r.exit_code == 1 and r.stderr == "error: postgressql://postgres@127.0.0.1/x: not a SQLite file path nor a postgresql:// URL\n"
    r = invoke("--db", "", "whoami")
    assert r.exit_code == 1 and r.stderr == "error: --db: must not be empty\n"


def test_usage_errors_exit_2_and_help_exits_0(cli):
    assert invoke("whoami", "--help").exit_code == 0
    assert invoke("operator", "add", "--help").exit_code == 0
    assert invoke("whoami", "--format", "xml").exit_code == 2
    assert invoke("nosuch").exit_code == 2
    assert invoke("init").exit_code == 2


def test_reset_own_token_keeps_you_logged_in_and_enable(cli, isolated):
    assert invoke("operator", "reset-token", "root").exit_code == 0
    assert invoke("whoami").exit_code == 0
    invoke("operator", "add", "bob", "--role", "user")
    invoke("operator", "disable", "bob")
    assert invoke("operator", "enable", "bob").stdout == "Operator bob enabled.\n"
    rows = {o["name"]: o["active"] for o in invoke("operator", "list", "--format", "json").json}
    assert rows["bob"] is True
    r = invoke("operator", "add", "BOB", "--role", "user")
    assert r.exit_code == 1 and r.stderr == "error: operator 'bob' already exists\n"


def test_whoami_never_shows_a_database_password(cli):
    from wwwtrak.db import describe

    assert describe("postgresql://u:secret@db.example:6543/isp") == "postgresql://u@db.example:6543/isp"


def test_bulk_insert_keeps_every_character_on_either_backend(cli):
    """The bulk path (executemany on SQLite, COPY on PostgreSQL) stores text exactly: tabs, newlines, backslashes."""
    from wwwtrak import db
    from wwwtrak.models import Setting

    values = ["a\\b", "tab\there", "line\nbreak", "cr\rx", "\\N", "", "Chloé Ñúñez ☃", 'say "hi"', "two\\\\"]
    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        with db.atomic():
            assert db.bulk_insert(Setting, ["key", "value"], [(f"bulk-{i}", v) for i, v in enumerate(values)], chunk=4) == len(values)
    finally:
        db.close_database()
    rows = sql("SELECT key, value FROM setting WHERE key LIKE ?", "bulk-%")
    assert sorted(rows, key=lambda r: int(r[0].split("-")[1])) == [(f"bulk-{i}", v) for i, v in enumerate(values)]
