"""The one permission table: every command of the contract and the roles allowed to run it."""

from __future__ import annotations

from wwwtrak.errors import PermissionDenied

ROLES = ("superuser", "accounting", "administrator", "user")

# Commands that run without credentials.
OPEN_COMMANDS = frozenset({"init", "login", "demo"})

_USER = {
    "whoami",
    "customer add", "customer edit", "customer show", "customer list",
    "customer close", "customer login", "customer subscribe",
    "lookup kinds", "lookup list",
    "plan list", "service list",
    "usage list", "usage unmatched",
    "invoice list", "invoice show",
    "payment list",
}
_ADMINISTRATOR = {
    "lookup add", "lookup rename", "lookup deactivate", "lookup import",
    "customer import", "usage import",
    "operator list", "audit list",
    # for operators of role user only: see OPERATOR_TARGETS
    "operator add", "operator disable", "operator enable", "operator reset-token",
}
_ACCOUNTING = {
    "plan add", "plan edit", "plan deactivate",
    "service add", "charge add",
    "payment add", "payment void", "credit add", "credit void",
    "billing run-month", "billing runs",
    "report aging", "report revenue", "report usage",
    "export ledger", "export customers",
    "check", "usage import", "audit list",
}
_SUPERUSER_ONLY = {"operator set-role", "backup", "restore", "migrate-to"}

ALL_COMMANDS = frozenset(_USER | _ADMINISTRATOR | _ACCOUNTING | _SUPERUSER_ONLY)

PERMISSIONS: dict[str, frozenset[str]] = {
    command: frozenset(
        role
        for role, allowed in (
            ("superuser", ALL_COMMANDS),
            ("accounting", _USER | _ACCOUNTING),
            ("administrator", _USER | _ADMINISTRATOR),
            ("user", _USER),
        )
        if command in allowed
    )
    for command in sorted(ALL_COMMANDS)
}

# Which operator roles a role may add, disable or reset: administrators manage users only.
OPERATOR_TARGETS = {"superuser": frozenset(ROLES), "administrator": frozenset({"user"})}


def command_key(path: str) -> str:
    """The table's row for a command path: ``customer login add`` is ``customer login``."""
    words = path.split()
    while words:
        key = " ".join(words)
        if key in PERMISSIONS or key in OPEN_COMMANDS:
            return key
        words.pop()
    raise KeyError(path)


def roles_for(command: str) -> frozenset[str]:
    """The roles allowed to run ``command``."""
    return PERMISSIONS[command_key(command)]


def check(role: str, command: str) -> None:
    """Raise PermissionDenied unless ``role`` may run ``command``."""
    key = command_key(command)
    if key in OPEN_COMMANDS:
        return
    allowed = PERMISSIONS[key]
    if role not in allowed:
        needed = " or ".join(r for r in ROLES if r in allowed)
        raise PermissionDenied(f"'{key}' needs the role {needed}; you are {role}")


def check_operator_target(role: str, command: str, target_role: str) -> None:
    """Administrators may add, disable and reset operators of role user only."""
    if target_role not in OPERATOR_TARGETS.get(role, frozenset()):
        raise PermissionDenied(
            f"'{command}' for an operator of role {target_role} needs the role superuser; you are {role}"
        )
