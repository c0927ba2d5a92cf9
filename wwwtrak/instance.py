"""Setting up an installation (``init``) and opening it for a command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wwwtrak import auth, db, migrations
from wwwtrak.audit import Actor
from wwwtrak.errors import AlreadyInitialised, Conflict, DatabaseError, InvalidInput


@dataclass(frozen=True)
class InitResult:
    db: str
    operator: str
    token: str
    credentials: Path
    timezone: str
    currency: str


def validate_timezone(name: str) -> str:
    """An IANA zone name such as America/Chicago, or an error."""
    try:
        from zoneinfo import available_timezones

        # Names only: not 'localtime' (it follows the machine), not the posix/ and right/ copies.
        if name not in available_timezones() or name.startswith(("posix/", "right/")) or name in ("Factory", "localtime"):
            raise ValueError
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        import difflib
        from zoneinfo import available_timezones

        close = difflib.get_close_matches(name or "", sorted(available_timezones()), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InvalidInput(f"timezone: {name!r} is not an IANA time zone{hint}") from None
    return name


def validate_currency(code: str) -> str:
    import pycountry

    c = (code or "").strip().upper()
    if pycountry.currencies.get(alpha_3=c) is None or c.startswith("X"):  # X..: gold, test, "no currency"
        raise InvalidInput(f"currency: {code!r} is not an ISO 4217 currency code")
    return c


def init(url: str, superuser: str, timezone: str = "UTC", currency: str = "USD", credentials: Path | None = None) -> InitResult:
    """Create the schema, load the seed lookups and the first superuser; refuse an initialised database.

    The credentials file is written before the transaction commits: if it can't
    be written, nothing is initialised (a database whose only token was lost
    would be locked for good).
    """
    auth.validate_name(superuser)
    timezone = validate_timezone(timezone)
    currency = validate_currency(currency)
    cred_path = credentials or auth.credentials_path()
    database = db.open_database(url, create=True)
    created = database.created_file
    try:
        from wwwtrak.seed import seed_all

        with db.atomic():
            if db.is_initialised():
                raise AlreadyInitialised(f"{db.describe(url)} is already initialised; nothing changed")
            if database.get_tables():
                raise Conflict(f"{db.describe(url)} already holds tables of another application; give wwwtrak an empty database")
            auth.check_credentials_target(cred_path)
            migrations.upgrade()
            db.set_setting("timezone", timezone)
            db.set_setting("currency", currency)
            seed_all()
            token = auth.create_first_superuser(superuser)
            creds = auth.write_credentials(superuser, token, cred_path)
    except BaseException as e:
        db.close_database()
        if created and not isinstance(e, AlreadyInitialised):  # then another init owns the file now
            for suffix in ("", "-wal", "-shm"):
                Path(str(Path(url).expanduser()) + suffix).unlink(missing_ok=True)
        raise
    if not db.is_postgres(url):
        os.chmod(Path(url).expanduser(), 0o600)  # an empty file made by someone else may be looser
    return InitResult(db.describe(url), superuser, token, creds, timezone, currency)


def open_existing(url: str) -> None:
    """Open an initialised database, upgrading an older schema and refusing a newer one."""
    db.open_database(url)
    if not db.is_initialised():
        raise DatabaseError(f"{db.describe(url)} is not a wwwtrak database; run 'wwwtrak init --superuser NAME'")
    version = migrations.current_version()
    if version > migrations.LATEST:
        raise DatabaseError(
            f"{db.describe(url)} has schema version {version}, newer than this wwwtrak knows ({migrations.LATEST}); upgrade wwwtrak"
        )
    if version < migrations.LATEST:
        migrations.upgrade()


def open_for(url: str, command: str) -> Actor:
    """Open the database and check the operator's credentials and role for ``command``."""
    open_existing(url)
    return auth.authenticate(command)


@lru_cache(maxsize=1)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The ISP's time zone, which decides days and months."""
    return _zone(db.get_setting("timezone", "UTC"))


def currency() -> str:
    return db.get_setting("currency", "USD")
