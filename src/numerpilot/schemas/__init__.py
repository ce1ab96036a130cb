"""The JSON contract every ``--json`` document follows, for the CLI and the MCP server alike.

One object per document: its ``kind`` names it, ``schema_version`` is the contract's version
(adding a key keeps it; renaming or removing one, or changing a type, bumps it). NaN becomes
null, amounts (Decimal) decimal strings, paths and times strings. Errors are documents of kind
``error``. Kept light (no pydantic): the CLI imports it at start-up. The models and published
JSON Schema files are in ``documents`` and ``files``, whose names this face loads on first use
(PEP 562).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numerpilot.errors import ExitCode, NumerpilotError, SubmissionRejected
from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.schemas.documents import DOCUMENTS
    from numerpilot.schemas.files import SCHEMA_DIR, published, schema_text, write_schemas

SCHEMA_VERSION = 1

# Names of the heavier modules (pydantic) -> the module defining them.
_WHERE = {
    "DOCUMENTS": "documents",
    "SCHEMA_DIR": "files",
    "published": "files",
    "schema_text": "files",
    "write_schemas": "files",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _plain(value.item())
    return value


def json_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's shape: one object with its ``kind`` and ``schema_version`` first, then
    the document, made plain."""
    if not isinstance(document, Mapping) or not isinstance(document.get("kind"), str):
        raise TypeError("a --json document is one dict with a 'kind' naming it")
    body = {k: v for k, v in document.items() if k != "kind"}
    plain: dict[str, Any] = _plain(
        {"kind": document["kind"], "schema_version": SCHEMA_VERSION, **body}
    )
    return plain


# What to do about each exit code: the hint every error carries, and the table README.md and
# the skill file explain. One line each.
HINTS: dict[ExitCode, str] = {
    ExitCode.OK: "nothing to do",
    ExitCode.FAILURE: "a bug: run again with --debug for the traceback and report it",
    ExitCode.CONFIG: "fix the named setting in numerpilot.toml ('numerpilot doctor' checks all)",
    ExitCode.CREDENTIALS: "set NUMERAI_PUBLIC_ID and NUMERAI_SECRET_KEY, or run 'numerpilot init "
    "--public-id ...'; a credentials file must be mode 600",
    ExitCode.DATA: "get the named file: 'numerpilot data download' (or 'data synth' to "
    "rehearse) for datasets, 'numerpilot train' for a model",
    ExitCode.TOURNAMENT: "the tournament refused the request; the message says why: fix that "
    "rather than retry",
    ExitCode.TRANSIENT: "retry later (from a scheduler: the next 'run --once' retries)",
    ExitCode.REJECTED: "nothing was uploaded: fix the predictions or the model the check names",
    ExitCode.BLOCKED: "fix what the failed check names, then run 'numerpilot doctor' again",
    ExitCode.ROUND_CLOSED: "wait for the next round; the message says when it opens",
    ExitCode.STORAGE: "free disk space or fix permissions at the named path, then retry",
    ExitCode.USAGE: "see 'numerpilot COMMAND --help'",
    ExitCode.INTERRUPTED: "run the same command again: finished work is kept",
}


def error_document(exit_code: ExitCode, message: str, **extra: Any) -> dict[str, Any]:
    """``{"kind": "error", "error": {code, exit_code, message, hint}}``."""
    body = {
        "code": exit_code.name.lower(),
        "exit_code": int(exit_code),
        "message": message,
        "hint": HINTS[exit_code],
        **extra,
    }
    return {"kind": "error", "error": body}


def numerpilot_error_document(e: NumerpilotError) -> dict[str, Any]:
    extra = {"reason": e.reason} if isinstance(e, SubmissionRejected) else {}
    return error_document(e.exit_code, str(e), **extra)


__all__ = [
    "DOCUMENTS",
    "HINTS",
    "SCHEMA_DIR",
    "SCHEMA_VERSION",
    "error_document",
    "json_document",
    "numerpilot_error_document",
    "published",
    "schema_text",
    "write_schemas",
]
