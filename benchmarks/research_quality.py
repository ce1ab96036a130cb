"""Does the search find a better model, honestly? The winner against the default model.

For each synthetic world given (``numerpilot data synth --scale small --seed S``), runs one
experiment on a 2-worker LocalCluster over the space the issue's hand-tuned run points to
(all eras, depth 6, 64 leaves, min_child_samples 5000, bagging 0.8, colsample 0.1, lr 0.02
with more trees): medium or all features x target alone or the three-target ensemble x with
or without the benchmark model as an input. Scouts train on every 4th era; the best two
re-run on all eras; then the final holdout (the latest validation eras with targets, never
searched). The baseline is numerpilot's default configuration (Numerai's example model:
medium features, three targets, every 4th era, 2000 trees), fitted on the same eras and
scored on the same holdout eras. The ceiling is the generator's oracle on those eras.

    python benchmarks/research_quality.py /tmp/small0/data /tmp/small1/data [--trials 8]

``--trials N`` runs the grid's first N scouts (the rest of the grid is not searched);
``--project DIR`` (once per world) keeps the run in DIR, so that running it again resumes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
[search]
method = "grid"
trials = {trials}
finalists = 2

[evaluation]
# No tournament here: the file's multipliers (the default asks Numerai's API).
multipliers = "file"
objective = "corr"
cv_folds = 3
holdout_eras = 40

[scout]
era_step_factor = 4

[resources]
workers = {workers}

[space]
feature_set = ["medium", "all"]
targets = [["target"], ["target", "target_cyrusd_20", "target_teager2b_20"]]
era_step = [1]
benchmark_inputs = [false, true]

[space.params]
n_estimators = [{trees}]
learning_rate = [0.02]
max_depth = [6]
num_leaves = [64]
min_child_samples = [5000]
bagging_fraction = [0.8]
colsample_bytree = [0.1]
"""


def oracle_corr(version_dir: Path, eras: list[str]) -> float:
    import numpy as np

    from numerpilot.data import load_dataset, load_predictions
    from numerpilot.scoring import numerai_corr

    rows = load_dataset(
        version_dir / "validation.parquet", features=[], targets=["target"], eras=set(eras)
    )
    oracle = load_predictions(version_dir / "oracle" / "validation.parquet")
    values = oracle["prediction"].reindex(rows.ids).to_numpy()
    return float(np.nanmean(numerai_corr(values, rows.targets[:, 0], rows.eras)))


def paired(
    winner: dict[str, dict[str, float]], base: dict[str, dict[str, float]]
) -> dict[str, float]:
    """The winner against the default on the same holdout eras, era by era: the mean gain, its
    standard error, the eras the winner wins, and a 95 % bootstrap interval of the ratio of
    means (eras resampled, seed 0): how much of the ratio the 40 eras can tell apart."""
    import numpy as np

    eras = sorted(set(winner) & set(base))
    w = np.array([winner[e]["corr"] for e in eras], dtype=float)
    b = np.array([base[e]["corr"] for e in eras], dtype=float)
    gain = w - b
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(eras), size=(10_000, len(eras)))
    ratios = w[draws].mean(axis=1) / b[draws].mean(axis=1)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return {
        "gain_mean": round(float(gain.mean()), 4),
        "gain_standard_error": round(float(gain.std(ddof=1) / np.sqrt(len(eras))), 4),
        "eras_won": f"{int((gain > 0).sum())} of {len(eras)}",
        "ratio_95_interval": [round(float(low), 2), round(float(high), 2)],
    }


def one_world(
    data_dir: Path, project: Path, trees: int, workers: int, trials: int
) -> dict[str, object]:
    from datetime import UTC, datetime

    from numerpilot.agent import Ledger, ResearchLedger
    from numerpilot.clock import SteppedClock
    from numerpilot.config import load_settings
    from numerpilot.research.plan import plan_experiment
    from numerpilot.research.results import experiment_summary
    from numerpilot.research.runner import run_experiment

    # The same project again resumes an interrupted run (finished trials are kept).
    (project / "experiments").mkdir(parents=True, exist_ok=True)
    if not (project / "data").exists():
        (project / "data").symlink_to(data_dir.resolve())
    (project / "experiments" / "q.toml").write_text(
        EXPERIMENT.format(trees=trees, workers=workers, trials=trials)
    )
    settings = load_settings(project)  # no numerpilot.toml: the defaults are the baseline
    started = time.perf_counter()
    plan = plan_experiment(settings, "q")
    with Ledger(settings.ledger_path, SteppedClock(datetime(2026, 3, 3, tzinfo=UTC))) as ledger:
        store = ResearchLedger(ledger)
        run_experiment(settings, plan, store)
        record = store.experiment("q")
        assert record is not None
        summary = experiment_summary(store, record)
    winner, base = summary.winner, summary.baseline
    assert winner is not None and winner.holdout and winner.cv and base and base.holdout
    oracle = oracle_corr(data_dir / plan.version, plan.holdout_eras)
    return {
        "world": str(data_dir),
        "holdout_eras": f"{plan.holdout_eras[0]}-{plan.holdout_eras[-1]}",
        "winner": winner.config.describe(),
        "winner_cv_corr": round(winner.cv.corr_mean, 4),
        "winner_holdout_corr": round(winner.holdout.corr_mean, 4),
        "cv_to_holdout_drop": round(winner.drop, 4),
        "default_holdout_corr": round(base.holdout.corr_mean, 4),
        "winner_over_default": round(winner.holdout.corr_mean / base.holdout.corr_mean, 2),
        "winner_against_default_per_era": paired(winner.holdout_per_era, base.holdout_per_era),
        "oracle_holdout_corr": round(oracle, 4),
        "winner_share_of_oracle": round(winner.holdout.corr_mean / oracle, 3),
        "default_share_of_oracle": round(base.holdout.corr_mean / oracle, 3),
        "finalists": [
            {
                "config": f.config.describe(),
                "cv": round(f.cv.corr_mean, 4) if f.cv else None,
                "holdout": round(f.holdout.corr_mean, 4) if f.holdout else None,
            }
            for f in summary.finalists
        ],
        "wall_s": round(time.perf_counter() - started),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dirs", type=Path, nargs="+")
    parser.add_argument("--trees", type=int, default=1000, help="Trees per target (lr 0.02).")
    parser.add_argument("--workers", type=int, default=2, help="Dask workers of the run.")
    parser.add_argument("--trials", type=int, default=8, help="Scout trials (of the grid's 8).")
    parser.add_argument(
        "--project",
        type=Path,
        action="append",
        help="Project folder per world (again: resume it); default: a new temporary one.",
    )
    args = parser.parse_args()
    projects = args.project or [
        Path(tempfile.mkdtemp(prefix="research-quality-")) for _ in args.data_dirs
    ]
    for d, p in zip(args.data_dirs, projects, strict=True):  # one document per world
        print(
            json.dumps(one_world(d, p, args.trees, args.workers, args.trials), indent=1), flush=True
        )


if __name__ == "__main__":
    main()
