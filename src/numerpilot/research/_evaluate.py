"""Scoring one trial honestly: out of fold, era by era, with numerpilot's own metrics.

A trial's predictions come from ``models.fit`` (the code ``numerpilot train`` uses): walk-
forward folds over the eras the search may use, each fold trained only on eras more than the
embargo before its test block, so no training target shares its future with a tested one. The
finalists are then fitted on every search era and predict the final holdout (the latest
validation eras), which the search never saw. Every era is scored with CORR against the main
target, BMC against a benchmark model and MMC against the meta model where those files cover
the era; the payout score uses the tournament's multipliers.
"""

from __future__ import annotations

import logging
import math
import resource
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from numerpilot.clock import monotonic
from numerpilot.data import load_predictions
from numerpilot.errors import DataError
from numerpilot.models import (
    EnsembleRecipe,
    EraIndex,
    Predictions,
    TrainingFile,
    fit_ensemble,
    fold_predictions,
    predict_eras,
    walk_forward,
)
from numerpilot.models.benchmark_input import BenchmarkFile
from numerpilot.research._rows import held_if_it_fits
from numerpilot.research._space import TrialConfig
from numerpilot.research._spec import EvaluationSettings
from numerpilot.scoring import correlation_contribution, max_drawdown, summarize

log = logging.getLogger(__name__)

PAYOUT_CLIP = 0.05
META_COLUMN = "numerai_meta_model"
SCOUT, FULL, HOLDOUT = "scout", "full", "holdout"
BASELINE = "baseline"  # the project's configured model, scored on the holdout like finalists
FloatArrayOpt = npt.NDArray[np.float64] | None


@dataclass(frozen=True)
class DataPaths:
    """Where a worker reads the data: paths or fsspec URLs every worker can see."""

    train: str
    validation: str
    train_benchmark: str | None
    validation_benchmark: str | None
    meta_model: str | None


@dataclass(frozen=True)
class TrialTask:
    """Everything a worker needs for one trial, decided by the client (picklable)."""

    experiment: str
    phase: str  # SCOUT, FULL or HOLDOUT
    number: int
    config: TrialConfig
    features: list[str]
    era_step: int
    folds: int
    embargo: int
    last_search_era: int  # the search (and every fit) uses eras up to this number only
    holdout_eras: list[str]  # validation eras scored in the HOLDOUT phase
    paths: DataPaths
    evaluation: EvaluationSettings
    benchmark: str | None
    num_threads: int
    memory_budget: int
    multipliers_source: str = ""  # where evaluation's multipliers came from
    rows_share: float = 1.0  # a scout's share of the trial's eras; row counts scale with it


@dataclass(frozen=True)
class TrialScores:
    corr_mean: float
    corr_sharpe: float
    max_drawdown: float
    bmc_mean: float
    mmc_mean: float
    payout_mean: float
    eras: int
    # The multipliers payout_mean was computed with, and where they came from.
    corr_multiplier: float = math.nan
    mmc_multiplier: float = math.nan
    multipliers_source: str = ""

    def objective(self, name: str) -> float:
        return {
            "payout": self.payout_mean,
            "corr": self.corr_mean,
            "corr_sharpe": self.corr_sharpe,
            "bmc": self.bmc_mean,
            "mmc": self.mmc_mean,
        }[name]


@dataclass(frozen=True)
class TrialOutcome:
    scores: TrialScores
    per_era: dict[str, dict[str, float]]  # era -> {"corr", "bmc", "mmc", "payout"}
    seconds: float
    peak_memory_bytes: int
    worker: str = ""
    notes: list[str] = field(default_factory=list)


def search_index(file: TrainingFile, era_step: int, last_era: int) -> EraIndex:
    """The sampled eras of ``file`` up to ``last_era``."""
    index = file.index(era_step)
    keep = index.numbers <= last_era
    return EraIndex(index.labels[keep], index.numbers[keep], index.rows[keep])


def _aligned(path: str | None, column: str | None, ids: npt.NDArray[np.object_]) -> FloatArrayOpt:
    """``column`` of a predictions file in the order of ``ids`` (NaN where not covered)."""
    if path is None:
        return None
    frame = load_predictions(path)
    if column is None:
        names = [c for c in frame.columns if c not in ("era", "data_type")]
        if not names:
            return None
        column = names[0]
    if column not in frame.columns:
        return None
    values = frame[column].reindex(ids).to_numpy(dtype=np.float64)
    return values if np.isfinite(values).any() else None


