"""Helpers the tests share: run the real CLI in-process, switch operators."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
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


def invoke(*args: str, input: str | None = None, env: dict | None = None) -> Result:
    """Run the real CLI in-process, with stdout and stderr apart."""
    runner = CliRunner()
    r = runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)
    return Result(r.exit_code, r.stdout, r.stderr)


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
