"""Training: numerpilot against the starting recipe, same data, parameters and trees.

The recipe most participants start from (Numerai's example scripts): ``pd.read_parquet`` of
the feature and target columns, every Nth era kept with a boolean mask, then one scikit-learn
``LGBMRegressor`` per target, fitted on ``X[mask]`` of the rows where that target is known.
numerpilot: the path ``numerpilot train`` takes (era index, eras streamed into LightGBM bins
built once, native ``lightgbm.train`` per target, NaN labels as zero weights).

Both sides train one booster per target on the same eras with the same parameters and the
same number of trees (no holdout, no early stopping), each in its own subprocess that reports
its wall time and peak RSS. A third subprocess then scores both ensembles (per-era rank,
mean, rank) on the same validation eras with the same code: the corr should be equal.

    nice -n 10 .venv/bin/python benchmarks/train_vs_recipe.py \\
        [--data-dir /tmp/numerpilot-full/v5.3] [--era-step 16] [--trees 2000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
from pathlib import Path
from typing import Any

from _child import peak_rss, run_child

DEFAULT_DIR = Path("/tmp/numerpilot-full/v5.3")
TARGETS = ["target", "target_cyrusd_20", "target_teager2b_20"]


def _cpu_seconds() -> float:
    """CPU time of this process: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _params(trees: int, threads: int) -> Any:
    from numerpilot.config import LightGBMParams

    # The config's defaults (Numerai's example model), without early stopping.
    return LightGBMParams(n_estimators=trees, early_stopping_rounds=0, num_threads=threads)


def _features(data_dir: Path, feature_set: str) -> list[str]:
    from numerpilot.data import read_feature_metadata, resolve_features

    return resolve_features(read_feature_metadata(data_dir / "features.json"), feature_set)


def train_numerpilot(
    args: argparse.Namespace, features: list[str], marks: dict[str, float]
) -> tuple[int, list[str]]:
    from numerpilot.data import memory_budget
    from numerpilot.models import EnsembleTrainer, TrainingFile, booster_params

    params = _params(args.trees, args.threads)
    file = TrainingFile(args.data_dir / "train.parquet", features, TARGETS, memory_budget())
    index = file.index(args.era_step)
    reference = file.reference(index, index.labels, booster_params(params, seed=0))
    rows = file.streamed(index, index.labels, reference)
    marks["data_ready"] = _cpu_seconds()  # read and binned: what remains is tree building
    results = EnsembleTrainer(params, rows).train_all(TARGETS, [0])
    return rows.dataset.num_data(), [r.model_text for r in results]


def train_recipe(
    args: argparse.Namespace, features: list[str], marks: dict[str, float]
) -> tuple[int, list[str]]:
    import pandas as pd
    from lightgbm import LGBMRegressor

    p = _params(args.trees, args.threads)
    train = pd.read_parquet(args.data_dir / "train.parquet", columns=["era", *features, *TARGETS])
    train = train[train["era"].isin(train["era"].unique()[:: args.era_step])]
    marks["data_ready"] = _cpu_seconds()  # read; each fit still converts and bins its X[mask]
    texts = []
    for target in TARGETS:
        model = LGBMRegressor(
            n_estimators=p.n_estimators,
            learning_rate=p.learning_rate,
            max_depth=p.max_depth,
            num_leaves=p.num_leaves,
            colsample_bytree=p.colsample_bytree,
            min_child_samples=p.min_child_samples,
            n_jobs=p.num_threads,
            random_state=0,
            verbose=-1,
        )
        known = train[target].notna()
        model.fit(train.loc[known, features], train.loc[known, target])
        texts.append(model.booster_.model_to_string())
    return len(train), texts


def child_train(args: argparse.Namespace) -> None:
    from numerpilot.clock import monotonic

    features = _features(args.data_dir, args.feature_set)
    # Both sides' libraries are imported before the clock starts: only the work is timed.
    import pandas  # noqa: F401
    from lightgbm import LGBMRegressor  # noqa: F401

    import numerpilot.models.rows  # noqa: F401

    baseline = peak_rss()
    start, cpu = monotonic(), _cpu_seconds()
    train = train_numerpilot if args.side == "numerpilot" else train_recipe
    marks: dict[str, float] = {}
    rows, texts = train(args, features, marks)
    seconds, cpu_end = monotonic() - start, _cpu_seconds()
    Path(args.boosters).write_text(json.dumps(texts))
    print(
        json.dumps(
            {
                "side": args.side,
                "rows": rows,
                "features": len(features),
                "seconds": seconds,
                "cpu_seconds": cpu_end - cpu,
                "cpu_seconds_to_data": marks["data_ready"] - cpu,
                "peak_rss": peak_rss(),
                "baseline_rss": baseline,
            }
        )
    )


