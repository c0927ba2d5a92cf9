"""Turning accounting records into sessions: in batches, one transaction per file.

A session is known by its NAS, its session id and when it began: NASes reuse
session ids after a reboot. A record belongs to the stored session of its
(nas, session id) whose start agrees with the start the record implies (its
own start, or its time minus Acct-Session-Time) within ``TOLERANCE`` seconds
and that had not stopped before the record's session began; otherwise it
begins a new session. Merging follows rules that do not depend on the order
records arrive in:

- a known start (from a Start record or an SQL row) replaces an estimated one;
  of two known starts the earlier wins;
- a Stop's counters are final: the earliest Stop wins, and nothing after a Stop
  changes the session;
- before the Stop, the newest Interim-Update's running totals win; an older
  record never rolls them back.

Batches keep memory flat and the database busy: each batch loads the stored
sessions of its keys in one query, resolves in memory, then writes new
sessions with one ``executemany`` insert and changed ones with one update.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence, TextIO

from wwwtrak import audit, clock, instance
from wwwtrak.audit import Actor
from wwwtrak.db import atomic, bulk_insert, default_db_path, is_postgres_db
from wwwtrak.errors import InvalidInput
from wwwtrak.models import UsageImport, UsageSession, database
from wwwtrak.usage import detail, plaincsv, radacct
from wwwtrak.usage.pipeline import Feed
from wwwtrak.usage.records import INTERIM, NAS_RESTART, REJECT, START, STOP, BadHeader, Record, Reject
from wwwtrak.usage.source import FORMATS, Source, disk_size

PARSERS = {"detail": detail.parse, "radacct": radacct.parse, "csv": plaincsv.parse}
BATCH_SIZE = 5000
TOLERANCE = 300  # seconds a record's implied start may differ from its session's (delays, clock skew)

COUNTS = ("read", "imported", "updated", "duplicates", "skipped", "rejected", "unmatched")


@dataclass
class FileResult:
    """What became of one input's records."""

    file: str
    format: str
    import_id: int
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0
    unmatched: int = 0
    rejects_file: str | None = None

    @property
    def read(self) -> int:
        return self.imported + self.updated + self.duplicates + self.skipped + self.rejected

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in COUNTS}


@dataclass
class ImportResult:
    """The files of one ``usage import``; ``unmatched`` counts distinct sessions over all of them."""

    files: list[FileResult] = field(default_factory=list)
    unmatched: int = 0

    def totals(self) -> dict[str, int]:
        out = {k: sum(getattr(f, k) for f in self.files) for k in COUNTS}
        out["unmatched"] = self.unmatched
        return out


ProgressFn = Callable[[str, int, int], None]  # (file name, records read, bytes read) over the whole import


def input_size(paths: Sequence[str]) -> int | None:
    """Total bytes on disk of the inputs, or None when one is stdin or a pipe."""
    sizes = [disk_size(p) for p in paths]
    return None if any(s is None for s in sizes) else sum(sizes)


def import_files(actor: Actor, paths: Sequence[str], fmt: str = "auto", rejects: str | None = None,
                 login_attribute: str | None = None, progress: ProgressFn | None = None) -> ImportResult:
    """Import accounting files one by one, each in its own transaction with its UsageImport row.

    ``rejects`` is the file rejected records go to (``-`` for stdout); by default
    each input with rejects gets ``rejects/import-<id>.txt`` beside the database.
    """
    if fmt != "auto" and fmt not in FORMATS:
        raise InvalidInput(f"--from: {fmt!r} is not one of auto, {', '.join(FORMATS)}")
    paths = list(paths) or ["-"]
    zone = instance.zone()
    _check_inputs(paths, fmt, zone, login_attribute)
    sink = _Rejects(rejects)
    result = ImportResult()
    done = _Progress(progress)
    try:
        with _big_cache():
            for path in paths:
                source = Source(path)
                try:
                    kind = fmt if fmt != "auto" else source.detect()
                    if kind is None:
                        raise InvalidInput(f"{source.name}: cannot tell the format (detail, radacct or csv); name it with --from")
                    result.files.append(_import_one(actor, source, kind, zone, login_attribute, sink, done, result))
                finally:
                    source.close()
    finally:
        sink.close()
    return result


