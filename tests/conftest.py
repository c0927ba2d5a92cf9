"""Every test gets its own database file, credentials file and environment.

Initialising loads ~48,000 seed lookups, so the session builds one initialised
database through the real CLI and each test starts from a copy of it.
"""

from __future__ import annotations

import os
import shutil

import pytest

from helpers import invoke

_ENV_VARS = ("WWWTRAK_DB", "WWWTRAK_CREDENTIALS", "WWWTRAK_NOW", "WWWTRAK_DEBUG")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Own database path, credentials and home for every test; no WWWTRAK_* leaks in."""
    for var in _ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    monkeypatch.setenv("WWWTRAK_DB", str(tmp_path / "wwwtrak.db"))
    monkeypatch.setenv("WWWTRAK_CREDENTIALS", str(tmp_path / "credentials"))
    yield tmp_path


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    d = tmp_path_factory.mktemp("template")
    env = {"WWWTRAK_DB": str(d / "wwwtrak.db"), "WWWTRAK_CREDENTIALS": str(d / "credentials")}
    r = invoke("init", "--superuser", "root", "--timezone", "America/Chicago", env=env)
    assert r.exit_code == 0, r.stderr
    # fold the WAL into the main file so one copy carries everything
    import sqlite3

    con = sqlite3.connect(d / "wwwtrak.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return d


@pytest.fixture
def cli(isolated, _template):
    """An initialised database (zone America/Chicago) with superuser 'root' logged in; returns ``invoke``."""
    shutil.copy(_template / "wwwtrak.db", isolated / "wwwtrak.db")
    os.chmod(isolated / "wwwtrak.db", 0o600)
    shutil.copy(_template / "credentials", isolated / "credentials")
    os.chmod(isolated / "credentials", 0o600)
    return invoke
