"""How fast, and in how much memory, does ``wwwtrak usage import`` read a big detail file?

    python bench/bench_usage_import.py              # 1,000,000 Stop records
    python bench/bench_usage_import.py -n 100000    # a quicker look
    python bench/bench_usage_import.py --db postgresql://postgres@127.0.0.1/bench   # an empty database

It writes a FreeRADIUS detail file of N Stop records (one session each), then
runs, each in its own process and in the same run:

- the bare loop: read the file line by line, split it into records and their
  ``Attribute = Value`` pairs, pick the session's fields, and insert the
  tuples with sqlite3 ``executemany`` in one transaction into a table with no
  index (with ``--db``: psycopg2 ``execute_values`` into such a table in that
  PostgreSQL database);
- ``wwwtrak usage import FILE`` (the real command, in a fresh database; with
  ``--db``, the given EMPTY PostgreSQL database, emptied again between runs).

It prints both rates (records per second, wall clock of the whole process),
their ratio (target: at least 0.5) and peak RSS (target for wwwtrak: under
200 MB whatever N; for a big file wwwtrak parses in a second process, and the
figure is the larger of the two). On a shared machine ``--repeat 3`` keeps
the best of three runs of each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = 1_790_000_000  # 2026-09-21 UTC
NASES = [f"10.{i // 256}.{i % 256}.1" for i in range(40)]


def generate(path: Path, n: int, seed: int = 1) -> None:
    """N Stop records the way FreeRADIUS 3 writes them, unknown attributes included."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            ts = START + i // 3
            secs = rnd.randint(30, 86_400)
            octets_in, octets_out = rnd.randint(0, 2**32 - 1), rnd.randint(0, 2**32 - 1)
            giga_out = 1 if i % 50 == 0 else 0
            f.write(
                f"{time.strftime('%a %b %d %H:%M:%S %Y', time.gmtime(ts))}\n"
                f'\tUser-Name = "user{i % 20000:05d}"\n'
                "\tAcct-Status-Type = Stop\n"
                f'\tAcct-Session-Id = "{i:08X}"\n'
                f"\tNAS-IP-Address = {NASES[i % len(NASES)]}\n"
                f"\tNAS-Port = {i % 4096}\n"
                "\tNAS-Port-Type = Ethernet\n"
                "\tService-Type = Framed-User\n"
                "\tFramed-Protocol = PPP\n"
                f"\tFramed-IP-Address = 100.64.{(i // 256) % 256}.{i % 256}\n"
                f"\tAcct-Session-Time = {secs}\n"
                f"\tAcct-Input-Octets = {octets_in}\n"
                f"\tAcct-Output-Octets = {octets_out}\n"
                "\tAcct-Input-Gigawords = 0\n"
                f"\tAcct-Output-Gigawords = {giga_out}\n"
                "\tAcct-Terminate-Cause = User-Request\n"
                "\tAcct-Delay-Time = 0\n"
                f"\tTimestamp = {ts}\n"
                "\n"
            )


def _bare_batches(path: str, size: int = 5000):
    """The yardstick's parsing: split into records, pick fields, yield lists of ``size`` session tuples."""
    rows, rec = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line == "\n":
                ts, secs = int(rec["Timestamp"]), int(rec["Acct-Session-Time"])
                rows.append((rec["NAS-IP-Address"], rec["Acct-Session-Id"].strip('"'), rec["User-Name"].strip('"'),
                             ts - secs, ts, secs,
                             int(rec["Acct-Input-Octets"]) + (int(rec["Acct-Input-Gigawords"]) << 32),
                             int(rec["Acct-Output-Octets"]) + (int(rec["Acct-Output-Gigawords"]) << 32)))
                rec = {}
                if len(rows) >= size:
                    yield rows
                    rows = []
            elif line[0] == "\t":
                name, _, value = line.partition("=")
                rec[name.strip()] = value.strip()
    yield rows


