"""Session tables in CSV (radacct exports, our own layout): rows with their line numbers and text."""

from __future__ import annotations

import csv
from typing import Callable, Iterable, Iterator

from wwwtrak.usage.records import CUT_OFF, INTERIM, STOP, BadHeader, Malformed, Record, Reject, bounded, iter_lines, name_text, normalize


class _Tap:
    """Lines handed to the csv module, remembering those of the current row."""

    def __init__(self, lines: Iterable[str]):
        self._it = iter(lines)
        self.taken: list[str] = []
        self.number = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.taken.append(line)
        self.number += 1
        return line


def csv_rows(chunks: Iterable[str]) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """(first line, verbatim text, fields or None, error or None) for each row; blank lines are not rows."""
    tap = _Tap(iter_lines(chunks))
    reader = csv.reader(tap)
    while True:
        try:
            fields = next(reader)
            error = None
        except StopIteration:
            return
        except csv.Error as e:
            fields, error = None, f"not CSV: {e}"
            reader = csv.reader(tap)
        text = "".join(tap.taken)
        first = tap.number - len(tap.taken) + 1
        tap.taken = []
        if error is None and not text.endswith("\n"):
            error = CUT_OFF
        if error is None and not any(f.strip() for f in fields):
            continue
        yield first, text, fields, error


def column_map(header: list[str]) -> dict[str, int]:
    """Normalized column name -> index."""
    return {normalize(name): i for i, name in enumerate(header)}


def session_record(first: int, login: str, login_name: str, session_id: str, nas: str, start: int | None,
                   stop: int | None, updated: int | None, secs: int | None, bytes_in: int, bytes_out: int) -> Record:
    """The record of one row of a session table: a Stop when it has a stop time, else an Interim-Update."""
    if not login:
        raise Malformed(f"no {login_name}")
    if not session_id:
        raise Malformed("no session id")
    name_text(login, login_name)
    name_text(session_id, "session id")
    name_text(nas, "nas")
    if start is not None and stop is not None and stop < start:
        raise Malformed("stop before start")
    time = stop if stop is not None else (updated if updated is not None else start)
    if time is None:
        raise Malformed("no start, stop or update time")
    if start is None and secs is not None and secs > time:
        raise Malformed(f"session time {secs} would start the session before 1970")
    return bounded(Record(first, STOP if stop is not None else INTERIM, nas, session_id, login, time, start, secs, bytes_in, bytes_out))


def table_rows(chunks: Iterable[str], required: list[str], kind_of_file: str) -> Iterator[tuple[int, str, dict[str, str] | None, str | None]]:
    """Rows of a CSV file with a header, as {normalized column: value}; the header must name ``required``."""
    rows = csv_rows(chunks)
    header = next(rows, None)
    if header is None:
        return
    names = header[2] or []
    columns = column_map(names)
    missing = [c for c in required if normalize(c) not in columns]
    if missing:
        raise BadHeader(f"line {header[0]}: not a {kind_of_file} header: missing {', '.join(missing)}")
    width = len(names)
    keys = list(columns)
    for first, text, fields, error in rows:
        if error is None and len(fields) != width:
            error = f"{len(fields)} fields where the header has {width}"
        if error is not None:
            yield first, text, None, error
        else:
            yield first, text, {k: fields[i] for k, i in zip(keys, columns.values())}, None


def table_records(chunks: Iterable[str], required: list[str], kind_of_file: str,
                  build: Callable[[int, dict[str, str]], Record]) -> Iterator[Record | Reject]:
    """One record per row made by ``build(first line, row)``, or a Reject saying why not."""
    for first, text, row, error in table_rows(chunks, required, kind_of_file):
        if error is None:
            try:
                yield build(first, row)
                continue
            except Malformed as e:
                error = str(e)
        yield Reject(first, error, text)
