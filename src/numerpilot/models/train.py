"""Training one booster per (target, seed) on a Dataset binned once.

The features are binned once for the training rows and once for the holdout rows; every
target and seed then reuses those bins, so the cost of building LightGBM's Dataset is paid
once instead of once per target. Early stopping watches the mean per-era correlation on the
holdout, the quantity Numerai pays for, rather than a squared error.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from numerpilot.clock import monotonic
from numerpilot.config import LightGBMParams
from numerpilot.models.dataset import bin_reference, build_dataset, for_target
from numerpilot.models.params import booster_params

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
HOLDOUT = "holdout"
METRIC = "era_corr"


@dataclass(frozen=True)
class BoosterResult:
    """One trained booster and how it did on the holdout."""

    target: str
    seed: int
    model_text: str
    best_iteration: int  # trees kept (all of them when there is no early stopping)
    holdout_corr: float | None  # mean per-era Pearson corr on the holdout, if there is one
    seconds: float

    @property
    def key(self) -> tuple[str, int]:
        return (self.target, self.seed)


class BoosterProgress(Protocol):
    """Told about each booster's iterations, so a caller can show progress with an ETA."""

    def start(self, target: str, seed: int, total: int) -> None: ...

    def advance(self, done: int) -> None: ...

    def finish(self) -> None: ...


def era_pearson(
    predictions: FloatArray, labels: FloatArray, codes: npt.NDArray[np.intp], n_eras: int
) -> FloatArray:
    """Pearson correlation per era from running sums: O(n), no per-era Python loop."""
    count = np.bincount(codes, minlength=n_eras).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(codes, predictions, n_eras) / count
        my = np.bincount(codes, labels, n_eras) / count
        dx = predictions - mx[codes]
        dy = labels - my[codes]
        cov = np.bincount(codes, dx * dy, n_eras)
        vx = np.bincount(codes, dx * dx, n_eras)
        vy = np.bincount(codes, dy * dy, n_eras)
        corr: FloatArray = cov / np.sqrt(vx * vy)
    return corr


class HoldoutMetric:
    """LightGBM ``feval``: mean per-era Pearson corr of the predictions with one target.

    Holds the target itself (NaN rows masked) rather than reading the Dataset's label, so the
    holdout Dataset is binned once for all targets.
    """

    def __init__(self, labels: npt.NDArray[np.floating[Any]], codes: npt.NDArray[np.intp]):
        self.known = ~np.isnan(labels)
        self.labels = labels[self.known].astype(np.float64)
        _, self.codes = np.unique(codes[self.known], return_inverse=True)
        self.n_eras = int(self.codes.max()) + 1 if len(self.codes) else 0

    def __call__(self, predictions: FloatArray, _: lgb.Dataset) -> tuple[str, float, bool]:
        if self.n_eras == 0:
            return METRIC, float("nan"), True
        corr = era_pearson(predictions[self.known], self.labels, self.codes, self.n_eras)
        finite = corr[np.isfinite(corr)]
        return METRIC, float(finite.mean()) if len(finite) else 0.0, True


def _progress_callback(progress: BoosterProgress) -> Callable[[lgb.callback.CallbackEnv], None]:
    def callback(env: lgb.callback.CallbackEnv) -> None:
        progress.advance(env.iteration - env.begin_iteration + 1)

    return callback


@dataclass
class BinnedRows:
    """Rows binned for LightGBM, with their targets (NaN kept) and era codes."""

    dataset: lgb.Dataset
    targets: npt.NDArray[np.float32]  # (rows, len(target_names))
    target_names: list[str]
    codes: npt.NDArray[np.intp] | None = None  # era codes, needed for holdout rows

    def labels(self, target: str) -> npt.NDArray[np.float32]:
        try:
            return np.ascontiguousarray(self.targets[:, self.target_names.index(target)])
        except ValueError:
            raise KeyError(f"target {target!r} is not among {self.target_names}") from None


def bin_rows(
    features: npt.NDArray[np.int8],
    targets: npt.NDArray[np.float32],
    target_names: Sequence[str],
    codes: npt.NDArray[np.intp],
    reference: lgb.Dataset,
    *,
    rows: IntArray | None = None,
) -> BinnedRows:
    """Bin in-memory rows (all, or the sorted selection ``rows``) with ``reference``'s bins."""
    if features.dtype != np.int8:
        raise TypeError(f"features must be int8, got {features.dtype}")
    pick: Any = slice(None) if rows is None else rows
    return BinnedRows(
        dataset=build_dataset(features, reference, rows=rows),
        targets=targets[pick],
        target_names=list(target_names),
        codes=codes[pick],
    )