def bare(path: str, db: str) -> None:
    """The yardstick: split into records, pick fields, executemany tuples, one transaction."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("PRAGMA synchronous=normal")
    con.execute("CREATE TABLE session (nas TEXT, session_id TEXT, login TEXT, start INTEGER, stop INTEGER, "
                "seconds INTEGER, bytes_in INTEGER, bytes_out INTEGER)")
    sql = "INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    con.execute("BEGIN")
    for rows in _bare_batches(path):
        con.executemany(sql, rows)
    con.execute("COMMIT")
    con.close()


def bare_postgres(path: str, url: str) -> None:
    """The yardstick on PostgreSQL: the same loop, the tuples sent with execute_values pages of 1,000 rows."""
    import psycopg2
    from psycopg2.extras import execute_values

    con = psycopg2.connect(url)
    cur = con.cursor()
    cur.execute("CREATE TABLE bench_bare_session (nas TEXT, session_id TEXT, login TEXT, start BIGINT, stop BIGINT, "
                "seconds BIGINT, bytes_in BIGINT, bytes_out BIGINT)")
    sql = "INSERT INTO bench_bare_session VALUES %s"
    for rows in _bare_batches(path):
        execute_values(cur, sql, rows, page_size=1000)
    con.commit()
    con.close()


def _pg_tables(url: str) -> list[str]:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        cur = con.cursor()
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return [t for (t,) in cur.fetchall()]
    finally:
        con.close()


def _pg_empty(url: str) -> None:
    """Drop what this bench made in the database (it was empty when the bench began)."""
    import psycopg2

    con = psycopg2.connect(url)
    con.autocommit = True
    con.cursor().execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    con.close()


def _pg_count(url: str, table: str) -> int:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        cur = con.cursor()
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        return cur.fetchone()[0]
    finally:
        con.close()


def measure(cmd: list[str], env: dict) -> tuple[float, int, float, str]:
    """Run ``cmd`` under a helper that reports its wall time, peak RSS (the largest of its processes)
    and CPU time (all of its processes)."""
    helper = (
        "import os, subprocess, sys, time, json, resource\n"
        "t0 = time.perf_counter()\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
        "out, err = p.communicate()\n"
        "wall = time.perf_counter() - t0\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': wall, 'rss': ru.ru_maxrss * 1024, 'cpu': ru.ru_utime + ru.ru_stime,\n"
        "                  'rc': p.returncode, 'out': out, 'err': err}))\n"
    )
    p = subprocess.run([sys.executable, "-c", helper, *cmd], env=env, capture_output=True, text=True, check=True)
    r = json.loads(p.stdout)
    if r["rc"] != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r['err']}")
    return r["wall"], r["rss"], r["cpu"], r["out"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="Stop records in the file (default 1,000,000)")
    ap.add_argument("--dir", help="work folder (default: a new temporary folder, removed afterwards)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each, keeping the fastest (default 1)")
    ap.add_argument("--db", metavar="URL", help="an EMPTY PostgreSQL database to import into (postgresql://user@host/dbname); "
                                                "default: SQLite files in the work folder")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("-n must be at least 1")
    if args.db:
        if not args.db.lower().startswith(("postgresql://", "postgres://")):
            ap.error("--db: give a postgresql:// URL (the SQLite files go in --dir)")
        if _pg_tables(args.db):
            ap.error("--db: the database holds tables; give the bench an empty one (it empties it between runs)")
    if args.dir:
        work = Path(args.dir)
        work.mkdir(parents=True, exist_ok=True)
        _bench(work, args.n, args.repeat, args.db)
    else:
        with tempfile.TemporaryDirectory(prefix="wwwtrak-bench-") as d:
            _bench(Path(d), args.n, args.repeat, args.db)


def _fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def _bench(work: Path, n: int, repeat: int, url: str | None = None) -> None:
    detail = work / "detail"
    print(f"generating {n:,} Stop records ...", flush=True)
    generate(detail, n)
    size = detail.stat().st_size
    print(f"{detail}: {size / 1e6:,.1f} MB")

    db, bare_db = work / "wwwtrak.db", work / "bare.db"
    env = {**os.environ, "WWWTRAK_DB": url or str(db), "WWWTRAK_CREDENTIALS": str(work / "credentials")}
    env.pop("WWWTRAK_NOW", None)
    bare_runs, ours_runs = [], []
    print(f"backend: {'PostgreSQL' if url else 'SQLite'}")
    for _ in range(repeat):
        if url:
            _pg_empty(url)
            bare_runs.append(measure([sys.executable, __file__, "--bare-postgres", str(detail), url], env))
            assert _pg_count(url, "bench_bare_session") == n
            _pg_empty(url)
        else:
            _fresh(bare_db)
            bare_runs.append(measure([sys.executable, __file__, "--bare", str(detail), str(bare_db)], env))
            with sqlite3.connect(bare_db) as con:
                assert con.execute("SELECT COUNT(*) FROM session").fetchone()[0] == n
            _fresh(db)
        subprocess.run([sys.executable, "-m", "wwwtrak", "init", "--superuser", "bench"], env=env, check=True, capture_output=True)
        ours_runs.append(measure([sys.executable, "-m", "wwwtrak", "usage", "import", str(detail), "--format", "json"], env))
        summary = json.loads(ours_runs[-1][3])
        assert summary["imported"] == n and summary["read"] == n, summary
    bare_wall, bare_rss, bare_cpu, _ = min(bare_runs)
    ours_wall, ours_rss, ours_cpu, _ = min(ours_runs)

    bare_rate, ours_rate = n / bare_wall, n / ours_wall
    ratio = ours_rate / bare_rate
    print(f"bare loop     : {bare_rate:12,.0f} records/s  ({bare_wall:6.1f} s wall, {bare_cpu:6.1f} s CPU, peak RSS {bare_rss / 2**20:6.1f} MiB)")
    print(f"wwwtrak import: {ours_rate:12,.0f} records/s  ({ours_wall:6.1f} s wall, {ours_cpu:6.1f} s CPU, peak RSS {ours_rss / 2**20:6.1f} MiB)")
    print(f"ratio         : {ratio:.2f}  (target >= 0.5: {'ok' if ratio >= 0.5 else 'MISSED'}); "
          f"peak RSS target < 200 MB: {'ok' if ours_rss < 200e6 else 'MISSED'}")
    print(f"CPU per record: bare {bare_cpu / n * 1e6:.1f} us, wwwtrak {ours_cpu / n * 1e6:.1f} us; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a busy machine slows the two-process import most)")
    if url:
        print("PostgreSQL: CPU is the client processes' only; the server's work shows in the wall clock")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--bare":
        bare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "--bare-postgres":
        bare_postgres(sys.argv[2], sys.argv[3])
    else:
        main()
