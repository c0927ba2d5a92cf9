"""Numbered schema migrations, each an ``up()`` in plain Python.

Version N is reached by running ``up`` of every migration from the stored
version + 1 to N, in one transaction. A database newer than the code is refused.
"""

from __future__ import annotations

import importlib
import pkgutil

from wwwtrak.errors import DatabaseError


def _load():
    steps = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name[:4].isdigit():
            steps[int(info.name[:4])] = importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(steps.items()))


MIGRATIONS = _load()
LATEST = max(MIGRATIONS)


def current_version() -> int:
    from wwwtrak.db import get_setting
    from wwwtrak.models import database

    if not database.table_exists("setting"):
        return 0
    return int(get_setting("schema_version", "0"))


def upgrade(target: int = LATEST) -> list[int]:
    """Run the migrations up to ``target``; return the versions applied."""
    from wwwtrak.db import atomic, set_setting

    version = current_version()
    if version > LATEST:
        raise DatabaseError(
            f"the database has schema version {version}, newer than this wwwtrak "
            f"(which knows up to {LATEST}); upgrade wwwtrak"
        )
    applied = []
    with atomic():
        for number in range(version + 1, target + 1):
            MIGRATIONS[number].up()
            applied.append(number)
        if applied:
            set_setting("schema_version", str(target))
    return applied
