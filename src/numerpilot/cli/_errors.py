"""Errors as the CLI (and the MCP server) report them: exit code, stable code, message, hint.

Under ``--json`` an error is a JSON document on stdout like any other result, so a program
reads one document whatever happened; people also get one line on stderr.
"""

from __future__ import annotations

from typing import Any

from numerpilot.errors import ExitCode, NumerpilotError, SubmissionRejected

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
    ExitCode.TOURNAMENT: "the tournament refused the request; the message says why, nothing "
    "was retried",
    ExitCode.TRANSIENT: "retry later (from a scheduler: the next 'run --once' retries)",
    ExitCode.REJECTED: "nothing was uploaded: fix the predictions or the model the check names",
    ExitCode.BLOCKED: "fix what the failed check names, then run 'numerpilot doctor' again",
    ExitCode.ROUND_CLOSED: "wait for the next round; the message says when it opens",
    ExitCode.STORAGE: "free disk space or fix permissions at the named path, then retry",
    ExitCode.USAGE: "see 'numerpilot COMMAND --help'",
    ExitCode.INTERRUPTED: "run the same command again: finished work is kept",
}


def error_document(exit_code: ExitCode, message: str, **extra: Any) -> dict[str, Any]:
    """``{"kind": "error", "error": {code, exit_code, message, hint}}``, before print_json."""
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


__all__ = ["HINTS", "error_document", "numerpilot_error_document"]