@contextmanager
def _big_cache():
    """A 64 MiB page cache while importing: index pages stay in memory instead of spilling."""
    db = database.obj
    if is_postgres_db(db):  # the server manages its own buffers
        yield
        return
    (before,) = db.execute_sql("PRAGMA cache_size").fetchone()
    db.execute_sql("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {int(before)}")


def _check_inputs(paths: list[str], fmt: str, zone, login_attribute: str | None) -> None:
    """Refuse a missing or unreadable file, or a regular file of unknown format or with a header its
    format cannot read, before importing anything."""
    if paths.count("-") > 1:
        raise InvalidInput("stdin ('-') can be read only once")
    for path in paths:
        if path == "-" or (disk_size(path) is None and os.path.exists(path)):
            continue  # stdin, a pipe or a FIFO: read once, when its turn comes
        source = Source(path)
        try:
            kind = fmt if fmt != "auto" else source.detect()
            if kind is None:
                raise InvalidInput(f"{source.name}: cannot tell the format (detail, radacct or csv); name it with --from")
            next(iter(PARSERS[kind](source.chunks(), zone=zone, login_attribute=login_attribute)), None)
        except BadHeader as e:
            raise InvalidInput(f"{source.name}: {e}") from None
        finally:
            source.close()


class _Progress:
    def __init__(self, report: ProgressFn | None):
        self.report = report
        self.records = 0
        self.bytes_before = 0  # of the files already done

    def __call__(self, name: str, records: int, position: int) -> None:
        if self.report is not None:
            self.report(name, self.records + records, self.bytes_before + position)


class _Rejects:
    """Where rejected records go: one named file for the whole import, or a default file per input."""

    def __init__(self, path: str | None):
        self.explicit = path
        self.out: TextIO | None = None
        if path == "-":
            self.out = sys.stdout
        elif path is not None:
            self.out = _private_text_file(Path(path))

    def writer(self, import_id: int) -> _RejectWriter:
        if self.explicit is not None:
            return _RejectWriter(lambda: self.out, "<stdout>" if self.explicit == "-" else self.explicit)
        path = _rejects_dir() / f"import-{import_id}.txt"
        return _RejectWriter(lambda: _private_text_file(path), str(path), owned=True)

    def close(self) -> None:
        if self.out is not None and self.explicit != "-":
            self.out.close()


class _RejectWriter:
    """Writes each rejected record verbatim after a ``# file:line: reason`` line; opens its file lazily."""

    def __init__(self, opener, path: str, owned: bool = False):
        self.opener, self.path, self.owned = opener, path, owned
        self.out: TextIO | None = None
        self.used = False

    def write(self, file_name: str, reject: Reject) -> None:
        if self.out is None:
            self.out = self.opener()
        self.used = True
        text = reject.text if reject.text.endswith("\n") else reject.text + "\n"
        self.out.write(f"# {file_name}:{reject.line}: {reject.reason}\n{text}")

    def close(self) -> None:
        if self.out is not None:
            if self.owned:
                self.out.close()
            else:
                self.out.flush()


def _rejects_dir() -> Path:
    """``rejects/`` beside a SQLite file; for PostgreSQL, in the user's data directory (not the working one)."""
    db = database.obj
    base = Path(default_db_path()) if is_postgres_db(db) else Path(db.database).expanduser().resolve()
    return base.parent / "rejects"


