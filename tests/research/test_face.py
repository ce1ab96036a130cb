"""research's public face: every name in __all__ resolves, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import numerpilot.research as research


def test_every_public_name_resolves() -> None:
    for name in research.__all__:
        assert getattr(research, name).__name__ == name


def test_importing_the_face_loads_nothing_heavy() -> None:
    code = (
        "import sys, numerpilot.research\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not loaded & {"numpy", "pandas", "lightgbm", "dask", "distributed", "optuna"}
