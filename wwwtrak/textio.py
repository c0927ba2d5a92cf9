"""Reading input files: ``-`` is stdin, ``.gz`` is read transparently."""

from __future__ import annotations

import gzip
import io
import sys
from typing import BinaryIO

from wwwtrak.errors import InvalidInput


def open_binary(path: str) -> tuple[str, BinaryIO]:
    """(display name, binary stream) for a path or ``-``; gzip detected by its magic bytes."""
    if path == "-":
        raw = sys.stdin.buffer
        name = "<stdin>"
    else:
        try:
            raw = open(path, "rb")
        except OSError as e:
            raise InvalidInput(f"{path}: cannot open: {e.strerror}") from None
        name = path
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return name, gzip.GzipFile(fileobj=buffered)  # type: ignore[return-value]
    return name, buffered


def read_text(path: str) -> tuple[str, str]:
    """(display name, whole text) of a UTF-8 file, refusing what is not text."""
    name, f = open_binary(path)
    try:
        data = f.read()
    except (OSError, EOFError) as e:
        raise InvalidInput(f"{name}: cannot read: {e}") from None
    try:
        return name, data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{name}: not UTF-8 text (byte {e.start})") from None