def _private_text_file(path: Path) -> TextIO:
    """A new or truncated text file readable by its owner only (rejects hold user names)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    except OSError as e:
        raise InvalidInput(f"{path}: cannot write the rejects file: {e.strerror}") from None
    return open(fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n")


def _import_one(actor: Actor, source: Source, fmt: str, zone, login_attribute, sink: _Rejects, done: _Progress,
                whole: ImportResult) -> FileResult:
    """One input in one transaction: its sessions and its UsageImport row, or nothing of it."""
    with atomic():
        row = UsageImport.create(file_name=source.name, size=0, sha256="", format=fmt, operator=actor.id, at=clock.now_utc())
        result = FileResult(source.name, fmt, row.id)
        rejects = sink.writer(row.id)
        try:
            feed = Feed(PARSERS[fmt], source, zone=zone, login_attribute=login_attribute)
            resolver = Resolver(row.id, result, {f.import_id for f in whole.files})
            resolver.run(feed, lambda item: rejects.write(source.name, item),
                         lambda n: done(source.name, n, feed.position()))
        except BadHeader as e:
            raise InvalidInput(f"{source.name}: {e}") from None
        except (OSError, EOFError) as e:
            raise InvalidInput(f"{source.name}: cannot read: {e}") from None
        finally:
            rejects.close()
        result.rejects_file = rejects.path if rejects.used else None
        UsageImport.update(size=feed.size, sha256=feed.sha256, rejects_file=result.rejects_file,
                           **result.counts()).where(UsageImport.id == row.id).execute()
        audit.record(actor, f"usage import {row.id}", {
            "file": [None, source.name], "format": [None, fmt], "sha256": [None, feed.sha256],
            **{k: [None, v] for k, v in result.counts().items()},
        }, command="usage import")
    done.records += result.read
    done.bytes_before += feed.position()
    whole.unmatched += resolver.new_unmatched
    return result


def import_records(actor: Actor, name: str, records: Iterable[Record]) -> FileResult:
    """Import records made in code (the demo) as one import, without a file."""
    with atomic():
        row = UsageImport.create(file_name=name, size=0, sha256="", format="generated", operator=actor.id, at=clock.now_utc())
        result = FileResult(name, "generated", row.id)
        Resolver(row.id, result).run(records, lambda item: None, lambda n: None)
        UsageImport.update(**result.counts()).where(UsageImport.id == row.id).execute()
        audit.record(actor, f"usage import {row.id}", {"file": [None, name], **{k: [None, v] for k, v in result.counts().items()}},
                     command="usage import")
    return result


# --- matching and merging -------------------------------------------------------------------------


class _Session:
    """A session while a batch is resolved: a stored one (``id`` set) or a new one."""

    __slots__ = ("id", "nas", "session_id", "login", "login_key", "customer", "start", "start_known",
                 "stop", "last", "seconds", "bytes_in", "bytes_out", "import_id", "dirty")


_COLUMNS = ["nas", "session_id", "login", "login_key", "customer_id", "start", "start_known", "stop",
            "last_event", "seconds", "bytes_in", "bytes_out", "usage_import_id"]
# One JSON array parameter instead of thousands of "?": no limit on variables, one statement per batch.
_SELECT = f"SELECT id, {', '.join(_COLUMNS)} FROM usage_session WHERE session_id IN (SELECT value FROM json_each(?))"
_LOGINS = 'SELECT "key", customer_id FROM login WHERE "key" IN (SELECT value FROM json_each(?))'
_UPDATE = ("UPDATE usage_session SET start = ?, start_known = ?, stop = ?, last_event = ?, seconds = ?, "
           "bytes_in = ?, bytes_out = ?, usage_import_id = ? WHERE id = ?")
_CLOSE = ("UPDATE usage_session SET stop = ?, seconds = MAX(seconds, ? - start), last_event = MAX(last_event, ?) "
          "WHERE nas = ? AND stop IS NULL AND start <= ?")


def _postgres(statement: str) -> str:
    """The same statement in PostgreSQL's dialect: %s parameters, its JSON array and GREATEST."""
    return (statement.replace("json_each(?)", "json_array_elements_text(?::json)")
            .replace("MAX(", "GREATEST(").replace("?", "%s"))


_STATEMENTS = {False: (_SELECT, _LOGINS, _UPDATE, _CLOSE), True: tuple(map(_postgres, (_SELECT, _LOGINS, _UPDATE, _CLOSE)))}

