"""Pre-flight of the default ensemble's model pickle on full-scale live data, on 1 CPU.

The model: 3 targets (target, target_cyrusd_20, target_teager2b_20), LightGBM of the default
size (2,000 trees, depth 5, 31 leaves, learning rate 0.01, colsample 0.1) trained on all
3,555 features of a sample of full-scale synthetic eras. Prediction cost depends on the trees'
number and shape, not on how many rows grew them, so the sample is small and
min_child_samples is 100 (not the default 1,000) to let it grow full 31-leaf trees. Live: one
full-scale live era (about 6,800 rows, 3,555 features, every target column NaN), drawn from
``SyntheticWorld`` (or ``--live`` / ``--benchmark`` files). Both are cached in ``--work``.

Measured in the same run:
- pre-flight: ``run_pickle`` in the numerai_predict_py_3_11 environment (pinned packages,
  one CPU, 4 GB, 10 min; wall time and peak RSS of the child, from the kernel);
- baseline: a fresh process of numerpilot's own interpreter that loads the same pickle with
  ``pd.read_pickle`` and predicts the same live frame in-process, pinned to one CPU too.
Goal: pre-flight under 60 s and 1.5 GB (a tenth of Numerai's limits).

    nice -n 10 .venv/bin/python benchmarks/preflight_full.py [--work /tmp/numerpilot-preflight]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from numerpilot.clock import monotonic
from numerpilot.data import SyntheticWorld
from numerpilot.runtime import PortableModel, run_pickle, write_portable_pickle

TARGETS = ("target", "target_cyrusd_20", "target_teager2b_20")
PARAMS = {
    "objective": "regression",
    "learning_rate": 0.01,
    "max_depth": 5,
    "num_leaves": 31,
    "colsample_bytree": 0.1,
    "min_child_samples": 100,
    "verbose": -1,
    "seed": 0,
}
TREES = 2000

BASELINE = """
import os, resource, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import pandas as pd
start = time.perf_counter()
live = pd.read_parquet(sys.argv[2]); bench = pd.read_parquet(sys.argv[3])
predict = pd.read_pickle(sys.argv[1])
out = predict(live, bench)
assert len(out) == len(live) and out["prediction"].between(0, 1).all()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime)
"""


def train_boosters(world: SyntheticWorld, work: Path, eras: int) -> list[tuple[str, str]]:
    files = [work / f"{t}.txt" for t in TARGETS]
    if all(f.exists() for f in files):
        return [(t, f.read_text()) for t, f in zip(TARGETS, files, strict=True)]
    picks = np.linspace(1, world.scale.train_eras, eras).astype(int)
    parts = [world.make_era(int(i)) for i in picks]
    x = np.ascontiguousarray(np.concatenate([p.features for p in parts]))
    y = np.concatenate([p.targets for p in parts])
    print(f"training on {len(x):,} rows x {x.shape[1]:,} features ({eras} eras)", flush=True)
    boosters = []
    for target, file in zip(TARGETS, files, strict=True):
        column = y[:, world.target_names.index(target)]
        keep = ~np.isnan(column)
        started = monotonic()
        booster = lgb.train(PARAMS, lgb.Dataset(x[keep], column[keep]), num_boost_round=TREES)
        text = booster.model_to_string()
        file.write_text(text)
        leaves = np.mean([t["num_leaves"] for t in booster.dump_model()["tree_info"]])
        print(
            f"  {target}: {TREES} trees, {leaves:.1f} leaves on average, "
            f"{monotonic() - started:.0f} s",
            flush=True,
        )
        boosters.append((target, text))
    return boosters


def live_files(world: SyntheticWorld, work: Path) -> tuple[Path, Path]:
    live, bench = work / "live.parquet", work / "live_benchmark_models.parquet"
    if live.exists() and bench.exists():
        return live, bench
    era = world.make_era(world.scale.live_era_index)
    index = pd.Index(era.ids, name="id")
    frame = pd.DataFrame(era.features, columns=world.feature_names, index=index)
    targets = pd.DataFrame(np.nan, index=index, columns=world.target_names, dtype=np.float32)
    head = pd.DataFrame({"era": "X", "data_type": "live"}, index=index)
    pd.concat([head, frame, targets], axis=1).to_parquet(live)
    columns = list(world.spec.benchmark_columns)
    benchmarks = pd.DataFrame(era.benchmarks, columns=columns, index=index)
    benchmarks.insert(0, "era", "X")
    benchmarks.to_parquet(bench)
    return live, bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/numerpilot-preflight"))
    parser.add_argument("--train-eras", type=int, default=3)
    parser.add_argument("--live", type=Path, help="a full-scale live.parquet to use instead")
    parser.add_argument("--benchmark", type=Path, help="its live_benchmark_models.parquet")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    world = SyntheticWorld("v5.3", "full", seed=0)
    boosters = train_boosters(world, args.work, args.train_eras)
    live, bench = (args.live, args.benchmark) if args.live else live_files(world, args.work)
    model = PortableModel(
        "default-ensemble", world.feature_names, boosters, dict.fromkeys(TARGETS, 1.0)
    )
    pickle_path = write_portable_pickle(model, args.work / "model.pkl")
    rows = len(pd.read_parquet(live, columns=["era"]))
    print(
        f"pickle {pickle_path.stat().st_size / 2**20:.1f} MiB; live {rows:,} rows x "
        f"{len(world.feature_names):,} features",
        flush=True,
    )

    run_pickle(pickle_path, live, bench)  # builds the environment if needed; not measured
    report = run_pickle(pickle_path, live, bench).report
    if not report.ok:
        sys.exit(f"pre-flight failed: {report.reason}: {report.message}")

    started = monotonic()
    done = subprocess.run(
        [sys.executable, "-c", BASELINE, str(pickle_path), str(live), str(bench)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    base_wall = monotonic() - started
    base_inner, base_rss, base_cpu = (float(v) for v in done.stdout.split())

    gib = 2**30
    figures = {
        "preflight_wall_s": round(report.wall_seconds, 2),
        "preflight_load_s": round(report.load_seconds or 0, 2),
        "preflight_predict_s": round(report.predict_seconds or 0, 2),
        "preflight_cpu_s": round(report.cpu_seconds, 2),
        "preflight_peak_rss_gib": round(report.peak_rss_bytes / gib, 3),
        "baseline_wall_s": round(base_wall, 2),
        "baseline_load_predict_s": round(base_inner, 2),
        "baseline_cpu_s": round(base_cpu, 2),
        "baseline_peak_rss_gib": round(base_rss / gib, 3),
        "wall_ratio": round(report.wall_seconds / base_wall, 2),
        "rss_ratio": round(report.peak_rss_bytes / base_rss, 2),
        "rows": report.rows,
        "python": report.python,
    }
    emulator_rss = report.peak_rss_bytes / gib
    print(f"{'':24}{'wall':>10}{'CPU':>10}{'peak RSS':>12}")
    print(
        f"{'pre-flight (emulator)':24}{report.wall_seconds:>9.1f}s{report.cpu_seconds:>9.1f}s"
        f"{emulator_rss:>8.2f} GiB"
    )
    print(
        f"{'baseline (in-process)':24}{base_wall:>9.1f}s{base_cpu:>9.1f}s{base_rss / gib:>8.2f} GiB"
    )
    ratios = (figures["wall_ratio"], report.cpu_seconds / base_cpu, figures["rss_ratio"])
    print(f"{'ratio':24}{ratios[0]:>9.2f}x{ratios[1]:>9.2f}x{ratios[2]:>8.2f} x")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    met = report.wall_seconds < 60 and emulator_rss < 1.5
    print(f"goal: under 60 s and 1.5 GiB -> {'met' if met else 'NOT met'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
