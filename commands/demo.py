"""``wwwtrak demo``: a throwaway sandbox to try WWWTrak in, never the user's own database."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli


def demo(
    customers: Annotated[int, typer.Option("--customers", min=0, help="How many demo customers to generate.")] = 36,
    directory: Annotated[Optional[Path], typer.Option("--dir", help="Folder for the sandbox (default: a new temporary folder).")] = None,
) -> None:
    """Build a sandbox database with demo data and show it; prints how to keep exploring."""
    from wwwtrak.demo import build

    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="wwwtrak-demo-"))
    directory = directory.expanduser().resolve()
    db_path = directory / "wwwtrak.db"
    cred_path = directory / "credentials"
    from wwwtrak.errors import Conflict, InvalidInput

    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"--dir: {directory} is a file, not a folder")
    if directory.exists() and any(directory.iterdir()):
        raise Conflict(f"{directory} is not empty (a sandbox there exists already?); give --dir a new or empty folder")
    directory.mkdir(parents=True, exist_ok=True)
    # The sandbox has its own credentials: the user's default database and login stay untouched.
    report = build(str(db_path), cred_path, customers=customers)
    for section, body in report:
        _cli.out(f"== {section}")
        _cli.out(body)
        _cli.out()
    _cli.out(f"The sandbox is in {directory}. To keep exploring it:")
    _cli.out(f"  export WWWTRAK_DB={db_path}")
    _cli.out(f"  export WWWTRAK_CREDENTIALS={cred_path}")
    _cli.out("  wwwtrak --help")
