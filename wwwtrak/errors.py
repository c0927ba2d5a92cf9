"""Errors the core raises; the CLI turns each into one ``error:`` line and an exit code."""

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes of the command contract."""

    OK = 0
    ERROR = 1  # bad input, not found, conflict, failed check
    USAGE = 2  # wrong use of the command line
    AUTH = 3  # not logged in, bad credentials, permission denied


class WwwtrakError(Exception):
    """Base of every error the core raises on purpose."""

    exit_status = ExitStatus.ERROR


class InvalidInput(WwwtrakError):
    """A value given by the user is not acceptable."""


class NotFound(WwwtrakError):
    """The record named does not exist."""


class Conflict(WwwtrakError):
    """The change would clash with what is already stored."""


class AlreadyInitialised(Conflict):
    """The database is initialised already (perhaps by another init a moment ago)."""


class CheckFailed(WwwtrakError):
    """A consistency check found something wrong."""


class DatabaseError(WwwtrakError):
    """The database is missing, of the wrong version, or unusable."""


class AuthError(WwwtrakError):
    """Not logged in, bad credentials, or a disabled operator."""

    exit_status = ExitStatus.AUTH


class PermissionDenied(AuthError):
    """The operator's role does not allow the command."""


class Problems:
    """Collects one error line per bad field, so a command names every problem at once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def check(self, fn, *args):
        """Call ``fn(*args)``; on a refusal note its line and return None."""
        try:
            return fn(*args)
        except WwwtrakError as e:
            self.lines.append(str(e))
            return None

    def raise_any(self) -> None:
        if self.lines:
            raise InvalidInput("\n".join(self.lines))
