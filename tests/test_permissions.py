"""The one permission table, row by row and role by role, in the core and through the CLI."""

from __future__ import annotations

import pytest

from helpers import invoke, login_as
from wwwtrak import permissions
from wwwtrak.commands import app
from wwwtrak.errors import PermissionDenied

EVERY = {"superuser", "accounting", "administrator", "user"}
ADMIN = {"superuser", "administrator"}
ACCOUNTING = {"superuser", "accounting"}
BOTH = {"superuser", "administrator", "accounting"}
SUPER = {"superuser"}

# Written out from the foundation issue, independently of wwwtrak/permissions.py.
EXPECTED = {
    **{c: EVERY for c in (
        "whoami", "customer add", "customer edit", "customer show", "customer list", "customer close",
        "customer login", "customer subscribe", "lookup kinds", "lookup list", "plan list", "service list",
        "usage list", "usage unmatched", "invoice list", "invoice show", "payment list")},
    **{c: ADMIN for c in (
        "lookup add", "lookup rename", "lookup deactivate", "lookup import", "customer import",
        "operator list", "operator add", "operator disable", "operator enable", "operator reset-token")},
    **{c: ACCOUNTING for c in (
        "plan add", "plan edit", "plan deactivate", "service add", "charge add", "payment add", "payment void",
        "credit add", "credit void", "billing run-month", "billing runs", "report aging", "report revenue",
        "report usage", "export ledger", "export customers", "check")},
    **{c: BOTH for c in ("usage import", "audit list")},
    **{c: SUPER for c in ("operator set-role", "backup", "restore", "migrate-to")},
}


def test_table_has_exactly_the_contract_rows():
    assert set(permissions.PERMISSIONS) == set(EXPECTED)


@pytest.mark.parametrize("command", sorted(EXPECTED))
@pytest.mark.parametrize("role", sorted(EVERY))
def test_every_row_for_every_role(command, role):
    if role in EXPECTED[command]:
        permissions.check(role, command)
    else:
        with pytest.raises(PermissionDenied) as e:
            permissions.check(role, command)
        assert f"'{command}' needs the role" in str(e.value) and f"you are {role}" in str(e.value)


def test_subcommand_paths_map_to_their_row():
    assert permissions.command_key("customer login add") == "customer login"
    assert permissions.command_key("report aging") == "report aging"


def _cli_commands(group=None, prefix=""):
    import typer

    group = group or typer.main.get_command(app)
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            yield from _cli_commands(cmd, path + " ")
        else:
            yield path


def test_every_cli_command_has_a_row_in_the_table():
    for path in _cli_commands():
        key = permissions.command_key(path)
        assert key in permissions.PERMISSIONS or key in permissions.OPEN_COMMANDS, path


# Through the real CLI: one harmless example invocation per command that exists.
EXAMPLES = {
    "whoami": ["whoami"],
    "operator list": ["operator", "list"],
    "operator add": ["operator", "add", "newbie", "--role", "user"],
    "operator disable": ["operator", "disable", "target"],
    "operator reset-token": ["operator", "reset-token", "target"],
    "operator enable": ["operator", "enable", "target"],
    "operator set-role": ["operator", "set-role", "target", "user"],
    "lookup kinds": ["lookup", "kinds"],
    "lookup list": ["lookup", "list", "pc-type"],
    "lookup add": ["lookup", "add", "pc-type", "beos"],
    "lookup rename": ["lookup", "rename", "pc-type", "mac", "Macintosh"],
    "lookup deactivate": ["lookup", "deactivate", "pc-type", "other"],
    "audit list": ["audit", "list"],
}


@pytest.mark.parametrize("command", sorted(EXAMPLES))
@pytest.mark.parametrize("role", sorted(EVERY))
def test_cli_enforces_the_table(cli, isolated, command, role):
    assert invoke("operator", "add", "target", "--role", "user").exit_code == 0
    if role != "superuser":
        login_as(isolated, "me", role)
    r = invoke(*EXAMPLES[command])
    if role in EXPECTED[command]:
        assert r.exit_code == 0, (command, role, r.stderr)
    else:
        assert r.exit_code == 3, (command, role, r.stdout)
        assert r.stderr.startswith(f"error: '{command}' needs the role ")


def test_lookup_import_is_refused_to_users(cli, isolated, tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("code,label\nradio,Radio ad\n")
    login_as(isolated, "u", "user")
    r = invoke("lookup", "import", "source", str(f))
    assert r.exit_code == 3
    assert r.stderr == "error: 'lookup import' needs the role superuser or administrator; you are user\n"
