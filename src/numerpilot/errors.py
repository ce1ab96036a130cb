"""One error hierarchy, each type tied to what the caller does about it.

The CLI maps each type to an exit code and one clear line; ``--debug`` shows the traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # an unexpected error: a bug, reported with --debug for the traceback
    CONFIG = 2
    CREDENTIALS = 3
    DATA = 4
    TOURNAMENT = 5
    TRANSIENT = 6
    REJECTED = 7
    BLOCKED = 8  # a check (doctor, preflight) found something that blocks running
    ROUND_CLOSED = 9  # no round is open to submit to now; the message says when the next opens
    STORAGE = 10  # the disk is full or a path cannot be written; the message names both
    USAGE = 64  # the command line itself is wrong (BSD sysexits' EX_USAGE)
    INTERRUPTED = 130  # Ctrl-C or SIGINT: whatever was written is complete or discarded


class NumerpilotError(Exception):
    """Base of every error numerpilot raises on purpose."""

    exit_code: ExitCode = ExitCode.FAILURE


class ConfigError(NumerpilotError):
    """The configuration is wrong: a person must fix the named setting."""

    exit_code = ExitCode.CONFIG


class CredentialsError(NumerpilotError):
    """Credentials are missing, unreadable, too open or refused: a person must act."""

    exit_code = ExitCode.CREDENTIALS


class DataError(NumerpilotError):
    """A data file or column is missing or bad. The message names the file and column."""

    exit_code = ExitCode.DATA

    def __init__(self, message: str, *, path: str | None = None, column: str | None = None):
        parts = [message]
        if path is not None and path not in message:
            parts.append(f"(file: {path})")
        if column is not None and column not in message:
            parts.append(f"(column: {column})")
        super().__init__(" ".join(parts))
        self.path = path
        self.column = column


class TournamentError(NumerpilotError):
    """The tournament refused or failed a request: stop this step."""

    exit_code = ExitCode.TOURNAMENT


class TransientTournamentError(TournamentError):
    """A failure worth retrying with backoff: 5xx, timeouts, connection resets."""

    exit_code = ExitCode.TRANSIENT


class SubmissionRejected(NumerpilotError):
    """Predictions failed a check; nothing was uploaded. ``reason`` is a stable code."""

    exit_code = ExitCode.REJECTED

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class RoundClosed(TournamentError):
    """No round is open for submissions now. The message says when the next one opens."""

    exit_code = ExitCode.ROUND_CLOSED


class StorageError(NumerpilotError):
    """A local write failed for lack of space or permission. Names the path and space needed."""

    exit_code = ExitCode.STORAGE

    def __init__(self, message: str, *, path: str, needed_bytes: int | None = None):
        super().__init__(message)
        self.path = path
        self.needed_bytes = needed_bytes


class CheckFailed(NumerpilotError):
    """A health check (doctor, preflight) found something that blocks running."""

    exit_code = ExitCode.BLOCKED


def short(error: BaseException, limit: int = 160) -> str:
    """An exception's message on one line, cut to ``limit`` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "CheckFailed",
    "ConfigError",
    "CredentialsError",
    "DataError",
    "ExitCode",
    "NumerpilotError",
    "RoundClosed",
    "StorageError",
    "SubmissionRejected",
    "TournamentError",
    "TransientTournamentError",
    "short",
]
