"""Helpers the tests share: run the real CLI in-process, switch operators."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typer.testing import CliRunner

from wwwtrak.commands import app

# The PostgreSQL server the suite runs on, if any (see conftest.py).
PG_SERVER = os.environ.get("WWWTRAK_TEST_POSTGRES", "")


def pg_url(dbname: str) -> str:
    """The URL of database ``dbname`` on the test server."""
    return PG_SERVER.rsplit("/", 1)[0] + "/" + dbname


def pg_admin():
    """An autocommit connection to the test server's maintenance database."""
    import psycopg2

    con = psycopg2.connect(PG_SERVER)
    con.autocommit = True
    return con


def sql(statement: str, *params):
    """Run raw SQL against the current test database, either backend; returns the rows."""
    from wwwtrak import db

    url = os.environ["WWWTRAK_DB"]
    if db.is_postgres(url):
        statement = statement.replace("?", "%s")
    db.open_database(url)
    try:
        with db.database.atomic():
            cursor = db.database.execute_sql(statement, params)
            rows = cursor.fetchall() if cursor.description else []
    finally:
        db.close_database()
    return rows


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


@lru_cache(maxsize=1)
def _command():
    """The click command behind the Typer app, built once (Typer rebuilds it on every CliRunner.invoke: ~80 ms)."""
    import typer.main

    return typer.main.get_command(app)


def invoke(*args: str, input: str | None = None, env: dict | None = None) -> Result:
    """Run the real CLI in-process, with stdout and stderr apart; exceptions that escape it propagate."""
    with CliRunner().isolation(input=input, env=env) as streams:
        try:
            _command().main([str(a) for a in args], prog_name="wwwtrak")
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return Result(code, streams[0].getvalue().decode(), streams[1].getvalue().decode())


def login_as(tmp_path: Path, name: str, role: str) -> str:
    """Add an operator with ``role`` (as the current operator) and switch to their credentials file."""
    r = invoke("operator", "add", name, "--role", role)
    assert r.exit_code == 0, r.stderr
    token = r.stdout.strip().rsplit(" ", 1)[-1]
    creds = tmp_path / f"credentials-{name}"
    creds.write_text(json.dumps({"operator": name, "token": token}))
    os.chmod(creds, 0o600)
    os.environ["WWWTRAK_CREDENTIALS"] = str(creds)
    return token


def switch_to_root(tmp_path: Path) -> None:
    """Use root's credentials file again."""
    os.environ["WWWTRAK_CREDENTIALS"] = str(tmp_path / "credentials")


def db_snapshot(path: Path | None = None) -> dict[str, list]:
    """Every row of every table but the seed lookups (their count stands in), to compare before/after.

    Reads the current test database (``WWWTRAK_DB``, either backend); ``path`` is accepted for
    old call sites and ignored.
    """
    from wwwtrak import db

    db.open_database(os.environ["WWWTRAK_DB"])
    try:
        snap = {}
        for t in sorted(db.database.get_tables()):
            if t == "lookup":
                snap[t] = [tuple(r) for r in db.database.execute_sql("SELECT COUNT(*), MAX(id) FROM lookup").fetchall()]
            else:
                rows = [tuple(r) for r in db.database.execute_sql(f'SELECT * FROM "{t}"').fetchall()]
                snap[t] = sorted(rows, key=repr)
        return snap
    finally:
        db.close_database()
