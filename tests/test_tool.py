"""Tests of the tool itself: help texts, README coverage, clean imports, the demo sandbox."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from pathlib import Path

import typer

from helpers import invoke
from wwwtrak.commands import app

ROOT = Path(__file__).resolve().parents[1]


def _leaf_commands(group=None, prefix=""):
    group = group or typer.main.get_command(app)
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            yield from _leaf_commands(cmd, path + " ")
        else:
            yield path, cmd


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for path, cmd in _leaf_commands():
        assert (cmd.help or "").strip(), f"{path} has no help text"
        assert re.search(rf"wwwtrak {re.escape(path)}\b", readme), f"README has no example of 'wwwtrak {path}'"


def test_every_module_imports_cleanly():
    import wwwtrak

    for info in pkgutil.walk_packages(wwwtrak.__path__, "wwwtrak."):
        if info.name != "wwwtrak.__main__":  # it runs the CLI
            importlib.import_module(info.name)


def test_core_never_imports_the_terminal_layer():
    for path in (ROOT / "wwwtrak").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(typer|rich)\b", text, re.M), path


def test_quick_start_has_two_lines_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"^## Quick start\s*$(.*?)^```sh\s*$\n(.*?)^```", readme, re.M | re.S)
    lines = [line for line in m.group(2).splitlines() if line.strip()]
    assert len(lines) == 2
    assert "wwwtrak demo" in lines[0] and "pytest" in lines[1]
    assert "Quick start" in (ROOT / ".ci" / "run").read_text()


def test_demo_builds_a_sandbox_and_leaves_the_default_database_alone(isolated, tmp_path, monkeypatch):
    monkeypatch.delenv("WWWTRAK_DB")
    monkeypatch.delenv("WWWTRAK_CREDENTIALS")
    sandbox = tmp_path / "sandbox"
    r = invoke("demo", "--customers", "5", "--dir", str(sandbox))
    assert r.exit_code == 0, r.stderr
    assert (sandbox / "wwwtrak.db").exists() and (sandbox / "credentials").exists()
    assert f"export WWWTRAK_DB={sandbox / 'wwwtrak.db'}" in r.stdout
    assert f"export WWWTRAK_CREDENTIALS={sandbox / 'credentials'}" in r.stdout
    home = tmp_path / "home"
    assert not any(p.name in ("wwwtrak.db", "credentials") for p in home.rglob("*"))
    # the sandbox works as printed
    env = {"WWWTRAK_DB": str(sandbox / "wwwtrak.db"), "WWWTRAK_CREDENTIALS": str(sandbox / "credentials")}
    who = invoke("whoami", "--format", "json", env=env)
    assert who.exit_code == 0 and who.json["role"] == "superuser"
    r = invoke("demo", "--dir", str(sandbox))
    assert r.exit_code == 1 and r.stderr == f"error: {sandbox} is not empty (a sandbox there exists already?); give --dir a new or empty folder\n"
    assert os.environ.get("WWWTRAK_CREDENTIALS") is None
