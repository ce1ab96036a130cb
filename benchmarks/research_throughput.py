"""Trials on Dask against trials one after another, and the scale-out that implies.

Runs the same N trials (an experiment's grid on a synthetic world) twice in one run:
  baseline: one after another in this process, LightGBM on all cores;
  Dask:     on a 2-worker LocalCluster (processes), one LightGBM thread per worker.
Prints the wall ratio, the CPU efficiency of the Dask run (the trials' CPU seconds over
workers x wall), Dask's overhead per trial, and then, from the measured per-trial time, the
bytes each trial moves and the scheduler's cost per task (measured with no-op tasks), the
trials per hour a cluster of 1..64 workers would reach on paper.

How each figure is taken: a trial's CPU is its worker process's (every thread: LightGBM's
and Arrow's readers'); workers import numpy, LightGBM and numerpilot before the clock
starts (a long-running cluster has); Dask's overhead is the time a worker waited between
handing in one trial and starting the next (and from submission to its first), measured on
the machine's monotonic clock, which every process shares; the tail (one worker done, the
other on its last trial) is load imbalance and printed apart. The load average at the start
and end of each half, and the share of a trial's wall time its thread sat runnable waiting
for a core, say how busy the machine was: on a shared machine both halves slow down.

    python benchmarks/research_throughput.py --data-dir /tmp/small/data [--trials 16]

``--data-dir`` holds VERSION/ of a world from ``numerpilot data synth --scale small``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXPERIMENT = """
[search]
method = "grid"
trials = {trials}
finalists = 1

[evaluation]
# No tournament here: the file's multipliers (the default asks Numerai's API).
multipliers = "file"
cv_folds = 3
holdout_eras = 24

[scout]
era_step_factor = 1

[space]
feature_set = ["small"]
targets = [["target"]]
era_step = [4]

