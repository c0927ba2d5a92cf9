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



# --- with books: real month-end runs, payments and a credit ------------------------------------------------

MONTHS = ("2026-10", "2026-11")


@pytest.fixture
def books(cli, monkeypatch):
    """Three customers billed by month-end for October and November 2026, with payments, a credit and usage."""
    from billing_fixtures import add_customer, add_plan, add_session, bill

    monkeypatch.setenv("WWWTRAK_NOW", "2026-11-02T09:00:00-06:00")
    plan = add_plan("dialup", "Basic Dial-up", monthly_fee="19.95", setup_fee="25.00", included_hours="10", overage_per_hour="3.00")
    ann = add_customer("Ann Lee", start="2026-10-12", plan=plan, payment_terms="net-30", logins=["ann"])
    bob = add_customer("Bob's Bait & Tackle", start="2026-09-01", contact="Bob Ray", logins=["bob"])
    cid = add_customer("Chloé Ñúñez", start="2026-10-01", plan=plan, logins=["chloe"])
    assert invoke("service", "add", "static-ip", "--description", "Static IP address", "--unit-price", "5.00").exit_code == 0
    assert invoke("customer", "subscribe", bob, "static-ip", "--start", "2026-09-01", "--quantity", "2").exit_code == 0
    assert invoke("charge", "add", ann, "12.50", "--description", "Replacement router", "--date", "2026-10-25").exit_code == 0
    add_session(ann, "2026-10-28T21:00:00", seconds=11 * 3600 + 30 * 60)
    add_session(cid, "2026-10-30T08:00:00", seconds=3600)
    bill("2026-10")
    monkeypatch.setenv("WWWTRAK_NOW", "2026-11-10T09:00:00-06:00")
    assert invoke("payment", "add", ann, "20.00", "--method", "card", "--reference", "t-1", "--date", "2026-11-05").exit_code == 0
    assert invoke("payment", "add", bob, "100.00", "--reference", "1042", "--date", "2026-11-06").exit_code == 0
    assert invoke("credit", "add", cid, "3.00", "--description", "Outage 3-5 November", "--date", "2026-11-07").exit_code == 0
    monkeypatch.setenv("WWWTRAK_NOW", "2026-12-01T07:00:00-06:00")
    add_session(cid, "2026-11-20T08:00:00", seconds=12 * 3600)
    bill("2026-11")
    assert invoke("payment", "add", cid, "10.00", "--method", "cash", "--date", "2026-12-01").exit_code == 0
    return ann, bob, cid


def _books_view(env=None) -> dict:
    """What must survive a copy byte for byte: check, the exports, the invoices and their numbers."""
    def out(*args):
        r = invoke(*args, env=env)
        assert r.exit_code == 0, (args, r.stderr)
        return r.stdout

    view = {"check": out("check"), "customers.csv": out("export", "customers", "--format", "csv"),
            "invoices": out("invoice", "list", "--format", "json"), "payments": out("payment", "list", "--format", "json")}
    for month in MONTHS:
        view[f"ledger-{month}.csv"] = out("export", "ledger", "--month", month, "--format", "csv")
    return view


@pytest.fixture
def empty_database(isolated):
    """Make empty databases to copy into: ``make("sqlite")`` a new file's path, ``make("postgresql")`` a new database's URL."""
    made = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return str(isolated / f"empty-{len(made)}.db")
        server = os.environ.get("WWWTRAK_TEST_MIGRATE_TO") or PG_SERVER
        if not server:
            pytest.skip("no PostgreSQL server given (WWWTRAK_TEST_POSTGRES or WWWTRAK_TEST_MIGRATE_TO)")
        import psycopg2

        name = f"wwwtrak_copy_{os.getpid()}_{len(made)}"
        con = psycopg2.connect(server)
        con.autocommit = True
        con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.cursor().execute(f'CREATE DATABASE "{name}"')
        con.close()
        made.append((server, name))
        return server.rsplit("/", 1)[0] + "/" + name

    yield make
    import psycopg2

    for server, name in made:
        con = psycopg2.connect(server)
        con.autocommit = True
        con.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.close()


def _this_backend() -> str:
    return "postgresql" if PG_SERVER else "sqlite"


def test_restore_of_billed_books_into_an_empty_database_passes_check(books, empty_database, tmp_path, monkeypatch):
    source = _books_view()
    assert source["check"] == ("ok: 10 journal entries balance; 6 invoices equal their lines plus tax; receivable equals "
                               "open invoices minus credit for 3 customers; invoice numbers 1-6 have no gaps\n")
    assert all(len(source[f"ledger-{m}.csv"].splitlines()) > 8 for m in MONTHS) and "Chloé Ñúñez" in source["customers.csv"]
    backup = tmp_path / "books.gz"
    assert invoke("backup", str(backup)).exit_code == 0
    env = {"WWWTRAK_DB": empty_database(_this_backend())}
    r = invoke("restore", str(backup), env=env)
    assert r.exit_code == 0, r.stderr
    assert _books_view(env) == source  # check passes on it and says what it says on the source
    # a billed month stays billed; the next run continues the invoice numbers
    r = invoke("billing", "run-month", "--month", "2026-11", env=env)
    assert r.exit_code == 0 and "already billed" in r.stdout
    last = max(i["number"] for i in invoice_list())
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T07:00:00-06:00")
    r = invoke("billing", "run-month", "--month", "2026-12", "--format", "json", env=env)
    assert r.exit_code == 0, r.stderr
    assert [i["number"] for i in invoice_list(env)][-r.json["invoices"]:] == list(range(last + 1, last + 1 + r.json["invoices"]))
    assert invoke("check", env=env).stdout.startswith("ok: ")


def invoice_list(env=None):
    r = invoke("invoice", "list", "--format", "json", env=env)
    assert r.exit_code == 0, r.stderr
    return r.json


@pytest.mark.parametrize("target", ["postgresql", "sqlite"])
def test_migrate_to_copies_the_books_with_the_same_invoice_numbers(books, empty_database, monkeypatch, target):
    source = _books_view()
    url = empty_database(target)
    r = invoke("migrate-to", url)
    assert r.exit_code == 0, r.stderr
    env = {"WWWTRAK_DB": url}
    copied = _books_view(env)
    assert copied == source  # check passes there; customers and each month's ledger byte for byte
    numbers = [i["number"] for i in invoice_list()]
    assert numbers and [i["number"] for i in invoice_list(env)] == numbers
    # both go on alike: the next month's run gives both the same new numbers and exports
    monkeypatch.setenv("WWWTRAK_NOW", "2027-01-02T07:00:00-06:00")
    for where in (None, env):
        r = invoke("billing", "run-month", "--month", "2026-12", "--format", "json", env=where)
        assert r.exit_code == 0, r.stderr
    assert [i["number"] for i in invoice_list(env)] == [i["number"] for i in invoice_list()]
    assert invoke("export", "ledger", "--month", "2026-12", "--format", "csv", env=env).stdout == \
        invoke("export", "ledger", "--month", "2026-12", "--format", "csv").stdout
    assert invoke("check", env=env).stdout == invoke("check").stdout
