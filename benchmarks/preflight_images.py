"""The default ensemble's model pickle on every Numerai runtime image: the scanner's verdict and
pre-flight time and peak memory on full-scale live data.

For each image of ``runtime/images.toml`` whose Python is on this machine (the others are
listed with the reason), in the image's pinned environment:
- verdict: fickling of the image's own version rates numerpilot's pickle (a cloudpickle built
  by the image's Python), the baseline (an ordinary cloudpickle of a function closing over the
  same native boosters, built there too) and the portable form (``builtins.eval`` of source);
- pre-flight: ``run_pickle`` of numerpilot's pickle (1 CPU, 4 GB, 10 min), wall, CPU and the
  child's peak RSS; baseline: the image's interpreter loading the same pickle and predicting
  the same live frame in-process, on one CPU.
The model and live data are those of ``preflight_full.py`` (3 targets x 2,000 trees, 3,555
features; one full-scale synthetic live era), cached in ``--work``.

    nice -n 10 python benchmarks/preflight_images.py [--work /tmp/numerpilot-preflight]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from numerpilot.clock import monotonic
from numerpilot.data import SyntheticWorld
from numerpilot.runtime import (
    IMAGES,
    PortableModel,
    build_image_pickle,
    emulation_problem,
    ensure_env,
    run_pickle,
    write_portable_pickle,
)
from numerpilot.runtime._verdict import rate_pickle
from numerpilot.runtime._watch import child_env
from preflight_full import TARGETS, live_files, train_boosters

ORDINARY = """
import sys, cloudpickle, lightgbm as lgb, numpy as np, pandas as pd
boosters = [lgb.Booster(model_str=open(p).read()) for p in sys.argv[2:]]
features = boosters[0].feature_name()
def predict(live_features, live_benchmark_models=None):
    x = live_features[features].to_numpy(dtype=np.float32)
    p = np.mean([b.predict(x) for b in boosters], axis=0)
    return pd.DataFrame({"prediction": pd.Series(p, index=live_features.index).rank(pct=True)})
open(sys.argv[1], "wb").write(cloudpickle.dumps(predict))
"""
# In-process baseline, run by the image's interpreter; VmHWM: this program's own peak.
BASELINE = """
import os, resource, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import pandas as pd
start = time.perf_counter()
live = pd.read_parquet(sys.argv[2]); bench = pd.read_parquet(sys.argv[3])
out = pd.read_pickle(sys.argv[1])(live, bench)
assert len(out) == len(live) and out["prediction"].between(0, 1).all()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, int(hwm) * 1024, usage.ru_utime + usage.ru_stime)
"""


def measure(image_name: str, model: PortableModel, work: Path, live: Path, bench: Path) -> dict:
    image = IMAGES[image_name]
    problem = emulation_problem(image)
    if problem is not None:
        return {"image": image.name, "built": False, "why": problem}
    started = monotonic()
    env = ensure_env(image, on_build=print)
    setup = monotonic() - started
    folder = work / image.name
    folder.mkdir(exist_ok=True)
    ours = build_image_pickle(model, env, folder / "numerpilot.pkl")
    portable = write_portable_pickle(model, folder / "portable.pkl")
    texts = [work / f"{t}.txt" for t in TARGETS]
    ordinary = folder / "ordinary.pkl"
    subprocess.run(
        [str(env.python), "-I", "-c", ORDINARY, str(ordinary), *map(str, texts)],
        check=True,
        env=child_env(),
    )
    verdicts = {p.stem: rate_pickle(env, p).severity for p in (ours, ordinary, portable)}
    report = run_pickle(ours, live, bench, scanner=False).report
    if not report.ok:
        return {"image": image.name, "built": True, "failed": f"{report.reason}: {report.message}"}
    started = monotonic()
    done = subprocess.run(
        [str(env.python), "-I", "-c", BASELINE, str(ours), str(live), str(bench)],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
    )
    base_wall = monotonic() - started
    _inner, base_rss, base_cpu = (float(v) for v in done.stdout.split())
    gib = 2**30
    return {
        "image": image.name,
        "built": True,
        "python": report.python,
        "fickling": image.packages["fickling"],
        "verdict_numerpilot": verdicts["numerpilot"],
        "verdict_ordinary_cloudpickle": verdicts["ordinary"],
        "verdict_portable": verdicts["portable"],
        "pickle_mib": round(ours.stat().st_size / 2**20, 1),
        "preflight_wall_s": round(report.wall_seconds, 1),
        "preflight_cpu_s": round(report.cpu_seconds, 1),
        "preflight_peak_gib": round(report.peak_rss_bytes / gib, 2),
        "baseline_wall_s": round(base_wall, 1),
        "baseline_cpu_s": round(base_cpu, 1),
        "baseline_peak_gib": round(base_rss / gib, 2),
        "env_setup_s": round(setup, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/numerpilot-preflight"))
    parser.add_argument("--train-eras", type=int, default=3)
    parser.add_argument("--images", nargs="*", default=list(IMAGES))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    world = SyntheticWorld("v5.3", "full", seed=0)
    boosters = train_boosters(world, args.work, args.train_eras)
    live, bench = live_files(world, args.work)
    model = PortableModel(
        "default-ensemble", world.feature_names, boosters, dict.fromkeys(TARGETS, 1.0)
    )
    rows = len(pd.read_parquet(live, columns=["era"]))
    print(f"live {rows:,} rows x {len(world.feature_names):,} features", flush=True)
    results = [measure(name, model, args.work, live, bench) for name in args.images]
    header = f"{'image':26}{'fickling':>9}  {'numerpilot':<26}{'ordinary cloudpickle':<26}portable"
    print(header)
    for r in results:
        if r.get("python"):
            print(
                f"{r['image']:26}{r['fickling']:>9}  {r['verdict_numerpilot']:<26}"
                f"{r['verdict_ordinary_cloudpickle']:<26}{r['verdict_portable']}"
            )
    print(f"\n{'image':26}{'pre-flight wall/CPU/peak':>30}{'in-process wall/CPU/peak':>30}")
    for r in results:
        if not r.get("python"):
            print(f"{r['image']:26}  not measured: {r.get('why') or r.get('failed')}")
            continue
        ours = f"{r['preflight_wall_s']}s / {r['preflight_cpu_s']}s / {r['preflight_peak_gib']}G"
        base = f"{r['baseline_wall_s']}s / {r['baseline_cpu_s']}s / {r['baseline_peak_gib']}G"
        print(f"{r['image']:26}{ours:>30}{base:>30}")
    for r in results:
        print(json.dumps(r))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
