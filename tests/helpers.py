"""Helpers the tests share: run the real CLI in-process, switch operators."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from wwwtrak.commands import app


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


def db_snapshot(path: Path) -> dict[str, list]:
    """Every row of every table but the seed lookups (their count stands in), to compare before/after."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        tables = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        snap = {t: con.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables if t != "lookup"}
        snap["lookup"] = con.execute("SELECT COUNT(*), MAX(id) FROM lookup").fetchall()
        return snap
    finally:
        con.close()
