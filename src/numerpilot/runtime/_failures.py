"""Turning a failed child's exit and traceback into a reason code and words a person reads.

A traceback's last exception can be long and escaped: a ``KeyError`` shows its message as a
repr, so pandas' "None of [Index([...])] are in the [columns]" arrives as one line with literal
``\\n`` and hundreds of feature names. The message keeps its first lines, as lines; the whole
text goes to the report's ``detail`` (shown with ``--json``).
"""

from __future__ import annotations

import ast
import re
import signal
from typing import Any

INVALID_OUTPUT_EXIT = 3  # harness.INVALID_OUTPUT_EXIT (the harness is never imported)
MESSAGE_LINES = 3
LINE_CHARS = 160
# The line that starts an exception in a traceback: ``Name: text`` or a bare ``Name``.
_EXCEPTION_START = re.compile(r"^[A-Za-z_][\w.]*(?::|$)")
# Exceptions whose str() is the repr of their argument.
_REPR_MESSAGES = ("KeyError",)


def exception_text(stderr: str) -> str:
    """The last exception of a traceback, unescaped where Python escaped it; or the last line
    when there is no traceback."""
    lines = stderr.rstrip().splitlines()
    start = None
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith((" ", "\t", "Traceback ")):  # the last frame ends here
            break
        if _EXCEPTION_START.match(lines[i]):
            start = i
    if start is None:
        found = [ln.strip() for ln in lines if ln.strip()]
        return found[-1] if found else ""
    text = "\n".join(lines[start:]).strip()
    name, sep, rest = text.partition(": ")
    if sep and name.rsplit(".", 1)[-1] in _REPR_MESSAGES and rest[:1] in "'\"":
        try:
            value = ast.literal_eval(rest)
        except (ValueError, SyntaxError):
            return text
        if isinstance(value, str):
            return f"{name}: {value}"
    return text


def first_lines(text: str, lines: int = MESSAGE_LINES) -> str:
    """At most ``lines`` lines of ``text``, each cut to a screen's width, saying what was left."""
    all_lines = [ln.rstrip() for ln in text.strip().splitlines() if ln.strip()]
    shown = [ln if len(ln) <= LINE_CHARS else ln[: LINE_CHARS - 3] + "..." for ln in all_lines]
    shown = shown[:lines]
    cut = len(all_lines) - len(shown)
    if cut > 0 or any(len(ln) > LINE_CHARS for ln in all_lines[:lines]):
        more = f"{cut} more line{'s' if cut != 1 else ''}, " if cut > 0 else ""
        shown.append(f"({more}the whole text is in 'detail' with --json)")
    return "\n".join(shown)


def classify_failure(
    returncode: int, stage: str, stderr: str, harness: dict[str, Any]
) -> tuple[str, str, str]:
    """(reason, message, detail) of a child that exited with ``returncode``."""
    error = exception_text(stderr)
    if returncode == INVALID_OUTPUT_EXIT:
        text = str(harness.get("error", error))
        return "invalid_output", text, text
    if returncode < 0:
        name = signal.Signals(-returncode).name
        message = (
            f"the process died of {name} during '{stage}' (a library or Python version "
            "mismatch does this)"
        )
        return "crashed", message, stderr.strip() or message
    if "MemoryError" in error:
        reason, lead = "out_of_memory", f"ran out of the address-space limit during '{stage}':"
    elif stage in ("load", "signature"):
        reason, lead = "load_failed", "pd.read_pickle / signature failed:"
    elif stage == "predict":
        reason, lead = "predict_failed", ""
    else:
        reason, lead = "runtime_error", f"during '{stage}':"
    message = first_lines(f"{lead} {error}".strip() if lead else error)
    return reason, message, _detail(stderr, error)


def _detail(stderr: str, error: str) -> str:
    """The last traceback's frames, then its exception unescaped."""
    lines = stderr.rstrip().splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("Traceback ")]
    if not starts:
        return error
    frames = [ln for ln in lines[starts[-1] :] if ln.startswith((" ", "\t", "Traceback "))]
    return "\n".join([*frames, error])


__all__ = ["INVALID_OUTPUT_EXIT", "classify_failure", "exception_text", "first_lines"]
