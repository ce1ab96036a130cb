"""kill -9 in the middle of an experiment, then a rerun: finished trials are not repeated and
the results equal those of an uninterrupted run with the same seed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from numerpilot.agent import Ledger, ResearchLedger
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.research.plan import plan_experiment
from numerpilot.research.runner import run_experiment
from numerpilot.research.store import TrialRecord
from tests.research.conftest import FAST_EXPERIMENT, make_project

CLOCK = SteppedClock(datetime(2026, 3, 3, tzinfo=UTC))
# TPE in batches of two, with scouting: six scouts, two at full scale, the holdout.
TPE_EXPERIMENT = (
    FAST_EXPERIMENT.replace('method = "grid"', 'method = "tpe"\nbatch = 2\nseed = 7')
    .replace("trials = 2", "trials = 6")
    .replace("learning_rate = [0.05, 0.2]", "learning_rate = {low = 0.02, high = 0.3, log = true}")
    .replace("num_leaves = [7]", "num_leaves = [5, 7, 15]")
)
KILL_AFTER = 3  # mid-way through the second batch of scouts


def _run(project: Path) -> tuple[int, int, list[TrialRecord]]:
    settings = load_settings(project)
    with Ledger(settings.ledger_path, CLOCK) as ledger:
        store = ResearchLedger(ledger)
        plan = plan_experiment(settings, "tpe", workers=2)
        report = run_experiment(settings, plan, store, processes=False)
        return report.ran, report.reused, store.trials("tpe")


def _results(trials: list[TrialRecord]) -> dict[tuple[str, int], tuple[str, object, object]]:
    return {(t.phase, t.number): (t.config_hash, t.objective, t.per_era) for t in trials}


@pytest.mark.slow  # two runs of nine trials and a killed one: about a minute on 2 cores
def test_a_killed_experiment_resumes_without_repeating_trials(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    killed = make_project(tmp_path / "killed", demo_data_dir, {"tpe": TPE_EXPERIMENT})
    child = subprocess.run(
        [sys.executable, "-m", "tests.research.crash_proc", str(killed), "tpe", str(KILL_AFTER)],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        timeout=600,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    settings = load_settings(killed)
    with Ledger(settings.ledger_path, CLOCK) as ledger:
        store = ResearchLedger(ledger)
        before = {(t.phase, t.number): t.finished_at for t in store.trials("tpe")}
        pending = store.pending("tpe", "scout")
    assert len(before) == KILL_AFTER and pending  # the batch in flight was left pending

    ran, reused, resumed = _run(killed)
    assert reused == KILL_AFTER
    after = {(t.phase, t.number): t.finished_at for t in resumed}
    assert all(after[k] == v for k, v in before.items())  # finished trials were not re-run

    whole = make_project(tmp_path / "whole", demo_data_dir, {"tpe": TPE_EXPERIMENT})
    ran_whole, reused_whole, uninterrupted = _run(whole)
    assert reused_whole == 0 and ran + reused == ran_whole == 6 + 2 + 2 + 1
    assert _results(resumed) == _results(uninterrupted)
