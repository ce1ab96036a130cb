"""Pre-flight's reported peak memory with a caller that has grown to 5 GiB versus a small one.

Each caller is a fresh process that first allocates and touches ``GIB`` GiB (0 for the small
one), then pre-flights the default ensemble's pickle (numerpilot's, built for the 3.11 image
by ``preflight_images.py`` in ``--work``) on the full-scale live era. Printed per caller: its
own peak, pre-flight's reported peak of the pickle, and what the kernel's count for children
(``RUSAGE_CHILDREN`` ru_maxrss, what pre-flight used to report) says. The two reported peaks
must match within 10 %.

    nice -n 10 python benchmarks/preflight_parent.py [--work /tmp/numerpilot-preflight]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CALLER = """
import json, os, resource, sys
from pathlib import Path
import numpy as np
from numerpilot.runtime import run_pickle
from numerpilot.runtime._watch import high_water_mark
grown = int(float(sys.argv[1]) * 2**30)
ballast = np.ones(grown, dtype=np.uint8)  # every page touched
pickle, live, bench = map(Path, sys.argv[2:5])
report = run_pickle(pickle, live, bench, scanner=False).report
print(json.dumps({
    "ok": report.ok, "caller_peak": high_water_mark(os.getpid()),
    "reported_peak": report.peak_rss_bytes, "wall": report.wall_seconds,
    "kernel_children_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
}))
"""


def run_caller(gib: float, work: Path) -> dict[str, float]:
    pickle = work / "numerai_predict_py_3_11" / "numerpilot.pkl"
    live, bench = work / "live.parquet", work / "live_benchmark_models.parquet"
    done = subprocess.run(
        [sys.executable, "-c", CALLER, str(gib), str(pickle), str(live), str(bench)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/numerpilot-preflight"))
    parser.add_argument("--gib", type=float, default=5.0)
    args = parser.parse_args()
    small, big = run_caller(0, args.work), run_caller(args.gib, args.work)
    gib = 2**30
    print(f"{'caller':14}{'caller peak':>13}{'reported':>11}{'kernel count':>14}{'wall':>8}")
    for name, r in (("small", small), (f"{args.gib:g} GiB", big)):
        print(
            f"{name:14}{r['caller_peak'] / gib:>11.2f} G{r['reported_peak'] / gib:>9.3f} G"
            f"{r['kernel_children_maxrss'] / gib:>12.2f} G{r['wall']:>7.1f}s"
        )
    ratio = big["reported_peak"] / small["reported_peak"]
    verdict = "within" if abs(ratio - 1) <= 0.1 else "NOT within"
    print(f"reported peak, grown caller / small caller: {ratio:.3f} ({verdict} 10 %)")
    print(json.dumps({"small": small, "big": big, "ratio": round(ratio, 4)}))


if __name__ == "__main__":
    main()
