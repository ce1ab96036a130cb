"""Where training time goes once the data is binned: LightGBM's time per tree, by layout.

Tree building is the part of training that numerpilot and the recipe share: the same
``lightgbm`` builds the same trees from the same bins. This measures it on the data of
``train_vs_recipe.py`` (medium set, every 10th era of full-scale train, ``target``) with the
default parameters (Numerai's example model), for LightGBM's histogram layouts: column-wise
(what numerpilot forces), row-wise, and LightGBM's own choice (it times both first), and
quantised gradients, on one and on two threads; each line says whether it built the same trees
as column-wise on one thread.

    nice -n 10 .venv/bin/python benchmarks/tree_time.py [--trees 200] [--era-step 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from _child import run_child

DEFAULT_DIR = Path("/tmp/numerpilot-full/v5.3")
LAYOUTS = {
    "column-wise": {"force_col_wise": True},
    "row-wise": {"force_row_wise": True},
    "LightGBM's choice": {"force_col_wise": False},
    # Not the same model: gradients rounded to a few bits for cheaper histograms.
    "quantised gradients": {"force_col_wise": True, "use_quantized_grad": True},
}


def _params(trees: int, threads: int) -> dict[str, Any]:
    from numerpilot.config import LightGBMParams
    from numerpilot.models import booster_params

    p = LightGBMParams(n_estimators=trees, early_stopping_rounds=0, num_threads=threads)
    return booster_params(p, seed=0)


def child_bin(args: argparse.Namespace) -> None:
    """Bin the rows as ``numerpilot train`` does and save LightGBM's binary Dataset."""
    import numpy as np

    from numerpilot.data import memory_budget, read_feature_metadata, resolve_features
    from numerpilot.models import TrainingFile

    meta = read_feature_metadata(args.data_dir / "features.json")
    features = resolve_features(meta, "medium")
    file = TrainingFile(args.data_dir / "train.parquet", features, ["target"], memory_budget())
    index = file.index(args.era_step)
    reference = file.reference(index, index.labels, _params(args.trees, 1))
    rows = file.streamed(index, index.labels, reference)
    rows.dataset.save_binary(str(args.work / "train.bin"))
    np.save(args.work / "labels.npy", rows.labels("target"))
    print(json.dumps({"rows": rows.dataset.num_data(), "features": len(features)}))


def child_trees(args: argparse.Namespace) -> None:
    import lightgbm as lgb
    import numpy as np

    from numerpilot.clock import monotonic

    params = _params(args.trees, args.threads)
    params.pop("force_col_wise")  # numerpilot's choice, replaced by the layout measured
    params.update(LAYOUTS[args.layout])
    dataset = lgb.Dataset(str(args.work / "train.bin"), params=params).construct()
    dataset.set_label(np.load(args.work / "labels.npy"))
    start = monotonic()
    booster = lgb.train(params, dataset, num_boost_round=args.trees)
    seconds = monotonic() - start
    trees = booster.model_to_string().split("\nparameters:")[0]  # the trees, not the settings
    print(
        json.dumps(
            {
                "ms_per_tree": seconds / args.trees * 1000,
                "trees_sha256": hashlib.sha256(trees.encode()).hexdigest(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--era-step", type=int, default=10)
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--layout", choices=list(LAYOUTS))
    parser.add_argument("--bin", action="store_true")
    args = parser.parse_args()
    if args.bin:
        child_bin(args)
        return
    if args.layout:
        child_trees(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        common = ["--data-dir", str(args.data_dir), "--era-step", str(args.era_step),
                  "--trees", str(args.trees), "--work", tmp]  # fmt: skip
        shape = run_child(__file__, [*common, "--bin"])
        print(
            f"{shape['rows']:,} rows x {shape['features']} features (every {args.era_step}th "
            f"era), target, {args.trees} trees of Numerai's example parameters"
        )
        reference = None
        for threads in (1, 2):
            for layout in LAYOUTS:
                run = run_child(__file__, [*common, "--layout", layout, "--threads", str(threads)])
                reference = reference or run["trees_sha256"]  # column-wise on one thread
                same = "the same trees" if run["trees_sha256"] == reference else "other trees"
                print(
                    f"{layout:>19}, {threads} thread(s): {run['ms_per_tree']:6.1f} ms a tree, "
                    f"{same}"
                )


if __name__ == "__main__":
    main()
