"""Opening the database, its settings, and its schema version."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from peewee import OperationalError, SqliteDatabase

from wwwtrak.errors import DatabaseError
from wwwtrak.models import Setting, database

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "synchronous": "normal",
}


def default_db_path() -> str:
    """The contract's default: a SQLite file in the user's data directory."""
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("wwwtrak")) / "wwwtrak.db")


def resolve_url(url: str | None) -> str:
    """The database named by ``--db``, else ``WWWTRAK_DB``, else the default path."""
    if url is not None and not url.strip():
        raise DatabaseError("--db: must not be empty")
    return url or os.environ.get("WWWTRAK_DB") or default_db_path()


def is_postgres(url: str) -> bool:
    return url.lower().startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """The database for messages, without any password."""
    if is_postgres(url):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            port = ""
        host = parts.hostname or "localhost"
        return f"postgresql://{parts.username + '@' if parts.username else ''}{host}{port}{parts.path}"
    return url


def _create_private_file(path: Path) -> bool:
    """Create the SQLite file (and its folder) readable by the owner only; False if it appeared meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _open_postgres(url: str):
    from urllib.parse import parse_qsl, unquote, urlsplit

    from peewee import PostgresqlDatabase

    try:
        import psycopg2  # noqa: F401
    except ImportError:
        raise DatabaseError("PostgreSQL needs its driver: pip install 'wwwtrak[postgres]'") from None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise DatabaseError(f"{describe(url)}: not a valid PostgreSQL URL: {e}") from None
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DatabaseError(f"{describe(url)}: the URL names no database (postgresql://user@host/dbname)")
    # Query parameters (sslmode=require, connect_timeout=5, ...) go to libpq as they are.
    extra = dict(parse_qsl(parts.query, keep_blank_values=True))
    db = PostgresqlDatabase(
        name,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname or None,
        port=port or None,
        **extra,
    )
    try:
        db.connect(reuse_if_open=True)
    except Exception as e:  # noqa: BLE001 - psycopg2 raises several kinds for a failed connection
        first = str(e).strip().splitlines()[0] if str(e).strip() else "connection failed"
        hint = f"; create it with 'createdb {name}'" if f'database "{name}" does not exist' in first else ""
        raise DatabaseError(f"{describe(url)}: cannot connect: {first}{hint}") from None
    database.initialize(db)
    return db


def open_database(url: str, *, create: bool = False):
    """Bind the models to the database at ``url``; create a SQLite file only when asked.

    Returns the database; ``database.created_file`` is True when this call created the SQLite file.
    """
    if is_postgres(url):
        db = _open_postgres(url)
        db.created_file = False
        return db
    if "://" in url or url.startswith("file:") or url == ":memory:" or url.endswith(os.sep):
        raise DatabaseError(f"{url}: not a SQLite file path nor a postgresql:// URL")
    path = Path(url).expanduser()
    created = False
    if path.is_dir():
        raise DatabaseError(f"{path}: is a directory, not a database file")
    if not path.exists():
        if not create:
            raise DatabaseError(f"no database at {path}; run 'wwwtrak init --superuser NAME' first")
        try:
            created = _create_private_file(path)
        except OSError as e:
            raise DatabaseError(f"{path}: cannot create the database: {e.strerror}") from None
    db = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS)
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as e:  # noqa: BLE001 - sqlite3 reports a non-database file as DatabaseError
        db.close()
        raise DatabaseError(f"{path}: cannot open the database: {e}") from None
    db.created_file = created
    database.initialize(db)
    return db


def close_database() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


def get_setting(key: str, default: str | None = None) -> str | None:
    row = Setting.get_or_none(Setting.key == key)
    return default if row is None else row.value


def set_setting(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute()


def is_initialised() -> bool:
    return database.table_exists("setting") and get_setting("schema_version") is not None


# The key of the PostgreSQL advisory lock that serializes writing transactions.
WRITE_LOCK = 0x777772A


@contextmanager
def atomic():
    """One writing transaction, serialized against every other writer.

    SQLite takes its write lock at the start (BEGIN IMMEDIATE); PostgreSQL takes
    a transaction-level advisory lock, so the read-check-write steps inside
    (the last superuser, the next account number, a month already billed)
    see the same guarantee on both backends.
    """
    db = database.obj
    if isinstance(db, SqliteDatabase) and not db.in_transaction():
        with db.atomic("IMMEDIATE") as txn:
            yield txn
    elif is_postgres_db(db) and not db.in_transaction():
        with db.atomic() as txn:
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield txn
    else:
        with database.atomic() as txn:
            yield txn


def bulk_insert(model, columns: list[str], rows, chunk: int | None = 5000) -> int:
    """Insert many tuples fast: DB-API ``executemany`` on SQLite, COPY on PostgreSQL (Peewee's insert_many builds SQL too slowly).

    Values must already be database values (cents, epoch seconds, JSON text). ``chunk`` rows go to a
    statement; None: all of them in one (a list is then bound as it is, without copying).
    """
    db = database.obj
    table = model._meta.table_name
    if is_postgres_db(db):
        if chunk is None:
            rows = list(rows)
            chunk = max(1, len(rows))
        return _bulk_insert_postgres(db, table, columns, rows, chunk)
    param = db.param
    sql = f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) VALUES ({", ".join([param] * len(columns))})'
    if chunk is None or (isinstance(rows, list) and len(rows) <= chunk):
        if not isinstance(rows, list):
            rows = list(rows)
        if rows:
            db.cursor().executemany(sql, rows)
        return len(rows)
    count = 0
    cursor = db.cursor()
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    return count


def is_postgres_db(db) -> bool:
    from peewee import PostgresqlDatabase

    return isinstance(db, PostgresqlDatabase)



def _bulk_insert_postgres(db, table: str, columns: list[str], rows, chunk: int) -> int:
    """COPY ... FROM STDIN in pages of ``chunk`` rows: PostgreSQL's bulk path, no SQL parsed per row."""
    import io

    sql = f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN'
    cursor = db.cursor()
    count = 0
    buffer = io.StringIO()
    pending = 0
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
        pending += 1
        if pending >= chunk:
            count += _copy(cursor, sql, buffer, pending)
            buffer, pending = io.StringIO(), 0
    if pending:
        count += _copy(cursor, sql, buffer, pending)
    if count >= ANALYZE_FROM:
        _analyze_if_stale(db, table, count)
    return count


ANALYZE_FROM = 1000  # rows in one bulk insert that may leave the planner's statistics behind


def _analyze_if_stale(db, table: str, added: int) -> None:
    """ANALYZE a table when one bulk insert at least doubled what its statistics know.

    Freshly filled tables have none (autovacuum comes later), and the planner then
    takes thousands of rows for one: month-end's read of the invoices it just wrote
    went from seconds to milliseconds. Inside the transaction, ANALYZE counts its rows.
    """
    (known,) = db.execute_sql("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (f'"{table}"',)).fetchone()
    if known < added:
        db.execute_sql(f'ANALYZE "{table}"')


def _copy(cursor, sql: str, buffer, rows: int) -> int:
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)
    return rows


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    """One value in COPY's text format: \\N for NULL, t/f for booleans, special characters escaped."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    return str(value).translate(_COPY_ESCAPES)
