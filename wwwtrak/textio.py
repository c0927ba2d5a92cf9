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


def read_bytes(path: str) -> tuple[str, bytes]:
    """(display name, whole content) of a file or stdin, gunzipped."""
    name, f = open_binary(path)
    try:
        return name, f.read()
    except (OSError, EOFError) as e:
        raise InvalidInput(f"{name}: cannot read: {e}") from None
    finally:
        if path != "-":
            f.close()


def decode(name: str, data: bytes) -> str:
    """UTF-8 text (a byte-order mark dropped), refusing what is not text."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InvalidInput(f"{name}:{line}: not UTF-8 text (byte {e.start})") from None


def read_text(path: str) -> tuple[str, str]:
    """(display name, whole text) of a UTF-8 file, refusing what is not text."""
    name, data = read_bytes(path)
    return name, decode(name, data)