class EnsembleTrainer:
    """Trains any (target, seed) on rows binned once; stops early on the holdout rows."""

    def __init__(
        self, params: LightGBMParams, train: BinnedRows, holdout: BinnedRows | None = None
    ):
        self.params = params
        self.train_rows = train
        self.holdout = holdout

    @classmethod
    def in_memory(
        cls,
        features: npt.NDArray[np.int8],
        feature_names: list[str],
        targets: npt.NDArray[np.float32],
        target_names: Sequence[str],
        eras: npt.NDArray[Any],
        params: LightGBMParams,
        *,
        train_rows: IntArray | None = None,
        holdout_rows: IntArray | None = None,
    ) -> EnsembleTrainer:
        """Bin an int8 matrix held in memory: training rows, and holdout rows if given."""
        started = monotonic()
        reference = bin_reference(
            features, feature_names, booster_params(params, seed=0), rows=train_rows
        )
        _, codes = np.unique(np.asarray(eras), return_inverse=True)
        codes = codes.reshape(-1).astype(np.intp)
        train = bin_rows(features, targets, target_names, codes, reference, rows=train_rows)
        holdout = (
            bin_rows(features, targets, target_names, codes, reference, rows=holdout_rows)
            if holdout_rows is not None
            else None
        )
        logger.info(
            "binned %d rows x %d features in %.1f s",
            train.dataset.num_data(),
            len(feature_names),
            monotonic() - started,
        )
        return cls(params, train, holdout)

    def train(
        self,
        target: str,
        seed: int,
        *,
        rounds: int | None = None,
        progress: BoosterProgress | None = None,
    ) -> BoosterResult:
        """Train one booster on ``target``; ``rounds`` fixes the tree count (no early stop)."""
        started = monotonic()
        total = rounds if rounds is not None else self.params.n_estimators
        params = booster_params(self.params, seed=seed)
        train_set = self.train_rows.dataset
        share = for_target(train_set, self.train_rows.labels(target))
        # LightGBM counts a leaf's rows from its hessian, which zero-weight rows lack.
        params["min_data_in_leaf"] = max(1, math.ceil(self.params.min_child_samples * share))
        valid_sets: list[lgb.Dataset] = []
        feval = None
        callbacks: list[Callable[[lgb.callback.CallbackEnv], None]] = []
        if self.holdout is not None:
            if self.holdout.codes is None:
                raise ValueError("holdout rows need their era codes")
            valid_sets = [self.holdout.dataset]
            feval = HoldoutMetric(self.holdout.labels(target), self.holdout.codes)
            if self.params.early_stopping_rounds > 0 and rounds is None:
                callbacks.append(
                    lgb.early_stopping(
                        self.params.early_stopping_rounds, first_metric_only=True, verbose=False
                    )
                )
        if progress is not None:
            progress.start(target, seed, total)
            callbacks.append(_progress_callback(progress))
        try:
            booster = lgb.train(
                params,
                train_set,
                num_boost_round=total,
                valid_sets=valid_sets,
                valid_names=[HOLDOUT] * len(valid_sets),
                feval=feval,
                callbacks=callbacks,
            )
        finally:
            if progress is not None:
                progress.finish()
        best = booster.best_iteration if booster.best_iteration > 0 else booster.current_iteration()
        score = booster.best_score.get(HOLDOUT, {}).get(METRIC) if valid_sets else None
        return BoosterResult(
            target=target,
            seed=seed,
            model_text=booster.model_to_string(num_iteration=best),
            best_iteration=best,
            holdout_corr=float(score) if score is not None else None,
            seconds=monotonic() - started,
        )

    def train_all(
        self,
        target_names: Sequence[str],
        seeds: Sequence[int],
        *,
        skip: Container[tuple[str, int]] = (),
        on_result: Callable[[BoosterResult], None] | None = None,
        progress: BoosterProgress | None = None,
    ) -> list[BoosterResult]:
        """Every (target, seed) not in ``skip``; ``on_result`` sees each as soon as it exists
        (to save it, so an interrupted run continues where it stopped)."""
        results = []
        for target in target_names:
            for seed in seeds:
                if (target, seed) in skip:
                    continue
                result = self.train(target, seed, progress=progress)
                logger.info(
                    "%s seed %d: %d trees, holdout corr %s, %.0f s",
                    target,
                    seed,
                    result.best_iteration,
                    "n/a" if result.holdout_corr is None else f"{result.holdout_corr:.4f}",
                    result.seconds,
                )
                if on_result is not None:
                    on_result(result)
                results.append(result)
        return results


__all__ = [
    "BinnedRows",
    "BoosterProgress",
    "BoosterResult",
    "EnsembleTrainer",
    "HoldoutMetric",
    "bin_rows",
    "era_pearson",
]
