"""What FNC adds to a validation run: ``score_columns`` with and without it, same data.

A validation-shaped sample generated in memory (deterministic, seed 0): ``--eras`` eras of
``--rows`` rows, ``--features`` int8 features (the medium set has 780), one prediction column
(a weak signal on a few features), the target and a benchmark column. Each side runs
``--repeats`` times; the best time counts (the machine is shared). The baseline is the same
call without FNC: CORR, TB200, BMC, max feature exposure, the benchmark correlation and the
payout simulation and churn, which is what ``numerpilot validate`` does without ``--fnc``.
Churn (numerblox's: 1 - Spearman with the target per era) is also timed alone, to show its
share of the baseline.

Run:  nice -n 10 .venv/bin/python benchmarks/fnc_cost.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from numerpilot.data import single_threaded_blas
from numerpilot.scoring import Eras, References, rank_correlation, score_columns


def sample(eras: int, rows: int, features: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    n = eras * rows
    x = rng.integers(0, 5, (n, features), dtype=np.int8)
    signal = x[:, :5].astype(np.float64).mean(axis=1)
    target = np.clip(np.round((signal / 4 + rng.normal(0, 0.3, n)) * 4) / 4, 0, 1)
    preds = signal + rng.normal(0, 1.0, n)
    bench = signal + rng.normal(0, 1.0, n)
    codes = np.repeat(np.arange(eras), rows)
    return x, target, preds, bench, codes


def timed(fnc: bool, data: tuple[np.ndarray, ...], repeats: int) -> float:
    x, target, preds, bench, codes = data
    eras = Eras.from_codes(codes)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        score_columns(
            ["p"], preds, target, eras, x, references=References(benchmark=bench), fnc=fnc
        )
        best = min(best, time.perf_counter() - started)
    return best


def timed_churn(data: tuple[np.ndarray, ...], repeats: int) -> float:
    """The churn pass inside ``score_columns``: one per-era rank correlation with the target."""
    _, target, preds, _, codes = data
    eras = Eras.from_codes(codes)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        1.0 - rank_correlation(preds, target, eras)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eras", type=int, default=60)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--features", type=int, default=780)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    data = sample(args.eras, args.rows, args.features)
    with single_threaded_blas():
        base = timed(False, data, args.repeats)
        with_fnc = timed(True, data, args.repeats)
        churn = timed_churn(data, args.repeats)
    per_era = (with_fnc - base) / args.eras
    print(f"shape: {args.eras} eras x {args.rows:,} rows, {args.features} int8 features")
    print(f"without FNC (baseline) {base:8.2f} s")
    print(f"with FNC               {with_fnc:8.2f} s   {with_fnc / base:.2f}x the baseline")
    print(f"FNC alone              {with_fnc - base:8.2f} s   {per_era:.3f} s per era")
    print(f"churn alone            {churn:8.2f} s   {churn / base:.1%} of the baseline")
    minutes = per_era * 660 * 6250 / args.rows / 60
    print(f"scaled to 660 validation eras of ~6,250 rows: FNC ~{minutes:.1f} min")


if __name__ == "__main__":
    main()
