"""Numerai API credentials: found, checked, stored safely, never shown.

Order: ``NUMERAI_PUBLIC_ID`` / ``NUMERAI_SECRET_KEY`` from the environment, else
``~/.numerai/credentials.json`` (``{"public_id": ..., "secret_key": ...}``). A file that group
or others can read is refused. Secrets are redacted from every repr, log line and error.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from numerpilot.errors import CredentialsError

ENV_PUBLIC_ID = "NUMERAI_PUBLIC_ID"
ENV_SECRET_KEY = "NUMERAI_SECRET_KEY"
REDACTED = "***"


def default_credentials_path() -> Path:
    return Path.home() / ".numerai" / "credentials.json"


@dataclass(frozen=True)
class Credentials:
    public_id: str
    secret_key: str = field(repr=False)
    source: str = "environment"

    def __repr__(self) -> str:
        return (
            f"Credentials(public_id={_mask(self.public_id)!r}, secret_key={REDACTED!r}, "
            f"source={self.source!r})"
        )

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """The strings that must never appear in output."""
        return (self.secret_key, self.public_id)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


def _mask(public_id: str) -> str:
    return public_id[:4] + REDACTED if len(public_id) > 8 else REDACTED


def redact(text: str, secrets: tuple[str, ...] | list[str]) -> str:
    """``text`` with every occurrence of each secret replaced."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that removes secrets from messages and their arguments."""

    def __init__(self, secrets: tuple[str, ...] | list[str]):
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self._secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self._secrets
            )
            record.exc_info = None
        return True


def install_redaction(credentials: Credentials, logger: logging.Logger | None = None) -> None:
    """Redact these credentials on every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    redacting = RedactingFilter(credentials.secrets)
    for handler in target.handlers:
        handler.addFilter(redacting)
    target.addFilter(redacting)


def check_file_mode(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def _read_file(path: Path) -> Credentials:
    check_file_mode(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        # The parser's message may quote the file's content: keep only its position.
        where = f" at line {e.lineno}" if isinstance(e, json.JSONDecodeError) else ""
        raise CredentialsError(f"{path}: not readable JSON{where}") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{path}: expected an object with public_id and secret_key")
    public_id, secret_key = data.get("public_id"), data.get("secret_key")
    if not isinstance(public_id, str) or not isinstance(secret_key, str):
        raise CredentialsError(f"{path}: 'public_id' and 'secret_key' must both be strings")
    if not public_id or not secret_key:
        raise CredentialsError(f"{path}: 'public_id' and 'secret_key' must not be empty")
    return Credentials(public_id, secret_key, source=str(path))


def load_credentials(
    env: Mapping[str, str] | None = None, path: Path | None = None
) -> Credentials | None:
    """The credentials to use, or None when there are none anywhere."""
    env = os.environ if env is None else env
    public_id, secret_key = env.get(ENV_PUBLIC_ID, ""), env.get(ENV_SECRET_KEY, "")
    if public_id and secret_key:
        return Credentials(public_id, secret_key, source="environment")
    if public_id or secret_key:
        missing = ENV_SECRET_KEY if public_id else ENV_PUBLIC_ID
        raise CredentialsError(f"{missing} is not set; set both or neither")
    path = path or default_credentials_path()
    return _read_file(path) if path.exists() else None


def require_credentials(
    env: Mapping[str, str] | None = None, path: Path | None = None
) -> Credentials:
    credentials = load_credentials(env, path)
    if credentials is None:
        raise CredentialsError(
            f"no credentials: set {ENV_PUBLIC_ID} and {ENV_SECRET_KEY}, "
            "or run 'numerpilot init --public-id ...' to write "
            f"{path or default_credentials_path()}"
        )
    return credentials


def write_credentials(credentials: Credentials, path: Path | None = None) -> Path:
    """Write the credentials file atomically, readable by its owner only."""
    path = path or default_credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"public_id": credentials.public_id, "secret_key": credentials.secret_key})
    # mkstemp creates the file 0600 from the start: the secret is never readable by others.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


__all__ = [
    "Credentials",
    "RedactingFilter",
    "check_file_mode",
    "default_credentials_path",
    "install_redaction",
    "load_credentials",
    "redact",
    "require_credentials",
    "write_credentials",
]
