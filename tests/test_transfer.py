"""backup, restore and migrate-to: every record copied, across backends."""

from __future__ import annotations

import os
import stat

import pytest

from helpers import PG_SERVER, invoke, login_as, switch_to_root


def _snapshot(env=None):
    out = {}
    for kind in ("pc-type", "payment-terms", "tax-rate"):
        out[kind] = invoke("lookup", "list", kind, "--all", "--format", "json", env=env).json
    out["operators"] = [(o["name"], o["role"], o["active"]) for o in invoke("operator", "list", "--format", "json", env=env).json]
    out["audit"] = [(a["id"], a["operator"], a["command"], a["target"], a["changes"]) for a in invoke("audit", "list", "--format", "json", env=env).json]
    return out


def _some_changes(isolated):
    assert invoke("lookup", "add", "pc-type", "amiga", "Amiga").exit_code == 0
    assert invoke("lookup", "deactivate", "pc-type", "other").exit_code == 0
    assert invoke("lookup", "add", "payment-terms", "net-45", "--set", "days=45", "--set", "late_fee=7.55").exit_code == 0
    assert invoke("operator", "add", "desk", "--role", "user").exit_code == 0


def test_backup_then_restore_into_an_empty_database(cli, isolated, tmp_path):
    _some_changes(isolated)
    before = _snapshot()
    backup = tmp_path / "backup.gz"
    r = invoke("backup", str(backup))
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    env = {"WWWTRAK_DB": str(tmp_path / "restored.db")}
    r = invoke("restore", str(backup), env=env)
    assert r.exit_code == 0, r.stderr
    assert _snapshot(env) == before
    # new records continue the numbering
    assert invoke("lookup", "add", "pc-type", "beos", env=env).exit_code == 0
    assert _snapshot(env)["audit"][-1][0] == before["audit"][-1][0] + 1


def test_restore_refuses_a_database_that_is_not_empty(cli, tmp_path):
    backup = tmp_path / "backup.gz"
    invoke("backup", str(backup))
    r = invoke("restore", str(backup))
    assert r.exit_code == 1 and "is not empty; restore and migrate-to need an empty database" in r.stderr


def test_restore_needs_a_superuser_of_the_backup(cli, isolated, tmp_path):
    login_as(isolated, "desk", "user")  # root adds desk and hands over the credentials file
    r = invoke("backup", str(tmp_path / "refused.gz"))
    assert r.exit_code == 3 and not (tmp_path / "refused.gz").exists()
    switch_to_root(isolated)
    backup = tmp_path / "backup.gz"
    assert invoke("backup", str(backup)).exit_code == 0  # it holds desk, a user
    os.environ["WWWTRAK_CREDENTIALS"] = str(isolated / "credentials-desk")
    target = tmp_path / "restored.db"
    r = invoke("restore", str(backup), env={"WWWTRAK_DB": str(target)})
    assert r.exit_code == 3 and r.stderr == "error: 'restore' needs the role superuser; you are user\n"
    switch_to_root(isolated)
    r = invoke("restore", str(backup), env={"WWWTRAK_DB": str(target)})
    assert r.exit_code == 0, r.stderr  # nothing was left behind by the refused restore


def test_restore_refuses_a_file_that_is_not_a_backup(cli, tmp_path):
    junk = tmp_path / "junk.gz"
    junk.write_text("hello")
    r = invoke("restore", str(junk), env={"WWWTRAK_DB": str(tmp_path / "x.db")})
    assert r.exit_code == 1 and r.stderr.startswith(f"error: {junk}: not a wwwtrak backup")


@pytest.mark.sqlite_only
def test_migrate_to_postgresql_copies_every_record(cli, isolated):
    if not os.environ.get("WWWTRAK_TEST_MIGRATE_TO", PG_SERVER):
        pytest.skip("no PostgreSQL server given (WWWTRAK_TEST_POSTGRES or WWWTRAK_TEST_MIGRATE_TO)")
    server = os.environ.get("WWWTRAK_TEST_MIGRATE_TO") or PG_SERVER
    _some_changes(isolated)
    before = _snapshot()
    import psycopg2

    name = f"wwwtrak_migrate_{os.getpid()}"
    con = psycopg2.connect(server)
    con.autocommit = True
    con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    con.cursor().execute(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        r = invoke("migrate-to", url)
        assert r.exit_code == 0, r.stderr
        assert _snapshot({"WWWTRAK_DB": url}) == before
        r = invoke("migrate-to", url)
        assert r.exit_code == 1 and "is not empty" in r.stderr
    finally:
        con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.close()

