"""Running the CLI in-process, as the tests of its commands do."""

from __future__ import annotations

import pytest

from numerpilot.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``numerpilot ARGS``: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(args)
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err