[space.params]
n_estimators = [{trees}]
learning_rate = [0.01, 0.02, 0.03, 0.05]
num_leaves = [15, 31, 47, 63]
min_child_samples = [200]
"""
# A shared file system's bandwidth and the network's, for the paper scale-out (assumptions).
STORAGE_BYTES_PER_S = 1e9
NETWORK_BYTES_PER_S = 1.25e8


def _cpu() -> float:
    """CPU seconds of this whole process: every thread (LightGBM's, Arrow's readers'), not
    only the one running the trial. A worker runs one trial at a time, so that is the
    trial's; the worker's own event loop adds a little (counted against the trial)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _waited() -> float:
    """Seconds the thread running the trial (LightGBM's only thread, on one core) sat
    runnable but waiting for a core (Linux schedstat): what other processes took from it."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")  # not Linux


def timed_trial(task: Any) -> dict[str, Any]:
    """One trial with its wall and CPU seconds, its start and end on the machine's monotonic
    clock (shared by every process), and the time its threads waited for a core."""
    from numerpilot.research._evaluate import run_trial

    start, cpu, waited = time.monotonic(), _cpu(), _waited()
    outcome = run_trial(task)
    end = time.monotonic()
    return {
        "outcome": outcome,
        "start": start,
        "end": end,
        "wall": end - start,
        "cpu": _cpu() - cpu,
        "waited": _waited() - waited,
        "pid": os.getpid(),
    }


def _warm() -> None:
    """What a long-running worker has already imported (not a trial's cost)."""
    import lightgbm  # noqa: F401

    import numerpilot.research._evaluate  # noqa: F401


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _gaps(runs: list[dict[str, Any]], submitted: float) -> tuple[list[float], float]:
    """Per worker, the time between handing in one trial and starting the next (and from
    submission to its first): Dask's overhead. Apart: the tail, when a worker had no trial
    left while another finished its last (load imbalance, not overhead)."""
    gaps: list[float] = []
    ends = []
    for pid in {r["pid"] for r in runs}:
        mine = sorted((r for r in runs if r["pid"] == pid), key=lambda r: r["start"])
        previous = submitted
        for r in mine:
            gaps.append(r["start"] - previous)
            previous = r["end"]
        ends.append(previous)
    return gaps, max(ends) - min(ends)


def noop(x: int) -> int:
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--trees", type=int, default=300)
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from numerpilot.config import load_settings
    from numerpilot.research._space import grid
    from numerpilot.research.plan import plan_experiment

    project = Path(tempfile.mkdtemp(prefix="research-throughput-"))
    (project / "data").symlink_to(args.data_dir.resolve())
    (project / "experiments").mkdir()
    (project / "experiments" / "t.toml").write_text(
        EXPERIMENT.format(trials=args.trials, trees=args.trees)
    )
    settings = load_settings(project)
    plan = plan_experiment(settings, "t", workers=2)
    configs = list(grid(plan.experiment.space))[: args.trials]
    cores = os.cpu_count() or 1

    def task(i: int, threads: int) -> Any:
        from numerpilot.research._evaluate import SCOUT, TrialTask

        c = configs[i]
        return TrialTask(
            experiment="t", phase=SCOUT, number=i, config=c, features=plan.features_of(c),
            era_step=c.era_step, folds=plan.experiment.evaluation.cv_folds, embargo=plan.embargo,
            last_search_era=plan.last_search_era, holdout_eras=plan.holdout_eras,
            paths=plan.paths, evaluation=plan.experiment.evaluation, benchmark=None,
            num_threads=threads, memory_budget=plan.budget_per_worker,
        )  # fmt: skip

    _warm()
    loads = {"sequential_start": _load()}
    started = time.monotonic()
    sequential = [timed_trial(task(i, cores)) for i in range(len(configs))]
    seq_wall = time.monotonic() - started
    loads["sequential_end"] = _load()
    print(f"sequential: {seq_wall:.1f} s, load {loads}", file=sys.stderr, flush=True)

    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0",
        memory_limit=0,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        client.gather(client.map(noop, range(4)))  # workers up
        client.run(_warm)
        loads["dask_start"] = _load()
        submitted = time.monotonic()
        futures = client.map(timed_trial, [task(i, 1) for i in range(len(configs))], pure=False)
        parallel = client.gather(futures)
        dask_wall = time.monotonic() - submitted
        loads["dask_end"] = _load()
        # The scheduler's cost per task: no-op tasks, submitted and gathered.
        n = 2000
        started = time.perf_counter()
        client.gather(client.map(noop, range(n), pure=False))
        per_task = (time.perf_counter() - started) / n
    workers = 2
    trial_walls = [r["wall"] for r in parallel]
    trial_cpu = sum(r["cpu"] for r in parallel)
    gaps, tail = _gaps(parallel, submitted)
    overhead = sum(gaps) / len(configs)
    mean_trial = sum(trial_walls) / len(trial_walls)
    same = all(
        a["outcome"].scores == b["outcome"].scores
        for a, b in zip(sequential, parallel, strict=True)
    )
    payload = len(pickle.dumps(task(0, 1))) + len(pickle.dumps(parallel[0]["outcome"]))
    data_bytes = Path(plan.paths.train).stat().st_size  # each trial reads (part of) train

    figures: dict[str, Any] = {
        "trials": len(configs),
        "cores": cores,
        "sequential_wall_s": round(seq_wall, 1),
        "dask_wall_s": round(dask_wall, 1),
        "wall_ratio": round(seq_wall / dask_wall, 2),
        "load_average_1m_5m_15m": loads,
        "cpu_efficiency": round(trial_cpu / (workers * dask_wall), 3),
        "trial_cpu_over_trial_wall": round(trial_cpu / sum(trial_walls), 3),
        "trial_thread_waiting_for_a_core_share": round(
            sum(r["waited"] for r in parallel) / sum(trial_walls), 3
        ),
        "sequential_cpu_over_cores_x_wall": round(
            sum(r["cpu"] for r in sequential) / (cores * seq_wall), 3
        ),
        "mean_trial_s_1_thread": round(mean_trial, 2),
        "mean_trial_s_all_cores": round(sum(r["wall"] for r in sequential) / len(configs), 2),
        "dask_overhead_per_trial_s": round(overhead, 4),
        "dask_overhead_share": round(overhead / mean_trial, 4),
        "tail_idle_s": round(tail, 2),
        "same_scores_both_ways": same,
        "scheduler_s_per_task": per_task,
        "task_payload_bytes": payload,
        "train_file_bytes": data_bytes,
    }
    # On paper: each worker runs trials back to back; a trial costs its compute, its task's
    # transfer and its read of the data; the scheduler serves every task, and the shared
    # storage every read, one at a time.
    per_trial = mean_trial + payload / NETWORK_BYTES_PER_S + overhead
    one = 3600 / (per_trial + data_bytes / STORAGE_BYTES_PER_S)
    paper = []
    for w in (1, 2, 4, 8, 16, 32, 64):
        read = data_bytes / STORAGE_BYTES_PER_S
        # Reads from w workers share the storage; tasks share the scheduler.
        cycle = max(per_trial + read, w * read, w * per_task)
        rate = 3600 * w / cycle
        paper.append(
            {"workers": w, "trials_per_hour": round(rate), "efficiency": round(rate / (w * one), 3)}
        )
    figures["paper"] = paper
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