# PostgreSQL: a batch's changed sessions in one UPDATE ... FROM (VALUES ...) per 1,000 (executemany is a round trip a row).
_PG_UPDATE = ("UPDATE usage_session AS u SET start = v.start, start_known = v.start_known, stop = v.stop, "
              "last_event = v.last_event, seconds = v.seconds, bytes_in = v.bytes_in, bytes_out = v.bytes_out, "
              "usage_import_id = v.usage_import_id "
              "FROM (VALUES %s) AS v(start, start_known, stop, last_event, seconds, bytes_in, bytes_out, usage_import_id, id) "
              "WHERE u.id = v.id")
_PG_UPDATE_TEMPLATE = "(%s::bigint, %s::boolean, %s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::bigint, %s::integer, %s::integer)"


def _implied_start(r: Record) -> int | None:
    """When the record's session began, as far as the record itself tells."""
    if r.start is not None:
        return r.start
    if r.seconds is not None:
        return r.time - r.seconds
    return None


def _match(candidates: list[_Session], r: Record, began: int | None) -> _Session | None:
    """The stored session of the record's key that the record belongs to, or None (a new session)."""
    best, best_distance = None, 0
    for s in candidates:
        if began is not None:
            distance = abs(began - s.start)
            if distance > TOLERANCE or (s.stop is not None and began > s.stop):
                continue  # another session, or a reused id after that one stopped
        else:  # no start information (an Interim-Update without Acct-Session-Time): by time span
            if r.time < s.start - TOLERANCE or (s.stop is not None and r.time > s.stop):
                continue
            distance = abs(r.time - s.start)
        if best is None or distance < best_distance or (distance == best_distance and s.start > best.start):
            best, best_distance = s, distance
    return best


def _new_session(r: Record, began: int | None) -> _Session:
    s = _Session()
    s.id, s.dirty, s.customer = None, False, None
    s.nas, s.session_id, s.login, s.login_key = r.nas, r.session_id, r.login, r.login.casefold()
    s.start = r.start if r.start is not None else (began if began is not None else r.time)
    s.start_known = r.start is not None
    s.stop = r.time if r.kind == STOP else None
    s.last = r.time
    s.seconds = r.seconds if r.seconds is not None else max(0, r.time - s.start)
    s.bytes_in, s.bytes_out = r.bytes_in, r.bytes_out
    return s


def _merge(s: _Session, r: Record, began: int | None) -> bool:
    """Apply a record to its session; True when the session changed."""
    changed = False
    if r.start is not None and (not s.start_known or r.start < s.start):
        s.start, s.start_known, changed = r.start, True, True
    kind = r.kind
    if kind == START:
        return changed
    secs = r.seconds if r.seconds is not None else max(0, r.time - s.start)
    if kind == STOP:
        if not (s.stop is None or r.time < s.stop
                or (r.time == s.stop and (secs, r.bytes_in, r.bytes_out) > (s.seconds, s.bytes_in, s.bytes_out))):
            return changed
        s.stop = r.time
    elif s.stop is not None or (r.time, secs, r.bytes_in, r.bytes_out) <= (s.last, s.seconds, s.bytes_in, s.bytes_out):
        return changed  # after the Stop, or older than what is stored
    s.last, s.seconds, s.bytes_in, s.bytes_out = r.time, secs, r.bytes_in, r.bytes_out
    if not s.start_known and began is not None:
        s.start = began  # estimated from the record whose counters are kept
    return True


