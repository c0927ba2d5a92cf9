"""How long `wwwtrak customer list` takes over 100,000 customers, and how much memory it holds.

Run by hand:  python bench/customer_list.py [--customers N] [--dir DIR]
Builds a demo sandbox with N customers (or reuses DIR/wwwtrak.db), then runs
the real command in a child process for each format and a few searches,
printing wall time and the child's peak RSS. The issue's target: a list of
100,000 customers prints in well under a few seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [
    ("table", ["customer", "list"]),
    ("csv", ["customer", "list", "--format", "csv"]),
    ("json", ["customer", "list", "--format", "json"]),
    ("search name", ["customer", "list", "--search", "smith", "--format", "csv"]),
    ("search phone", ["customer", "list", "--search", "(312) 555-0150", "--format", "csv"]),
    ("search login", ["customer", "list", "--search", "jsmith12", "--format", "csv"]),
    ("closed commercial", ["customer", "list", "--type", "commercial", "--status", "closed", "--format", "csv"]),
]


def run(env: dict, args: list[str]) -> tuple[float, float, int, float]:
    """(wall seconds, CPU seconds, lines printed, peak RSS in MB) of the command in a child process."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "wwwtrak", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: child.stdout.read(1 << 16), b""))
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(args)}: exit status {status >> 8}")
    return seconds, usage.ru_utime + usage.ru_stime, lines, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="sandbox folder (reused if it holds a database)")
    a = parser.parse_args()
    folder = a.dir or Path(tempfile.mkdtemp(prefix="wwwtrak-bench-"))
    env = {**os.environ, "WWWTRAK_DB": str(folder / "wwwtrak.db"), "WWWTRAK_CREDENTIALS": str(folder / "credentials")}
    if not (folder / "wwwtrak.db").exists():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wwwtrak", "demo", "--customers", str(a.customers), "--dir", str(folder)],
                       env=env, capture_output=True, check=True)
        print(f"demo with {a.customers:,} customers: {time.perf_counter() - start:.1f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time grows with it; CPU time less)")
    for name, args in [("whoami (start-up)", ["whoami"]), *CASES]:
        wall, cpu, lines, peak = run(env, args)
        print(f"{name:<20} wall {wall:5.2f} s  cpu {cpu:5.2f} s  {lines:>7,} lines  peak RSS {peak:4.0f} MB")


if __name__ == "__main__":
    main()
