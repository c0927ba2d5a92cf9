"""The tool itself: every command has help text, `--help` works, and the README shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from helpers import invoke
from wwwtrak.commands import app


def _commands(group, path=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name), cmd


COMMANDS = sorted(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_and_a_readme_example(path, cmd):
    assert (cmd.help or "").strip(), "no help text"
    r = invoke(*path, "--help")
    assert r.exit_code == 0, r.stderr
    assert f"Usage: wwwtrak {' '.join(path)} " in r.stdout
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"wwwtrak {' '.join(path)}" in readme
