"""Every test gets its own database, credentials file and environment.

The suite runs on SQLite by default. With ``WWWTRAK_TEST_POSTGRES`` set to a
server URL (``postgresql://postgres@127.0.0.1:5432/postgres``) it runs on
PostgreSQL instead: each test gets a fresh database, dropped after it; tests
marked ``sqlite_only`` are skipped there. If that server cannot be reached,
every test is skipped with the reason shown.

Initialising loads ~48,000 seed lookups, so the session builds one initialised
database through the real CLI and each test starts from a copy of it.
"""

from __future__ import annotations

import itertools
import os
import shutil

import pytest

from helpers import PG_SERVER, invoke, pg_admin, pg_url

_ENV_VARS = ("WWWTRAK_DB", "WWWTRAK_CREDENTIALS", "WWWTRAK_NOW", "WWWTRAK_DEBUG")
_counter = itertools.count()
_pg_problem: str | None = None


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: the test reads or writes the SQLite file itself")
    global _pg_problem
    if PG_SERVER:
        try:
            pg_admin().close()
        except Exception as e:  # noqa: BLE001 - any failure means: no server to test on
            _pg_problem = f"PostgreSQL at {PG_SERVER} is unreachable: {str(e).strip().splitlines()[0] if str(e).strip() else e}"


def pytest_report_header(config):
    return f"backend: {'postgresql ' + PG_SERVER if PG_SERVER else 'sqlite'}"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if PG_SERVER and _pg_problem:
            item.add_marker(pytest.mark.skip(reason=_pg_problem))
        elif PG_SERVER and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="reads the SQLite file itself"))


def _pg_create(name: str, template: str | None = None) -> None:
    con = pg_admin()
    with con.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    con.close()


def _pg_drop(name: str) -> None:
    con = pg_admin()
    with con.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    con.close()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own database, credentials and home for every test; no WWWTRAK_* leaks in."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.setenv("WWWTRAK_CREDENTIALS", str(tmp_path / "credentials"))
    if PG_SERVER:
        name = f"wwwtrak_test_{os.getpid()}_{next(_counter)}"
        _pg_create(name)
        monkeypatch.setenv("WWWTRAK_DB", pg_url(name))
        yield tmp_path
        _pg_drop(name)
    else:
        monkeypatch.setenv("WWWTRAK_DB", str(tmp_path / "wwwtrak.db"))
        yield tmp_path


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    d = tmp_path_factory.mktemp("template")
    env = {"WWWTRAK_CREDENTIALS": str(d / "credentials")}
    if PG_SERVER:
        name = f"wwwtrak_template_{os.getpid()}"
        _pg_create(name)
        env["WWWTRAK_DB"] = pg_url(name)
    else:
        env["WWWTRAK_DB"] = str(d / "wwwtrak.db")
    r = invoke("init", "--superuser", "root", "--timezone", "America/Chicago", env=env)
    assert r.exit_code == 0, r.stderr
    if PG_SERVER:
        yield d, name
        _pg_drop(name)
        return
    # fold the WAL into the main file so one copy carries everything
    import sqlite3

    con = sqlite3.connect(d / "wwwtrak.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    yield d, None


@pytest.fixture
def cli(isolated, _template):
    """An initialised database (zone America/Chicago) with superuser 'root' logged in; returns ``invoke``."""
    d, pg_template = _template
    if pg_template:
        name = os.environ["WWWTRAK_DB"].rsplit("/", 1)[1]
        _pg_create(name, template=pg_template)
    else:
        shutil.copy(d / "wwwtrak.db", isolated / "wwwtrak.db")
        os.chmod(isolated / "wwwtrak.db", 0o600)
    shutil.copy(d / "credentials", isolated / "credentials")
    os.chmod(isolated / "credentials", 0o600)
    return invoke


@pytest.fixture
def second_db(cli, isolated, _template):
    """A second initialised database (root logged in), empty of customers: the env to ``invoke`` it with."""
    d, pg_template = _template
    if pg_template:
        name = os.environ["WWWTRAK_DB"].rsplit("/", 1)[1] + "_second"
        _pg_create(name, template=pg_template)
        url = pg_url(name)
    else:
        url = str(isolated / "second.db")
        shutil.copy(d / "wwwtrak.db", url)
        os.chmod(url, 0o600)
    yield {"WWWTRAK_DB": url, "WWWTRAK_CREDENTIALS": str(isolated / "credentials")}
    if pg_template:
        _pg_drop(name)
