"""Training on all features of full-scale train, every 4th era and all eras, within 24 GB.

numerpilot: the real ``numerpilot train`` pipeline (``train_model``) on a project whose
``data/v5.3`` is the full synthetic set: feature set ``all`` (3,555 features), the default 3
targets, the default holdout and embargo, validation predicted and scored. Few trees
(``--trees``): memory peaks while the rows are binned and in the first trees, and the number
of trees does not change it. Each run is its own subprocess and reports its peak RSS.

The recipe (``pd.read_parquet`` of every column it needs, the era mask, then per target a
float ``X[mask]`` for ``LGBMRegressor``) is measured where it fits (``--recipe-data``, e.g. the
small synthetic scale) against ``recipe_estimate``, and it is run on the full data under an
address-space limit (``--recipe-limit-gb``), where it fails.

    nice -n 10 .venv/bin/python benchmarks/train_all_features.py \\
        [--data-dir /tmp/numerpilot-full/v5.3] [--recipe-data /tmp/np-small/v5.3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from _child import peak_rss, run_child

DEFAULT_DIR = Path("/tmp/numerpilot-full/v5.3")
TARGETS = ["target", "target_cyrusd_20", "target_teager2b_20"]
GIB = 2**30


def child_numerpilot(args: argparse.Namespace) -> None:
    from numerpilot.clock import SystemClock, monotonic
    from numerpilot.config import LightGBMParams, load_settings
    from numerpilot.pipeline import train_model

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "data").mkdir()
        (project / "data" / args.data_dir.name).symlink_to(args.data_dir.resolve())
        settings = load_settings(
            project,
            data={"version": args.data_dir.name, "memory_budget_fraction": args.budget},
            train={"feature_set": "all", "era_step": args.era_step, "targets": TARGETS},
        )
        settings.train.params = LightGBMParams(n_estimators=args.trees, num_threads=args.threads)
        start = monotonic()
        report = train_model(settings, clock=SystemClock(), name="all-features")
        seconds = monotonic() - start
    m = report.manifest
    print(
        json.dumps(
            {
                "side": "numerpilot",
                "era_step": args.era_step,
                "rows": m.train_rows,
                "features": len(m.features),
                "seconds": seconds,
                "peak_rss": peak_rss(),
                "int8_bytes": m.train_rows * len(m.features),
                "validation_corr": m.validation["ensemble"].corr_mean,
            }
        )
    )


def child_recipe(args: argparse.Namespace) -> None:
    """The recipe up to its first fitted booster: that is where its memory peaks."""
    import numpy as np

    step = "start"
    try:
        import pandas as pd
        from lightgbm import LGBMRegressor

        from numerpilot.data import read_feature_metadata

        features = read_feature_metadata(args.data_dir / "features.json").feature_sets["all"]
        step = "read_parquet"
        train = pd.read_parquet(
            args.data_dir / "train.parquet", columns=["era", *features, *TARGETS]
        )
        all_rows = len(train)
        step = "era mask"
        train = train[train["era"].isin(train["era"].unique()[:: args.era_step])]
        step = "fit"
        known = train[TARGETS[0]].notna()
        model = LGBMRegressor(n_estimators=args.trees, n_jobs=args.threads, verbose=-1)
        model.fit(train.loc[known, features], train.loc[known, TARGETS[0]])
        step = "done"
        result: dict[str, Any] = {
            "rows": int(known.sum()),
            "all_rows": all_rows,
            "features": len(features),
        }
    except MemoryError as e:
        result = {"error": f"{type(e).__name__}: {str(e)[:120]}"}
    print(
        json.dumps(
            {
                "side": "recipe",
                "era_step": args.era_step,
                "reached": step,
                "peak_rss": peak_rss(),
                "numpy": np.__version__,
                **result,
            }
        )
    )


def recipe_estimate(rows_all: int, rows_kept: int, features: int) -> int:
    """A lower bound of the recipe's peak: while reading, about 2.7 bytes per int8 value of
    the whole file (Arrow buffers, the DataFrame; measured on the small scale); while fitting,
    the kept DataFrame, ``X[mask]``, LightGBM's float32 copy and its bins (7.1 bytes per
    value) plus LightGBM's float64 sample of up to 200,000 rows for the bin boundaries."""
    reading = 2.7 * rows_all * features
    fitting = 7.1 * rows_kept * features + 8 * min(200_000, rows_kept) * features
    return int(max(reading, fitting))


