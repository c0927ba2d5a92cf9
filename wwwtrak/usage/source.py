"""An input file being imported: its lines, its format, and (once read) its size and SHA-256."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import stat
from typing import BinaryIO, Iterator

from wwwtrak import textio
from wwwtrak.errors import InvalidInput
from wwwtrak.usage.records import normalize

FORMATS = ("detail", "radacct", "csv")
CHUNK = 1 << 20  # characters of text handed to a parser at a time


class _Hashing(io.RawIOBase):
    """Passes bytes through, counting and hashing them."""

    def __init__(self, inner: BinaryIO):
        self.inner = inner
        self.size = 0
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            # read1: what one read of the file gives, so a failure later on cannot take it away
            data = self.inner.read1(len(buffer))
        except EOFError:  # a truncated .gz ends here; a record it cut off mid-line is rejected
            data = b""
        n = len(data)
        buffer[:n] = data
        self.size += n
        self.sha256.update(data)
        return n


class Source:
    """One input: ``-`` is stdin; gzip is read transparently; text is UTF-8."""

    def __init__(self, path: str):
        self.path = path
        self.name, self._binary = textio.open_binary(path)
        self.disk_size = disk_size(path)
        self._hashing = _Hashing(self._binary)
        reader = io.BufferedReader(self._hashing, buffer_size=1 << 20)
        # surrogateescape: odd bytes survive into a rejects file unchanged
        self._text = io.TextIOWrapper(reader, encoding="utf-8-sig", errors="surrogateescape", newline=None)
        self._head = self._read(1 << 16)

    def _read(self, n: int) -> str:
        try:
            return self._text.read(n)
        except (OSError, EOFError) as e:
            raise InvalidInput(f"{self.name}: cannot read: {e}") from None

    def detect(self) -> str | None:
        """The format the first lines show, or None."""
        lines = [x for x in self._head.splitlines()[:20] if x.strip() and not x.startswith("#")]
        if not lines:
            return "detail"  # nothing to read: any format reads nothing
        first = lines[0]
        if "," in first:
            names = {normalize(n) for n in first.strip().split(",")}
            if names & {"acctsessionid", "acctuniqueid"}:
                return "radacct"
            if {"login", "sessionid", "start"} <= names:
                return "csv"
        if "=" in first or (len(lines) > 1 and "=" in lines[1]):
            return "detail"
        return None

    def chunks(self) -> Iterator[str]:
        """The whole text in chunks, the part read to detect the format included."""
        yield self._head
        while True:
            chunk = self._read(CHUNK)
            if not chunk:
                return
            yield chunk

    @property
    def size(self) -> int:
        """Bytes of content read so far (after gzip)."""
        return self._hashing.size

    @property
    def sha256(self) -> str:
        return self._hashing.sha256.hexdigest()

    def position(self) -> int:
        """Bytes of the file on disk read so far, for a progress bar."""
        if isinstance(self._binary, gzip.GzipFile):
            try:
                return self._binary.fileobj.tell()
            except (OSError, AttributeError, ValueError):
                return 0
        return self._hashing.size

    def close(self) -> None:
        if self.path != "-":
            self._binary.close()


def disk_size(path: str) -> int | None:
    """The size of a regular file, else None (stdin, a pipe, a FIFO)."""
    if path == "-":
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None