def era_scores(
    predicted: Predictions,
    evaluation: EvaluationSettings,
    benchmark: FloatArrayOpt,
    meta: FloatArrayOpt,
    multipliers_source: str = "",
) -> tuple[TrialScores, dict[str, dict[str, float]]]:
    """Per-era CORR, BMC, MMC and payout of the ensemble, and their summary."""
    labels = np.unique(predicted.eras).tolist()
    # Constant predictions have no correlation: they earn nothing, they are not skipped.
    corr = np.nan_to_num(np.array(list(predicted.per_era_corr().values())), nan=0.0)
    nan = np.full(len(labels), np.nan)
    column = predicted.columns["ensemble"]

    def contribution(other: FloatArrayOpt) -> npt.NDArray[np.float64]:
        if other is None:
            return nan
        covered = np.isfinite(other)
        if not covered.any():
            return nan
        # Eras the file does not cover at all stay NaN (not scored), never zero.
        out = nan.copy()
        eras = predicted.eras[covered]
        scores = correlation_contribution(
            column[covered], other[covered], predicted.target[covered], eras
        )
        for era, value in zip(np.unique(eras).tolist(), np.atleast_1d(scores), strict=True):
            out[labels.index(era)] = float(value)
        return out

    bmc, mmc = contribution(benchmark), contribution(meta)
    # MMC where the meta model covers the era, BMC standing in elsewhere, else CORR alone.
    contrib = np.where(np.isfinite(mmc), mmc, np.where(np.isfinite(bmc), bmc, 0.0))
    payout = np.clip(
        evaluation.corr_multiplier * corr + evaluation.mmc_multiplier * contrib,
        -PAYOUT_CLIP,
        PAYOUT_CLIP,
    )
    s = summarize(corr)

    def mean(values: npt.NDArray[np.float64]) -> float:
        finite = values[np.isfinite(values)]
        return float(finite.mean()) if len(finite) else math.nan

    scores = TrialScores(
        corr_mean=s.mean,
        corr_sharpe=s.sharpe,
        max_drawdown=max_drawdown(corr),
        bmc_mean=mean(bmc),
        mmc_mean=mean(mmc),
        payout_mean=mean(payout),
        eras=s.eras,
        corr_multiplier=evaluation.corr_multiplier,
        mmc_multiplier=evaluation.mmc_multiplier,
        multipliers_source=multipliers_source,
    )
    per_era = {
        era: {"corr": float(c), "bmc": float(b), "mmc": float(m), "payout": float(p)}
        for era, c, b, m, p in zip(labels, corr, bmc, mmc, payout, strict=True)
    }
    return scores, per_era


def out_of_fold(
    recipe: EnsembleRecipe, file: TrainingFile, index: EraIndex, folds: int, embargo: int
) -> Predictions:
    """Walk-forward out-of-fold predictions of every era after the first block."""
    parts = [
        fold_predictions(recipe, file, index, fold)
        for fold in walk_forward(index.numbers, folds, embargo)
    ]
    return Predictions(
        ids=np.concatenate([p.ids for p in parts]),
        eras=np.concatenate([p.eras for p in parts]),
        target=np.concatenate([p.target for p in parts]),
        columns={c: np.concatenate([p.columns[c] for p in parts]) for c in parts[0].columns},
    )


def peak_memory_bytes() -> int:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _file(task: TrialTask, path: str, benchmark: str | None) -> TrainingFile:
    targets = list(task.config.targets)
    if not task.config.benchmark_inputs:
        return TrainingFile(path, task.features, targets, task.memory_budget)
    if benchmark is None:
        raise DataError(
            f"no benchmark models file beside {path}: 'space.benchmark_inputs' needs it",
            path=path,
        )
    return BenchmarkFile(
        path, task.features, targets, task.memory_budget, benchmark, task.benchmark
    )


def run_trial(task: TrialTask) -> TrialOutcome:
    """One trial, on whichever worker runs it: CV (scout/full) or the holdout fit."""
    started = monotonic()
    config = task.config
    recipe = EnsembleRecipe(
        targets=list(config.targets),
        weights=config.weights(),
        seeds=[0],
        params=config.lightgbm(task.num_threads, rows_share=task.rows_share),
        neutralize_proportion=config.neutralize_proportion,
    )
    train = _file(task, task.paths.train, task.paths.train_benchmark)
    index = search_index(train, task.era_step, task.last_search_era)
    train = held_if_it_fits(train, index)
    if task.phase in (HOLDOUT, BASELINE):
        parts = fit_ensemble(recipe, train, index, index.labels)
        valid = _file(task, task.paths.validation, task.paths.validation_benchmark)
        predicted = predict_eras(parts, valid, np.array(task.holdout_eras))
        bench_path, meta_path = task.paths.validation_benchmark, task.paths.meta_model
    else:
        predicted = out_of_fold(recipe, train, index, task.folds, task.embargo)
        bench_path, meta_path = task.paths.train_benchmark, None
    benchmark = _aligned(bench_path, task.benchmark, predicted.ids)
    meta = _aligned(meta_path, META_COLUMN, predicted.ids)
    scores, per_era = era_scores(
        predicted, task.evaluation, benchmark, meta, task.multipliers_source
    )
    return TrialOutcome(
        scores=scores,
        per_era=per_era,
        seconds=monotonic() - started,
        peak_memory_bytes=peak_memory_bytes(),
    )


__all__ = [
    "BASELINE",
    "FULL",
    "HOLDOUT",
    "SCOUT",
    "DataPaths",
    "TrialOutcome",
    "TrialScores",
    "TrialTask",
    "era_scores",
    "out_of_fold",
    "run_trial",
    "search_index",
]