class Resolver:
    """Applies a stream of records to the stored sessions, counting each into ``result``."""

    def __init__(self, import_id: int, result: FileResult, earlier: set[int] = frozenset()):
        self.import_id = import_id
        self.result = result
        self.earlier = earlier  # imports of the same command, whose sessions are counted already
        self.new_unmatched = 0  # unmatched sessions none of those imports touched
        self.db = database.obj
        self.select_sql, self.logins_sql, self.update_sql, self.close_sql = _STATEMENTS[is_postgres_db(self.db)]
        self.owners: dict[str, int | None] = {}  # login key -> customer id, as looked up so far

    def run(self, items: Iterable[Record | Reject], reject: Callable[[Reject], None], progress: Callable[[int], None]) -> None:
        result = self.result
        batch: list[Record] = []
        seen = 0
        for item in items:
            kind = item.kind
            if kind == START or kind == STOP or kind == INTERIM:
                batch.append(item)
                if len(batch) >= BATCH_SIZE:
                    self._apply(batch)
                    seen += len(batch)
                    batch = []
                    progress(seen + result.skipped + result.rejected)
            elif kind == REJECT:
                result.rejected += 1
                reject(item)
            elif kind == NAS_RESTART:
                self._apply(batch)  # the records before it come first
                seen += len(batch)
                batch = []
                self._close_nas(item)
                result.skipped += 1
            else:
                result.skipped += 1
        self._apply(batch)
        progress(result.read)

    def _close_nas(self, r: Record) -> None:
        """Accounting-On/Off: the NAS restarted, so its open sessions ended then."""
        self.db.execute_sql(self.close_sql, (r.time, r.time, r.time, r.nas, r.time))

    def _apply(self, batch: list[Record]) -> None:
        if not batch:
            return
        result = self.result
        sessions = self._load({(r.nas, r.session_id) for r in batch})
        new: list[_Session] = []
        changed: list[_Session] = []
        for r in batch:
            key = (r.nas, r.session_id)
            candidates = sessions.get(key)
            began = _implied_start(r)
            s = _match(candidates, r, began) if candidates else None
            if s is None:
                s = _new_session(r, began)
                if candidates is None:
                    sessions[key] = [s]
                else:
                    candidates.append(s)
                new.append(s)
                result.imported += 1
            elif _merge(s, r, began):
                result.updated += 1
                if s.id is not None and not s.dirty:
                    s.dirty = True
                    changed.append(s)
                    if s.customer is None and s.import_id != self.import_id:  # first change by this import
                        result.unmatched += 1
                        self.new_unmatched += s.import_id not in self.earlier
            else:
                result.duplicates += 1
        self._insert(new)
        if changed:
            rows = [(s.start, s.start_known, s.stop, s.last, s.seconds, s.bytes_in, s.bytes_out, self.import_id, s.id)
                    for s in changed]
            if is_postgres_db(self.db):
                from psycopg2.extras import execute_values

                execute_values(self.db.cursor(), _PG_UPDATE, rows, template=_PG_UPDATE_TEMPLATE, page_size=1000)
            else:
                self.db.cursor().executemany(self.update_sql, rows)

    def _load(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[_Session]]:
        """The stored sessions of these keys, in one query."""
        out: dict[tuple[str, str], list[_Session]] = {}
        for row in self.db.execute_sql(self.select_sql, (json.dumps(list({sid for _nas, sid in keys})),)):
            key = (row[1], row[2])
            if key not in keys:
                continue
            s = _Session()
            (s.id, s.nas, s.session_id, s.login, s.login_key, s.customer, s.start, s.start_known,
             s.stop, s.last, s.seconds, s.bytes_in, s.bytes_out, s.import_id) = row
            s.start_known = bool(s.start_known)
            s.dirty = False
            out.setdefault(key, []).append(s)
        return out

    def _insert(self, new: list[_Session]) -> None:
        if not new:
            return
        customers = self._customers({s.login_key for s in new})
        rows = [
            (s.nas, s.session_id, s.login, s.login_key, customers.get(s.login_key), s.start, s.start_known, s.stop,
             s.last, s.seconds, s.bytes_in, s.bytes_out, self.import_id)
            for s in new
        ]
        unmatched = sum(1 for r in rows if r[4] is None)
        self.result.unmatched += unmatched
        self.new_unmatched += unmatched
        bulk_insert(UsageSession, _COLUMNS, rows)

    def _customers(self, keys: set[str]) -> dict[str, int | None]:
        """login key -> customer id (None: no customer holds it); logins repeat, so answers are kept."""
        owners = self.owners
        if len(owners) > 100_000:  # keep memory flat on a file with endless distinct logins
            owners.clear()
        unknown = [k for k in keys if k not in owners]
        if unknown:
            owners.update(dict.fromkeys(unknown))
            owners.update(self.db.execute_sql(self.logins_sql, (json.dumps(unknown),)).fetchall())
        return owners
