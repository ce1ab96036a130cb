"""Research: experiments as files, trials as Dask tasks, honest out-of-fold and holdout
scores, promotion of a winner. The only package that imports dask and optuna.

The face loads its modules on first use: the CLI, the agent and the MCP server import it
cheaply, and pay for numpy, LightGBM and Dask only when a name is actually used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.research._evaluate import TrialScores
    from numerpilot.research._report import write_experiment_report
    from numerpilot.research._space import TrialConfig
    from numerpilot.research._spec import (
        Experiment,
        experiment_path,
        load_experiment,
        starter_experiment,
    )
    from numerpilot.research.plan import ExperimentPlan, plan_experiment
    from numerpilot.research.promote import stored_holdout_corr, train_winner
    from numerpilot.research.results import ExperimentSummary, experiment_summary, summary_json
    from numerpilot.research.runner import (
        ExperimentProgress,
        RunReport,
        run_experiment,
        scheduler_address,
    )
    from numerpilot.research.store import ExperimentRecord, TrialRecord, TrialStore

# Public name -> the module that defines it.
_WHERE = {
    "Experiment": "_spec",
    "ExperimentPlan": "plan",
    "ExperimentProgress": "runner",
    "ExperimentRecord": "store",
    "ExperimentSummary": "results",
    "RunReport": "runner",
    "TrialConfig": "_space",
    "TrialRecord": "store",
    "TrialScores": "_evaluate",
    "TrialStore": "store",
    "experiment_path": "_spec",
    "experiment_summary": "results",
    "load_experiment": "_spec",
    "plan_experiment": "plan",
    "run_experiment": "runner",
    "scheduler_address": "runner",
    "starter_experiment": "_spec",
    "stored_holdout_corr": "promote",
    "summary_json": "results",
    "train_winner": "promote",
    "write_experiment_report": "_report",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=True)


__all__ = [
    "Experiment",
    "ExperimentPlan",
    "ExperimentProgress",
    "ExperimentRecord",
    "ExperimentSummary",
    "RunReport",
    "TrialConfig",
    "TrialRecord",
    "TrialScores",
    "TrialStore",
    "experiment_path",
    "experiment_summary",
    "load_experiment",
    "plan_experiment",
    "run_experiment",
    "scheduler_address",
    "starter_experiment",
    "stored_holdout_corr",
    "summary_json",
    "train_winner",
    "write_experiment_report",
]
