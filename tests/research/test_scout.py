"""Scouts are faithful small copies of their trials: row-count settings shrink with the rows."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from dask.distributed import Client

from numerpilot.config import load_settings
from numerpilot.research._cluster import ClusterInfo
from numerpilot.research._evaluate import FULL, SCOUT
from numerpilot.research._space import grid
from numerpilot.research.plan import plan_experiment
from numerpilot.research.runner import _Run
from numerpilot.research.store import TrialStore

SCOUTED = """
[search]
method = "grid"
trials = 1

[scout]
era_step_factor = 4

[space]
targets = [["target"]]
era_step = [2]

[space.params]
min_child_samples = [5000]
"""


def test_a_scout_on_a_quarter_of_the_rows_uses_a_quarter_of_min_child_samples(
    project: Path,
) -> None:
    (project / "experiments" / "scouted.toml").write_text(SCOUTED)
    plan = plan_experiment(load_settings(project), "scouted")
    info = ClusterInfo("inproc", workers=1, lightgbm_threads=1, dashboard=None, local=True)
    run = _Run(plan, cast(TrialStore, None), cast(Client, None), info, None)
    config = next(grid(plan.experiment.space))
    scout, full = run.task(SCOUT, 0, config), run.task(FULL, 0, config)
    assert (scout.era_step, scout.rows_share) == (8, 0.25)
    assert (full.era_step, full.rows_share) == (2, 1.0)
    assert config.lightgbm(rows_share=scout.rows_share).min_child_samples == 1250
    assert config.lightgbm(rows_share=full.rows_share).min_child_samples == 5000
    # Never below one row, whatever the share.
    assert config.lightgbm(rows_share=1e-9).min_child_samples == 1