def _rows(data_dir: Path, era_step: int) -> tuple[int, int, int]:
    """Rows in the file, rows of every ``era_step``th era, and the ``all`` feature count."""
    from numerpilot.data import load_dataset, read_feature_metadata

    meta = read_feature_metadata(data_dir / "features.json")
    path = data_dir / "train.parquet"
    every = load_dataset(path, features=[])
    kept = load_dataset(path, features=[], era_step=era_step)
    return len(every), len(kept), len(meta.feature_sets["all"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--recipe-data", type=Path, help="where the recipe fits, to measure it")
    parser.add_argument("--era-steps", default="4,1")
    parser.add_argument("--trees", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=0.9, help="data.memory_budget_fraction")
    parser.add_argument("--recipe-limit-gb", type=float, default=16.0)
    parser.add_argument("--side", choices=["numerpilot", "recipe"])
    parser.add_argument("--era-step", type=int, default=4)
    args = parser.parse_args()
    if args.side == "numerpilot":
        child_numerpilot(args)
        return
    if args.side == "recipe":
        child_recipe(args)
        return

    steps = [int(s) for s in args.era_steps.split(",")]
    common = ["--trees", str(args.trees), "--threads", str(args.threads)]
    if args.recipe_data is not None:
        for step in steps:
            run = run_child(__file__,
                [*common, "--side", "recipe", "--data-dir", str(args.recipe_data),
                 "--era-step", str(step)],
                check=False,
            )  # fmt: skip
            print(json.dumps(run), flush=True)
            if "rows" in run:
                need = recipe_estimate(run["all_rows"], run["rows"], run["features"])
                print(
                    f"recipe on {args.recipe_data} (every {step}th era): peak RSS "
                    f"{run['peak_rss'] / GIB:.2f} GiB, estimate {need / GIB:.2f} GiB",
                    flush=True,
                )
    for step in steps:
        ours = run_child(__file__,
            [*common, "--side", "numerpilot", "--data-dir", str(args.data_dir),
             "--era-step", str(step), "--budget", str(args.budget)],
            check=False,
        )  # fmt: skip
        print(json.dumps(ours), flush=True)
        if "rows" in ours:
            rows, f = ours["rows"], ours["features"]
            print(
                f"numerpilot, every {step}th era: {rows:,} rows x {f} features "
                f"(int8 {ours['int8_bytes'] / GIB:.2f} GiB): peak RSS "
                f"{ours['peak_rss'] / GIB:.2f} GiB in {ours['seconds']:.0f} s",
                flush=True,
            )
        rows_all, rows_kept, f = _rows(args.data_dir, step)
        need = recipe_estimate(rows_all, rows_kept, f)
        print(
            f"recipe estimate for the same data: {need / GIB:.1f} GiB "
            f"({rows_all:,} rows read, {rows_kept:,} kept x {f} features)",
            flush=True,
        )
        limit = int(args.recipe_limit_gb * GIB)
        theirs = run_child(__file__,
            [*common, "--side", "recipe", "--data-dir", str(args.data_dir),
             "--era-step", str(step)],
            limit_bytes=limit,
            check=False,
        )  # fmt: skip
        print(json.dumps(theirs), flush=True)
        print(
            f"recipe, every {step}th era, limited to {args.recipe_limit_gb:.0f} GiB of address "
            f"space: reached '{theirs.get('reached', '?')}', {theirs.get('error', 'no error')}",
            flush=True,
        )


if __name__ == "__main__":
    main()