def child_score(args: argparse.Namespace) -> None:
    """Both sides' ensembles on the same validation eras, scored by the same code."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from numerpilot.data import load_dataset
    from numerpilot.models import combine, era_codes, predict_rows
    from numerpilot.scoring import numerai_corr, summarize

    features = _features(args.data_dir, args.feature_set)
    val = load_dataset(
        args.data_dir / "validation.parquet",
        features=features,
        targets=["target"],
        data_types={"validation"},
        era_step=args.val_era_step,
    )
    codes = era_codes(val.eras)
    ensembles = {}
    for side, file in (("numerpilot", args.numerpilot), ("recipe", args.recipe)):
        texts = json.loads(Path(file).read_text())
        raw = np.column_stack([predict_rows(lgb.Booster(model_str=t), val.features) for t in texts])
        ensembles[side] = combine(raw, [1.0] * len(texts), codes)
    scores = {}
    for side, preds in ensembles.items():
        s = summarize(numerai_corr(preds, val.targets[:, 0], val.eras))
        scores[side] = {"corr_mean": s.mean, "corr_sharpe": s.sharpe, "eras": s.eras}
    oracle_file = args.data_dir / "oracle" / "validation.parquet"
    if oracle_file.exists():
        oracle = pd.read_parquet(oracle_file)["prediction"].reindex(val.ids).to_numpy()
        s = summarize(numerai_corr(oracle, val.targets[:, 0], val.eras))
        scores["oracle"] = {"corr_mean": s.mean, "corr_sharpe": s.sharpe, "eras": s.eras}
    agreement = float(np.corrcoef(ensembles["numerpilot"], ensembles["recipe"])[0, 1])
    print(json.dumps({"scores": scores, "prediction_corr": agreement, "rows": len(val)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--feature-set", default="medium")
    parser.add_argument("--era-step", type=int, default=16, help="train on every Nth era")
    parser.add_argument("--val-era-step", type=int, default=8, help="score every Nth era")
    parser.add_argument("--trees", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--side", choices=["numerpilot", "recipe"])
    parser.add_argument("--boosters")
    parser.add_argument("--score", action="store_true")
    parser.add_argument("--numerpilot")
    parser.add_argument("--recipe")
    args = parser.parse_args()
    if args.side:
        child_train(args)
        return
    if args.score:
        child_score(args)
        return

    common = [
        "--data-dir", str(args.data_dir), "--feature-set", args.feature_set,
        "--era-step", str(args.era_step), "--trees", str(args.trees),
        "--threads", str(args.threads), "--val-era-step", str(args.val_era_step),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        files = {side: str(Path(tmp) / f"{side}.json") for side in ("numerpilot", "recipe")}
        runs = {}
        for side in ("recipe", "numerpilot"):
            runs[side] = run_child(__file__, [*common, "--side", side, "--boosters", files[side]])
            print(json.dumps(runs[side]), flush=True)
        scored = run_child(
            __file__,
            [*common, "--score", "--numerpilot", files["numerpilot"], "--recipe", files["recipe"]],
        )
    print(json.dumps(scored), flush=True)
    ours, theirs = runs["numerpilot"], runs["recipe"]
    print(
        f"\n{ours['rows']:,} training rows (every {args.era_step}th era) x {ours['features']} "
        f"features, {len(TARGETS)} targets, {args.trees} trees each, {args.threads} thread(s)"
    )
    for side, run in runs.items():
        s = scored["scores"][side]
        print(
            f"{side:>10}: {run['seconds']:8.1f} s wall, {run['cpu_seconds']:8.1f} s CPU, "
            f"peak RSS {run['peak_rss'] / 2**30:6.2f} GiB, "
            f"validation corr {s['corr_mean']:.4f} (sharpe {s['corr_sharpe']:.2f})"
        )
    print(
        f"numerpilot is {theirs['seconds'] / ours['seconds']:.2f}x faster in wall time, "
        f"{theirs['cpu_seconds'] / ours['cpu_seconds']:.2f}x in CPU time, "
        f"peak RSS {ours['peak_rss'] / theirs['peak_rss']:.2f}x the recipe's; "
        f"the two ensembles' predictions correlate {scored['prediction_corr']:.4f}"
    )
    # Tree building is the same LightGBM work on both sides; only the rest can differ. Even a
    # trainer whose data preparation cost nothing could be at most this much faster.
    for side, run in runs.items():
        prep = run["cpu_seconds_to_data"]
        print(
            f"{side:>10}: {prep:8.1f} s CPU to read and prepare the data, "
            f"{run['cpu_seconds'] - prep:8.1f} s CPU after it (binning inside fit and trees)"
        )
    trees_cpu = ours["cpu_seconds"] - ours["cpu_seconds_to_data"]
    print(
        f"bound: the recipe's CPU time over numerpilot's tree building alone: "
        f"{theirs['cpu_seconds'] / trees_cpu:.2f}x"
    )
    if "oracle" in scored["scores"]:
        oracle = scored["scores"]["oracle"]["corr_mean"]
        share = scored["scores"]["numerpilot"]["corr_mean"] / oracle
        print(f"share of the generator's best possible corr ({oracle:.4f}): {share:.2f}")


if __name__ == "__main__":
    main()
