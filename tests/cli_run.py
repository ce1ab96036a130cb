"""Running the CLI in-process, as the tests of its commands do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from numerpilot.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``numerpilot ARGS``: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def modules_loaded_by(args: list[str]) -> tuple[set[str], str]:
    """``numerpilot ARGS`` in a fresh interpreter: the modules it had loaded when the command
    ended, and what the command printed."""
    code = (
        "import sys\n"
        "from numerpilot.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(eval(done.stderr.strip().splitlines()[-1])), done.stdout  # a list of names
