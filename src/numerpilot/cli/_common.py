"""What every command shares: the global options, settings, and how results are shown.

Results go to stdout (a rich table, or one JSON document with ``--json``); messages and
progress go to stderr, so ``--json`` output stays parseable.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from numerpilot.config import Settings, load_settings

# Output piped to a file or a log (cron, systemd) is not a terminal, and rich would then
# wrap tables at 80 columns; 120 keeps a model's row on one line. COLUMNS still decides.
PIPED_WIDTH = 120


def _console(*, stderr: bool) -> Console:
    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


out = _console(stderr=False)
err = _console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document for programs.")]


@dataclass
class CliState:
    project_dir: Path
    api_url: str | None
    debug: bool

    def settings(self) -> Settings:
        overrides: dict[str, dict[str, Any]] = {}
        if self.api_url:
            overrides["tournament"] = {"api_url": self.api_url}
        return load_settings(self.project_dir, **overrides)


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState), "the root callback sets the CLI state"
    return obj


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


def print_json(value: Any) -> None:
    """One JSON document on stdout (NaN becomes null, paths and dates strings)."""
    out.file.write(json.dumps(_plain(value), indent=None, sort_keys=False) + "\n")
    out.file.flush()


__all__ = ["CliState", "JsonOption", "err", "out", "print_json", "state"]
