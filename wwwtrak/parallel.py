"""Spreading CPU-bound, read-only work over the cores: forked children, each on its own connection.

``customer import`` spends most of its time validating rows (phone numbers
above all), a pure function of the row and a few lookups. On a machine with
several cores a big list is cut into parts; forked children work on all but
the first and send their results back through a pipe, while this process
works on the first. The children only read the database, on connections of
their own: the parent's connection (perhaps inside its write transaction) is
never touched in a child, and a child leaves with ``os._exit`` so nothing of
the parent's is closed or flushed twice. Small lists, one core, or platforms
without ``fork`` run inline; the results are the same either way.
"""

from __future__ import annotations

import os
import pickle
import signal
import warnings
from typing import Callable, Sequence, TypeVar

from wwwtrak import db

T = TypeVar("T")
R = TypeVar("R")

PER_PROCESS = 20_000  # items a process must have to be worth forking for
MAX_PROCESSES = 8
_inherited: list = []  # the parent's connections, kept referenced in a child so they are never closed there


def processes_for(count: int) -> int:
    """How many processes (this one included) to spread ``count`` items over."""
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES, count // PER_PROCESS))


def map_chunks(work: Callable[[Sequence[T], Callable[[int], None] | None], list[R]], items: Sequence[T],
               advance: Callable[[int], None] | None = None) -> list[R]:
    """``work(part, advance)`` over consecutive parts of ``items``, the results concatenated in order.

    ``work`` must only read the database; in this process it is given ``advance`` (progress), in a
    child None (the child's items are reported when its results arrive).
    """
    n = processes_for(len(items))
    if n == 1:
        return work(items, advance)
    size = -(-len(items) // n)
    parts = [items[i:i + size] for i in range(0, len(items), size)]
    children = [(*_fork(work, part), len(part)) for part in parts[1:]]
    try:
        results = work(parts[0], advance)
        while children:
            pid, pipe, count = children.pop(0)
            results += _collect(pid, pipe)
            if advance is not None:
                advance(count)
    finally:
        for pid, pipe, _ in children:  # something failed first: stop the others
            pipe.close()
            _stop(pid)
    return results


def _fork(work, part) -> tuple[int, object]:
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():  # a progress bar's refresh thread is idle; the child never prints
        warnings.filterwarnings("ignore", message=".*multi-threaded.*fork", category=DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            with open(write_end, "wb") as out:
                try:
                    _reconnect()
                    message = ("ok", work(part, None))
                except BaseException as e:  # noqa: BLE001 - the parent decides what a failure means
                    message = ("error", e if _picklable(e) else RuntimeError(f"{type(e).__name__}: {e}"))
                pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, open(read_end, "rb")


def _reconnect() -> None:
    """A connection of the child's own, with the same settings; the inherited one is left alone."""
    obj = db.database.obj
    _inherited.append(obj._state.conn)
    obj._state.reset()
    obj.connect()


def _collect(pid: int, pipe) -> list:
    try:
        with pipe:
            try:
                status, value = pickle.load(pipe)
            except EOFError:
                raise RuntimeError("a worker process ended unexpectedly") from None
    finally:
        os.waitpid(pid, 0)
    if status == "error":
        raise value
    return value


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _picklable(e: BaseException) -> bool:
    try:
        pickle.dumps(e)
        return True
    except Exception:  # noqa: BLE001 - any failure means: send its text instead
        return False
