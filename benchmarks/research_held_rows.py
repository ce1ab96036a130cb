"""What reading a trial's rows once saves: the same trials with rows held, and streamed.

Runs the throughput benchmark's first N grid trials (small world, every 4th era, 3 folds) one
after another in this process, once as trials run (a worker reads the trial's eras once and
slices them for every fold and the next trial) and once reading the parquet file for every
fold's bin sample, training eras and test eras, as before. Scores must be equal.

    python benchmarks/research_held_rows.py --data-dir /tmp/small/data [--trials 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from research_throughput import EXPERIMENT


def run(data_dir: Path, trials: int, streamed: bool) -> tuple[list[float], list[Any]]:
    from numerpilot.config import load_settings
    from numerpilot.research import _evaluate
    from numerpilot.research._evaluate import SCOUT, TrialTask, run_trial
    from numerpilot.research._space import grid
    from numerpilot.research.plan import plan_experiment

    if streamed:
        _evaluate.held_if_it_fits = lambda file, index: file  # type: ignore[assignment]
    project = Path(tempfile.mkdtemp(prefix="research-held-"))
    (project / "data").symlink_to(data_dir.resolve())
    (project / "experiments").mkdir()
    (project / "experiments" / "t.toml").write_text(EXPERIMENT.format(trials=16, trees=300))
    plan = plan_experiment(load_settings(project), "t", workers=2)
    walls, scores = [], []
    for c in list(grid(plan.experiment.space))[:trials]:
        task = TrialTask(
            experiment="t", phase=SCOUT, number=0, config=c, features=plan.features_of(c),
            era_step=c.era_step, folds=3, embargo=plan.embargo,
            last_search_era=plan.last_search_era, holdout_eras=plan.holdout_eras,
            paths=plan.paths, evaluation=plan.experiment.evaluation, benchmark=None,
            num_threads=1, memory_budget=plan.budget_per_worker,
        )  # fmt: skip
        started = time.perf_counter()
        scores.append(run_trial(task).scores)
        walls.append(time.perf_counter() - started)
    return walls, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--mode", choices=["held", "streamed"])
    args = parser.parse_args()
    if args.mode:  # one side, in a fresh process
        walls, scores = run(args.data_dir, args.trials, args.mode == "streamed")
        print(json.dumps([walls, [s.corr_mean for s in scores]]))
        return
    out = {}
    for mode in ("streamed", "held"):
        text = subprocess.run(
            [sys.executable, __file__, "--data-dir", str(args.data_dir), "--trials",
             str(args.trials), "--mode", mode],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        out[mode] = json.loads(text)
    (streamed, s1), (held, s2) = out["streamed"], out["held"]
    print(f"streamed: {[round(w, 2) for w in streamed]} = {sum(streamed):.1f} s")
    print(f"held:     {[round(w, 2) for w in held]} = {sum(held):.1f} s")
    print(f"held / streamed: {sum(held) / sum(streamed):.2f}; same scores: {s1 == s2}")


if __name__ == "__main__":
    main()
