"""What the benchmarks share: running a script again as a child that measures one side.

Each side of a comparison runs in a process of its own, so that its peak RSS is its own; the
child prints one JSON line last, which ``run_child`` returns.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any


def peak_rss() -> int:
    """This process's peak resident memory in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_child(
    script: str, args: list[str], *, limit_bytes: int | None = None, check: bool = True
) -> dict[str, Any]:
    """``script args`` in a new interpreter; its last JSON line. ``limit_bytes`` caps the
    child's address space; with ``check`` off a child that prints nothing is reported as
    ``{"failed": returncode, "stderr": ...}`` instead of raised."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    done = subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        check=check,
        preexec_fn=limit if limit_bytes is not None else None,  # only in the child
    )
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"failed": done.returncode, "stderr": done.stderr.strip()[-300:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result
