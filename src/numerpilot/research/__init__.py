"""Research: experiments as files, trials as Dask tasks, honest out-of-fold and holdout
scores, promotion of a winner. The only package that imports dask and optuna."""

from numerpilot.research.evaluate import TrialScores
from numerpilot.research.plan import ExperimentPlan, plan_experiment
from numerpilot.research.runner import ExperimentProgress, RunReport, run_experiment
from numerpilot.research.space import TrialConfig
from numerpilot.research.spec import Experiment, experiment_path, load_experiment
from numerpilot.research.store import ExperimentRecord, TrialRecord, TrialStore

__all__ = [
    "Experiment",
    "ExperimentPlan",
    "ExperimentProgress",
    "ExperimentRecord",
    "RunReport",
    "TrialConfig",
    "TrialRecord",
    "TrialScores",
    "TrialStore",
    "experiment_path",
    "load_experiment",
    "plan_experiment",
    "run_experiment",
]
