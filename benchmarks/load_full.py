"""Loading the medium feature set plus 3 targets of full-scale train: numerpilot's loader
against a plain ``pd.read_parquet(columns=...)`` of the same columns, in the same run.

Each side runs in its own subprocess (so neither inherits the other's memory) and reports
its wall time and peak RSS; both are printed with the ratio of peak RSS to the int8 size
of the requested data (rows x (features + targets) bytes). Goal: numerpilot at most 1.2x.

    nice -n 10 .venv/bin/python benchmarks/load_full.py [--data-dir /tmp/numerpilot-full/v5.3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

from _child import peak_rss

DEFAULT_DIR = Path("/tmp/numerpilot-full/v5.3")
DEFAULT_TARGETS = "target,target_cyrusd_20,target_teager2b_20"


def _cpu_seconds() -> float:
    """CPU time of this process, all threads: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(side: str, data_dir: Path, feature_set: str, targets: list[str], era_step: int) -> None:
    """One measured load; prints one JSON line."""
    from numerpilot.clock import monotonic
    from numerpilot.data import load_dataset, read_feature_metadata, resolve_features

    features = resolve_features(read_feature_metadata(data_dir / "features.json"), feature_set)
    path = data_dir / "train.parquet"
    baseline = peak_rss()  # the interpreter and libraries, before any data
    cpu_start = _cpu_seconds()
    start = monotonic()
    if side == "numerpilot":
        ds = load_dataset(path, features=features, targets=targets, era_step=era_step)
        rows = len(ds)
    else:
        import pandas as pd

        frame = pd.read_parquet(path, columns=["id", "era", *features, *targets])
        rows = len(frame)
    seconds = monotonic() - start
    cpu = _cpu_seconds() - cpu_start
    result = {
        "side": side,
        "rows": rows,
        "features": len(features),
        "targets": len(targets),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss": peak_rss(),
        "baseline_rss": baseline,
    }
    print(json.dumps(result))


def _warm(path: Path) -> None:
    """Read the file once so both sides find it in the page cache."""
    with path.open("rb") as f:
        while f.read(1 << 24):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--feature-set", default="medium")
    parser.add_argument("--targets", default=DEFAULT_TARGETS)
    parser.add_argument("--era-step", type=int, default=1, help="numerpilot side only")
    parser.add_argument("--child", choices=["numerpilot", "pandas"])
    args = parser.parse_args()
    targets = args.targets.split(",")
    if args.child:
        child(args.child, args.data_dir, args.feature_set, targets, args.era_step)
        return
    train = args.data_dir / "train.parquet"
    print(f"file: {train} ({train.stat().st_size / 1e9:.2f} GB on disk)")
    _warm(train)
    results = []
    for side in ("numerpilot", "pandas"):
        command = [sys.executable, __file__, "--child", side, "--data-dir", str(args.data_dir)]
        command += ["--feature-set", args.feature_set, "--targets", args.targets]
        command += ["--era-step", str(args.era_step)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{side} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for r in results:
        int8 = r["rows"] * (r["features"] + r["targets"])
        print(
            f"{r['side']:>10}: {r['rows']:,} rows x {r['features']} features + {r['targets']} "
            f"targets; {r['seconds']:.1f} s ({r['cpu_seconds']:.1f} s CPU); "
            f"peak RSS {r['peak_rss'] / 1e9:.2f} GB "
            f"= {r['peak_rss'] / int8:.3f}x the int8 size {int8 / 1e9:.3f} GB "
            f"(interpreter and libraries alone: {r['baseline_rss'] / 1e9:.2f} GB)"
        )
    if len(results) == 2:
        ours, theirs = results
        print(
            f"numerpilot / pandas: time {ours['seconds'] / theirs['seconds']:.2f}x "
            f"(CPU {ours['cpu_seconds'] / theirs['cpu_seconds']:.2f}x), "
            f"peak RSS {ours['peak_rss'] / theirs['peak_rss']:.2f}x"
        )


if __name__ == "__main__":
    main()
