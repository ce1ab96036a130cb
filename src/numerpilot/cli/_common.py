"""What every command shares: the global options, settings, and how results are shown.

Results go to stdout (a rich table, or one JSON document with ``--json``); messages and
progress go to stderr, so ``--json`` output stays parseable.

Nothing heavy is imported here: ``numerpilot --version`` and ``--help`` load this module, and
they must start in a blink. rich's console is made on first use, settings on first call.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from numerpilot.schemas import SCHEMA_VERSION, json_document

if TYPE_CHECKING:
    from rich.console import Console

    from numerpilot.config import Settings

# Output piped to a file or a log (cron, systemd) is not a terminal, and rich would then
# wrap tables at 80 columns; 120 keeps a model's row on one line. COLUMNS still decides.
PIPED_WIDTH = 120


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


class _LazyConsole:
    """A rich Console made on first use (importing rich costs a noticeable part of start-up).
    Attribute reads and writes and ``with`` go to the console itself."""

    def __init__(self, *, stderr: bool):
        object.__setattr__(self, "_stderr", stderr)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        if self._console is None:
            object.__setattr__(self, "_console", _console(stderr=self._stderr))
        console: Console | None = self._console
        assert console is not None
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __enter__(self) -> Console:
        return self._get().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._get().__exit__(*exc)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document for programs.")]


@dataclass
class CliState:
    project_dir: Path
    api_url: str | None
    debug: bool

    def settings(self) -> Settings:
        from numerpilot.config import load_settings

        overrides: dict[str, dict[str, Any]] = {}
        if self.api_url:
            overrides["tournament"] = {"api_url": self.api_url}
        return load_settings(self.project_dir, **overrides)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState), "the root callback sets the CLI state"
    return obj


class _Printed:
    """How many JSON documents this process printed: an error after a command's own document
    (doctor's failed checks) is not printed as a second one."""

    count = 0


def print_json(document: Mapping[str, Any]) -> None:
    """One JSON document on stdout: a dict with a ``kind`` (``schema_version`` is added).
    Written to sys.stdout itself: a program's JSON needs no rich (nor its import time)."""
    sys.stdout.write(json.dumps(json_document(document)) + "\n")
    sys.stdout.flush()
    _Printed.count += 1


def printed_json() -> int:
    return _Printed.count


def hint(message: str) -> None:
    """What comes next, one line on stderr (never on stdout, which --json keeps clean)."""
    err.print(f"[dim]next:[/] {message}", highlight=False)


__all__ = [
    "SCHEMA_VERSION",
    "CliState",
    "JsonOption",
    "err",
    "hint",
    "out",
    "print_json",
    "printed_json",
    "state",
]
