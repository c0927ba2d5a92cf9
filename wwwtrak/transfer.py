"""Copying a whole database: backup to a portable file, restore, and migrate-to another backend.

A backup is gzip-compressed JSON lines: a header with the schema version, then
for every table (referenced tables first) a line naming its columns and one
line per row. Values go through each field's own conversion, so a backup made
on SQLite restores on PostgreSQL and back, cents and timestamps unchanged.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from peewee import sort_models

from wwwtrak import db, migrations, models
from wwwtrak.errors import Conflict, InvalidInput

FORMAT = "wwwtrak-backup"


def all_models() -> list:
    """Every table's model, referenced tables before the tables that reference them."""
    found = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, models.BaseModel) and m is not models.BaseModel]
    return sort_models(found)


def _present_models(database) -> list:
    tables = set(database.get_tables())
    return [m for m in all_models() if m._meta.table_name in tables]


def _columns(model) -> list:
    return list(model._meta.sorted_fields)


def _to_json(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _read_rows(database, model) -> Iterator[list]:
    """Rows of a table as plain values (what the field stores), streamed in primary-key order."""
    fields = _columns(model)
    cols = ", ".join(f'"{f.column_name}"' for f in fields)
    pk = model._meta.primary_key
    order = f' ORDER BY "{pk.column_name}"' if pk else ""
    cursor = database.execute_sql(f'SELECT {cols} FROM "{model._meta.table_name}"{order}')
    while True:
        batch = cursor.fetchmany(5000)
        if not batch:
            return
        for raw in batch:
            yield [_to_json(f.db_value(f.python_value(v))) if v is not None else None for f, v in zip(fields, raw)]


def _converted(model, rows) -> Iterator[tuple]:
    fields = _columns(model)
    for row in rows:
        yield tuple(None if v is None else f.db_value(f.python_value(v)) for f, v in zip(fields, row))


def _reset_sequences(database) -> None:
    from peewee import AutoField, PostgresqlDatabase

    if not isinstance(database, PostgresqlDatabase):
        return
    for model in all_models():
        pk = model._meta.primary_key
        if isinstance(pk, AutoField):
            t, c = model._meta.table_name, pk.column_name
            database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{t}\"', '{c}'), COALESCE((SELECT MAX(\"{c}\") FROM \"{t}\"), 0) + 1, false)"
            )


def _require_empty(url: str) -> None:
    if db.database.get_tables():
        raise Conflict(f"{db.describe(url)} is not empty; restore and migrate-to need an empty database")


def backup(path: str) -> dict[str, int]:
    """Write the open database to ``path``; returns the row count per table."""
    counts: dict[str, int] = {}
    source = db.database.obj
    present = _present_models(source)
    tmp = Path(path + ".partial")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)  # it holds customer data
    with db.atomic():  # one consistent snapshot
        with os.fdopen(fd, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as f:
            f.write(json.dumps({"format": FORMAT, "schema_version": migrations.current_version()}) + "\n")
            for model in present:
                name = model._meta.table_name
                f.write(json.dumps({"table": name, "columns": [c.column_name for c in _columns(model)]}) + "\n")
                n = 0
                for row in _read_rows(source, model):
                    f.write(json.dumps(row, separators=(",", ":")) + "\n")
                    n += 1
                counts[name] = n
    tmp.replace(path)
    return counts


def _read_backup(path: str):
    try:
        f = gzip.open(path, "rt", encoding="utf-8")
        header = json.loads(f.readline())
    except (OSError, ValueError, EOFError) as e:
        raise InvalidInput(f"{path}: not a wwwtrak backup ({e})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidInput(f"{path}: not a wwwtrak backup")
    return f, int(header["schema_version"])


def restore(url: str, path: str, authorize=None) -> dict[str, int]:
    """Load a backup into the empty database at ``url``, upgrading it to this version's schema.

    ``authorize`` runs inside the transaction after the rows are loaded (the
    operators come from the backup); if it raises, nothing is restored.
    """
    f, version = _read_backup(path)
    if version > migrations.LATEST:
        raise InvalidInput(f"{path}: schema version {version} is newer than this wwwtrak knows ({migrations.LATEST})")
    db.open_database(url, create=True)
    _require_empty(url)
    by_table = {m._meta.table_name: m for m in all_models()}
    counts: dict[str, int] = {}
    with db.atomic():
        migrations.upgrade(version)
        models.Setting.delete().execute()  # the backup carries the settings, schema version included
        model, batch, line_no = None, [], 1
        for line in f:
            line_no += 1
            item = json.loads(line)
            if isinstance(item, dict):
                if model is not None:
                    counts[model._meta.table_name] += db.bulk_insert(model, [c.column_name for c in _columns(model)], _converted(model, batch))
                model = by_table.get(item["table"])
                if model is None or item["columns"] != [c.column_name for c in _columns(model)]:
                    raise InvalidInput(f"{path}:{line_no}: table {item['table']!r} does not match this wwwtrak's schema")
                counts[model._meta.table_name] = 0
                batch = []
            else:
                batch.append(item)
                if len(batch) >= 5000:
                    counts[model._meta.table_name] += db.bulk_insert(model, [c.column_name for c in _columns(model)], _converted(model, batch))
                    batch = []
        if model is not None and batch:
            counts[model._meta.table_name] += db.bulk_insert(model, [c.column_name for c in _columns(model)], _converted(model, batch))
        _reset_sequences(db.database.obj)
        migrations.upgrade()
        if authorize is not None:
            authorize()
    return counts


def migrate_to(source_url: str, target_url: str) -> dict[str, int]:
    """Copy the database at ``source_url`` (already open) into the empty one at ``target_url``."""
    source = db.database.obj
    version = migrations.current_version()
    present = _present_models(source)
    target = db.open_database(target_url, create=True)
    try:
        _require_empty(target_url)
        counts: dict[str, int] = {}
        with db.atomic():
            migrations.upgrade(version)
            models.Setting.delete().execute()  # copied from the source, schema version included
            for model in present:
                cols = [c.column_name for c in _columns(model)]
                counts[model._meta.table_name] = db.bulk_insert(model, cols, _converted(model, _read_rows(source, model)))
            _reset_sequences(target)
    finally:
        target.close()
        db.database.initialize(source)
    return counts
