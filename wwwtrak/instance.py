"""Setting up an installation (``init``) and opening it for a command."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wwwtrak import auth, db, migrations
from wwwtrak.audit import Actor
from wwwtrak.errors import Conflict, DatabaseError, InvalidInput


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
        if not name or name != name.strip() or name.startswith("/") or ".." in name:
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
    if pycountry.currencies.get(alpha_3=c) is None:
        raise InvalidInput(f"currency: {code!r} is not an ISO 4217 currency code")
    return c


def init(url: str, superuser: str, timezone: str = "UTC", currency: str = "USD", credentials: Path | None = None) -> InitResult:
    """Create the schema, load the seed lookups and the first superuser; refuse an initialised database."""
    auth.validate_name(superuser)
    timezone = validate_timezone(timezone)
    currency = validate_currency(currency)
    existed = db.is_postgres(url) or Path(url).expanduser().exists()
    db.open_database(url, create=True)
    try:
        if db.is_initialised():
            raise Conflict(f"{db.describe(url)} is already initialised; nothing changed")
        from wwwtrak.seed import seed_all

        with db.atomic():
            migrations.upgrade()
            db.set_setting("timezone", timezone)
            db.set_setting("currency", currency)
            seed_all()
            token = auth.create_first_superuser(superuser)
    except BaseException:
        db.close_database()
        if not existed:
            for suffix in ("", "-wal", "-shm"):
                Path(str(Path(url).expanduser()) + suffix).unlink(missing_ok=True)
        raise
    creds = auth.write_credentials(superuser, token, credentials)
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
