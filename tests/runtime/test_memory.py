"""Pre-flight reports the pickle's own peak memory, not its caller's.

The kernel's ru_maxrss of a child starts from the peak of the process that spawned it, so a
caller that had grown past 4 GiB (``numerpilot run`` trains, then builds and pre-flights the
pickle in one process) once got ``out_of_memory`` for a pickle using a fraction of that."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from numerpilot.runtime import PortableModel, write_portable_pickle
from tests.runtime.conftest import LiveFiles

pytestmark = pytest.mark.slow

GROWN = int(4.5 * 2**30)
# A parent that first grows to ``grown`` bytes (every page touched), then pre-flights.
PARENT = """
import json, os, sys
from pathlib import Path
import numpy as np
from numerpilot.runtime import run_pickle
from numerpilot.runtime._watch import high_water_mark
grown, pickle, live, bench, cache = int(sys.argv[1]), *map(Path, sys.argv[2:6])
ballast = np.ones(grown, dtype=np.uint8)  # ones, not zeros: every page is touched
report = run_pickle(pickle, live, bench, cache_dir=cache, scanner=False).report
print(json.dumps({"parent_hwm": high_water_mark(os.getpid()) or 0, "ok": report.ok,
                  "reason": report.reason, "peak": report.peak_rss_bytes}))
"""


def preflight_from_a_parent_of(grown: int, pickle: Path, live: LiveFiles, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [str(grown), str(pickle), str(live.live), str(live.benchmark), str(cache)]
    done = subprocess.run(
        [sys.executable, "-c", PARENT, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_parent_grown_past_4_gib_does_not_inflate_the_pickles_peak(
    tiny_model: PortableModel, live_files: LiveFiles, runtime_cache_dir: Path, tmp_path: Path
) -> None:
    pickle = write_portable_pickle(tiny_model, tmp_path / "model.pkl")

    small = preflight_from_a_parent_of(0, pickle, live_files, runtime_cache_dir)
    big = preflight_from_a_parent_of(GROWN, pickle, live_files, runtime_cache_dir)

    assert big["parent_hwm"] > 4 << 30  # the caller really had grown
    assert (small["ok"], big["ok"]) == (True, True), (small, big)
    assert small["peak"] < 1 << 30
    assert abs(big["peak"] - small["peak"]) <= 0.1 * small["peak"], (small, big)
