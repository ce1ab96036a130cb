"""numerai_corr + BMC + max feature exposure on the full validation shape, against numerai-tools.

The shape of v5.3 validation with the medium feature set: 4,128,060 rows in 660 eras, 780
int8 features, one prediction column, the target and a benchmark column, generated in memory
(deterministic, seed 0), once; then each side scores it in turn:

- numerpilot: ``numerai_corr``, ``correlation_contribution`` (BMC) and
  ``max_feature_exposure`` over all eras at once.
- numerai-tools: the same three metrics era by era, as participants usually compute them
  (a loop over eras building pandas objects per era). ``max_feature_correlation`` takes about
  half a second per era, so it runs on every ``--exposure-every``-th era and its time is
  scaled up to all eras (said so in the output); CORR and BMC run on every era.

Wall and CPU seconds are both given: on a shared machine the wall time of the slow side moves
with other people's load, its CPU time much less. Peak RSS is the process's high-water mark,
reset before each side (``/proc/self/clear_refs``): the input plus what that side adds.

Run:  nice -n 10 .venv/bin/python benchmarks/scoring_full.py
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numerai_tools import scoring as nt

from numerpilot.scoring import Eras, correlation_contribution, max_feature_exposure, numerai_corr

ROWS = 4_128_060
ERAS = 660
FEATURES = 780


def _rss_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def make_data(rows: int, eras: int, features: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Numerai-shaped arrays: eras of about equal size, int8 features in 0..4, a target in
    five bins, predictions with some signal and feature exposure, a correlated benchmark."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(rows // eras - 1500, rows // eras + 1500, size=eras)
    sizes = np.round(sizes * rows / sizes.sum()).astype(np.int64)
    sizes[-1] += rows - sizes.sum()
    codes = np.repeat(np.arange(eras, dtype=np.int32), sizes)
    x = np.empty((rows, features), dtype=np.int8)
    chunk = 65_536
    for lo in range(0, rows, chunk):
        hi = min(lo + chunk, rows)
        x[lo:hi] = rng.integers(0, 5, size=(hi - lo, features), dtype=np.int8)
    signal = (x[:, 0].astype(np.float64) - 2) + 0.5 * (x[:, 1] - 2)
    noise = rng.standard_normal(rows)
    latent = 0.1 * signal + noise
    target = np.digitize(latent, np.quantile(latent, [0.05, 0.25, 0.75, 0.95])) / 4.0
    prediction = 0.3 * signal + rng.standard_normal(rows) + 0.2 * noise
    prediction = (prediction - prediction.min()) / (prediction.max() - prediction.min())
    benchmark = 0.5 * prediction + 0.5 * rng.random(rows)
    return {
        "codes": codes,
        "features": x,
        "prediction": prediction,
        "target": target,
        "benchmark": benchmark,
    }


def run_numerpilot(data: dict[str, np.ndarray]) -> dict[str, Any]:
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    eras = Eras.from_codes(data["codes"])
    corr = numerai_corr(data["prediction"], data["target"], eras)
    times["corr"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    bmc = correlation_contribution(data["prediction"], data["benchmark"], data["target"], eras)
    times["bmc"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    fe = max_feature_exposure(data["prediction"], data["features"], eras)
    times["exposure"] = time.perf_counter() - t2
    return {"corr": corr, "bmc": bmc, "fe": fe, **{f"t_{k}": v for k, v in times.items()}}


def run_numerai_tools(data: dict[str, np.ndarray], exposure_every: int) -> dict[str, Any]:
    codes = data["codes"]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], codes.size]
    columns = [f"feature_{j}" for j in range(data["features"].shape[1])]
    corr = np.full(starts.size, np.nan)
    bmc = np.full(starts.size, np.nan)
    fe = np.full(starts.size, np.nan)
    t_corr = t_bmc = t_fe = 0.0
    exposure_eras = 0
    for e, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        index = pd.RangeIndex(lo, hi)
        preds = pd.DataFrame({"prediction": data["prediction"][lo:hi]}, index=index)
        target = pd.Series(data["target"][lo:hi], index=index, name="target")
        bench = pd.Series(data["benchmark"][lo:hi], index=index, name="benchmark")
        t0 = time.perf_counter()
        corr[e] = nt.numerai_corr(preds, target).iloc[0]
        t1 = time.perf_counter()
        bmc[e] = nt.correlation_contribution(preds, bench, target).iloc[0]
        t2 = time.perf_counter()
        t_corr += t1 - t0
        t_bmc += t2 - t1
        if e % exposure_every == 0:
            t3 = time.perf_counter()
            feats = pd.DataFrame(data["features"][lo:hi], index=index, columns=columns)
            fe[e] = nt.max_feature_correlation(preds["prediction"], feats)[1]
            t_fe += time.perf_counter() - t3
            exposure_eras += 1
    scale = starts.size / exposure_eras
    return {
        "corr": corr,
        "bmc": bmc,
        "fe": fe,
        "t_corr": t_corr,
        "t_bmc": t_bmc,
        "t_exposure": t_fe * scale,
        "t_exposure_measured": t_fe,
        "t_total": t_corr + t_bmc + t_fe * scale,
        "exposure_eras": float(exposure_eras),
    }


def _timed(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``fn`` with the RSS high-water mark reset; add wall and CPU seconds and the peak."""
    _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    result["wall"] = time.perf_counter() - wall
    result["cpu"] = time.process_time() - cpu
    result["peak_rss"] = _rss_bytes("VmHWM")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--eras", type=int, default=ERAS)
    parser.add_argument("--features", type=int, default=FEATURES)
    parser.add_argument("--exposure-every", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # numerai-tools' pandas calls warn on constant columns

    data = make_data(args.rows, args.eras, args.features)
    input_bytes = sum(a.nbytes for a in data.values())
    rss_input = _rss_bytes("VmRSS")
    ours = _timed(lambda: run_numerpilot(data))
    base = _timed(lambda: run_numerai_tools(data, args.exposure_every))
    measured = ~np.isnan(base["fe"])
    diff = {
        "corr": float(np.nanmax(np.abs(ours["corr"] - base["corr"]))),
        "bmc": float(np.nanmax(np.abs(ours["bmc"] - base["bmc"]))),
        "exposure": float(np.max(np.abs(ours["fe"][measured] - base["fe"][measured]))),
    }

    gb = 1e9
    print(f"shape: {args.rows:,} rows, {args.eras} eras, {args.features} int8 features, 1 column")
    print(
        f"input arrays: {input_bytes / gb:.2f} GB (process RSS with them: {rss_input / gb:.2f} GB)"
    )
    print(f"{'metric':<9}{'numerpilot s':>13}{'numerai-tools s':>16}{'ratio':>8}{'max |diff|':>12}")
    for key, label in (("corr", "CORR"), ("bmc", "BMC"), ("exposure", "max FE")):
        t_ours, t_base = ours[f"t_{key}"], base[f"t_{key}"]
        print(f"{label:<9}{t_ours:>13.2f}{t_base:>16.2f}{t_base / t_ours:>7.1f}x{diff[key]:>12.1e}")
    base_cpu = base["cpu"] * base["t_total"] / base["wall"]  # scale to all eras, as the wall
    print(
        f"{'total':<9}{ours['wall']:>13.2f}{base['t_total']:>16.2f}"
        f"{base['t_total'] / ours['wall']:>7.1f}x   (wall)"
    )
    print(
        f"{'total':<9}{ours['cpu']:>13.2f}{base_cpu:>16.2f}{base_cpu / ours['cpu']:>7.1f}x   (CPU)"
    )
    print(
        f"numerai-tools exposure: measured on {int(base['exposure_eras'])} of {args.eras} eras "
        f"({base['t_exposure_measured']:.1f} s), scaled to all eras"
    )
    for name, info in (("numerpilot", ours), ("numerai-tools", base)):
        print(
            f"{name}: peak RSS while scoring {info['peak_rss'] / gb:.2f} GB "
            f"= {info['peak_rss'] / input_bytes:.2f}x the input arrays "
            f"(+{(info['peak_rss'] - rss_input) / gb:.2f} GB over the RSS before scoring)"
        )


if __name__ == "__main__":
    main()
