"""How long `wwwtrak customer import` takes for 100,000 rows, beside 100,000 `customer add` calls.

Run by hand:  python bench/bench_customer_import.py [--rows N] [--adds M] [--dir DIR]
Builds a demo sandbox with the demo's plans and no customers, writes N rows
from the demo's customer generator to a CSV (the columns of customer add plus
status and close_date, as export customers writes them), then times, each in
a child process: the import with --dry-run, the import itself, and M calls of
`customer add`, extrapolated to N. The issue's target: 100,000 rows import in
seconds.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def run(env: dict, args: list[str]) -> None:
    """Run the command in a child process; stop with its error if it fails."""
    child = subprocess.run([sys.executable, "-m", "wwwtrak", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])}: exit status {child.returncode}: {child.stderr.decode()[:2000]}")


def timed(env: dict, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the command in a child process."""
    cpu, start = _children_cpu(), time.perf_counter()
    run(env, args)
    return time.perf_counter() - start, _children_cpu() - cpu


def generate(db_path: Path, rows: int, seed: int) -> list[dict]:
    """``rows`` customer forms from the demo's generator, against the sandbox's plans and logins."""
    from wwwtrak import db, demo_data

    db.open_database(str(db_path))
    try:
        return list(demo_data.customer_forms(rows, seed))
    finally:
        db.close_database()


def write_csv(forms: list[dict], path: Path) -> None:
    from wwwtrak.customer_import import FORM_COLUMNS

    columns = [*FORM_COLUMNS, "status", "close_date"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for form in forms:
            w.writerow([" ".join(form[c]) if isinstance(form[c], list) else ("" if form[c] is None else form[c]) for c in columns])


def add_args(form: dict) -> list[str]:
    args = ["customer", "add"]
    for field in ("type", "name", "company", "contact", "address", "city", "state", "postal_code", "country", "phone", "email",
                  "billing_category", "payment_terms", "pc_type", "source", "plan", "remote_host", "start_date", "tax_exempt"):
        if form[field]:
            args += [f"--{field.replace('_', '-')}", form[field]]
    for tag in form["tags"]:
        args += ["--tag", tag]
    for login in form["logins"]:
        args += ["--login", login]
    if form["status"] == "suspended":
        args += ["--status", "suspended"]
    return args


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--adds", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None, help="a new or empty folder for the sandbox")
    a = parser.parse_args()
    folder = a.dir or Path(tempfile.mkdtemp(prefix="wwwtrak-bench-import-"))
    env = {**os.environ, "WWWTRAK_DB": str(folder / "wwwtrak.db"), "WWWTRAK_CREDENTIALS": str(folder / "credentials")}
    env.pop("WWWTRAK_NOW", None)
    subprocess.run([sys.executable, "-m", "wwwtrak", "demo", "--customers", "0", "--dir", str(folder)], env=env, capture_output=True, check=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time grows with it; CPU time less)")

    start = time.perf_counter()
    forms = generate(folder / "wwwtrak.db", a.rows, seed=7)
    path = folder / "customers.csv"
    write_csv(forms, path)
    print(f"generated {a.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")

    wall, cpu = timed(env, ["customer", "import", str(path), "--dry-run"])
    print(f"customer import --dry-run  {a.rows:>7,} rows  wall {wall:6.2f} s  cpu {cpu:6.2f} s")
    wall, cpu = timed(env, ["customer", "import", str(path)])
    print(f"customer import            {a.rows:>7,} rows  wall {wall:6.2f} s  cpu {cpu:6.2f} s  ({a.rows / wall:,.0f} rows/s)")
    import_wall = wall

    more = generate(folder / "wwwtrak.db", a.adds, seed=8)  # logins the import left free
    cpu = _children_cpu()
    start = time.perf_counter()
    for form in more:
        run(env, add_args(form))
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    each = wall / a.adds
    print(f"customer add x {a.adds:<11,} wall {wall:6.2f} s  cpu {cpu:6.2f} s  ({each * 1000:.0f} ms a call)")
    total = each * a.rows
    print(f"customer add x {a.rows:,} (extrapolated): {total:,.0f} s = {total / 3600:.1f} h, {total / import_wall:,.0f} times the import")


if __name__ == "__main__":
    main()
