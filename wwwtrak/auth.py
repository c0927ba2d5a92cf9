"""Operators, their tokens, the local credentials file, and who is running a command."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from pathlib import Path

from peewee import fn

from wwwtrak import audit, clock, permissions
from wwwtrak.audit import Actor
from wwwtrak.db import atomic
from wwwtrak.errors import AuthError, Conflict, InvalidInput, NotFound
from wwwtrak.models import Operator

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def default_credentials_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("wwwtrak")) / "credentials"


def credentials_path() -> Path:
    """``WWWTRAK_CREDENTIALS``, else the file in the user's config directory."""
    env = os.environ.get("WWWTRAK_CREDENTIALS")
    return Path(env).expanduser() if env else default_credentials_path()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 is enough (and keeps start-up fast)."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_credentials_target(path: Path) -> None:
    """Refuse to make a credentials file over an existing one (it may hold another database's token)."""
    if path.exists() or path.is_symlink():
        raise Conflict(f"{path}: a credentials file exists already; set WWWTRAK_CREDENTIALS to a new file or move it away")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise InvalidInput(f"{path.parent}: cannot create the credentials folder: {e.strerror}") from None
    if not os.access(path.parent, os.W_OK):
        raise InvalidInput(f"{path.parent}: not writable; cannot write the credentials file there")


def write_credentials(name: str, token: str, path: Path | None = None) -> Path:
    """Write the credentials file with mode 0600, replacing any earlier one atomically.

    A symbolic link is followed: the file it points to is replaced, the link stays.
    """
    path = path or credentials_path()
    target = path.resolve() if path.is_symlink() else path
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.is_dir():
            raise IsADirectoryError(21, "is a directory")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"operator": name, "token": token}, f)
            f.write("\n")
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"{path}: cannot write the credentials file: {e.strerror}") from None
    return path


def read_credentials(path: Path | None = None) -> tuple[str, str]:
    """The operator name and token from the credentials file, refusing a file others can read."""
    path = path or credentials_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise AuthError(f"not logged in: no credentials file at {path}; run 'wwwtrak login NAME'") from None
    except OSError as e:
        raise AuthError(f"{path}: cannot read the credentials file: {e.strerror}") from None
    if not stat.S_ISREG(mode):
        raise AuthError(f"{path}: the credentials file is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuthError(f"{path}: credentials file is readable by others (mode {stat.S_IMODE(mode):04o}); run 'chmod 600 {path}'")
    try:
        with open(path, "rb") as f:
            raw = f.read(4096)
    except OSError as e:
        raise AuthError(f"{path}: cannot read the credentials file: {e.strerror}") from None
    try:
        data = json.loads(raw)
        return str(data["operator"]), str(data["token"])
    except (ValueError, KeyError, TypeError):
        raise AuthError(f"{path}: not a wwwtrak credentials file; run 'wwwtrak login NAME'") from None


def authenticate(command: str, path: Path | None = None) -> Actor:
    """Check the credentials file against the database and the role against the command."""
    name, token = read_credentials(path)
    op = Operator.get_or_none(Operator.name == name)
    if op is None:
        raise AuthError(f"unknown operator {name!r} in {path or credentials_path()}")
    if not hmac.compare_digest(op.token_hash, hash_token(token)):
        raise AuthError(f"wrong token for operator {name!r}; ask for a new one ('operator reset-token')")
    if not op.active:
        raise AuthError(f"operator {name!r} is disabled")
    permissions.check(op.role, command)
    return Actor(op.id, op.name, op.role, permissions.command_key(command))


def validate_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise InvalidInput(f"operator name: {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return name


def validate_role(role: str) -> str:
    value = (role or "").strip().lower()
    if value not in permissions.ROLES:
        raise InvalidInput(f"role: {role!r} is not one of {', '.join(permissions.ROLES)}")
    return value


def _get(name: str) -> Operator:
    op = Operator.get_or_none(Operator.name == name)
    if op is None:
        raise NotFound(f"operator {name!r} does not exist")
    return op


def create_first_superuser(name: str) -> str:
    """The operator made by ``init``; returns the token (shown once)."""
    token = new_token()
    op = Operator.create(name=validate_name(name), role="superuser", token_hash=hash_token(token), created_at=clock.now_utc())
    audit.record(Actor(op.id, op.name, op.role, "init"), f"operator {name}", {"role": [None, "superuser"]})
    return token


def add_operator(actor: Actor, name: str, role: str) -> str:
    """Add an operator; returns the new token (shown once)."""
    name, role = validate_name(name), validate_role(role)
    permissions.check_operator_target(actor.role, "operator add", role)
    with atomic():
        clash = Operator.get_or_none(fn.LOWER(Operator.name) == name.lower())
        if clash:
            raise Conflict(f"operator {clash.name!r} already exists")
        token = new_token()
        Operator.create(name=name, role=role, token_hash=hash_token(token), created_at=clock.now_utc())
        audit.record(actor, f"operator {name}", {"role": [None, role]})
    return token


def list_operators():
    return list(Operator.select().order_by(Operator.name))


def set_role(actor: Actor, name: str, role: str) -> None:
    role = validate_role(role)
    with atomic():
        op = _get(name)
        if op.role == "superuser" and role != "superuser" and _active_superusers() == 1 and op.active:
            raise Conflict(f"operator {name!r} is the last active superuser; make another superuser first")
        old = op.role
        if old == role:
            return
        op.role = role
        op.save()
        audit.record(actor, f"operator {name}", {"role": [old, role]})


def _active_superusers() -> int:
    return Operator.select().where((Operator.role == "superuser") & Operator.active).count()


def disable(actor: Actor, name: str) -> None:
    with atomic():
        op = _get(name)
        permissions.check_operator_target(actor.role, "operator disable", op.role)
        if not op.active:
            return
        if op.role == "superuser" and _active_superusers() == 1:
            raise Conflict(f"operator {name!r} is the last active superuser; it cannot be disabled")
        op.active = False
        op.save()
        audit.record(actor, f"operator {name}", {"active": [True, False]})


def reset_token(actor: Actor, name: str) -> str:
    """Give an operator a new token (the old one stops working); returns it.

    Resetting your own token rewrites your credentials file too, so you stay logged in.
    """
    with atomic():
        op = _get(name)
        permissions.check_operator_target(actor.role, "operator reset-token", op.role)
        token = new_token()
        op.token_hash = hash_token(token)
        op.save()
        audit.record(actor, f"operator {op.name}", {"token": ["(old)", "(new)"]})
        if op.id == actor.id:
            write_credentials(op.name, token)
    return token


def enable(actor: Actor, name: str) -> None:
    """Let a disabled operator log in again (with a token from reset-token if the old one is lost)."""
    with atomic():
        op = _get(name)
        permissions.check_operator_target(actor.role, "operator enable", op.role)
        if op.active:
            return
        op.active = True
        op.save()
        audit.record(actor, f"operator {op.name}", {"active": [False, True]})


def login(name: str, token: str) -> Path:
    """Check a name and token against the database and write the credentials file."""
    op = Operator.get_or_none(Operator.name == name)
    if op is None or not hmac.compare_digest(op.token_hash, hash_token(token.strip())):
        raise AuthError(f"login failed for {name!r}: unknown operator or wrong token")
    if not op.active:
        raise AuthError(f"operator {name!r} is disabled")
    return write_credentials(name, token.strip())
