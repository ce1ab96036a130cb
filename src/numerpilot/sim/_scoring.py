"""How the sim scores a round: the meta model, the daily targets, CORR and MMC.

- Meta model: the stake-weighted mean of every staked submission, each tie-kept ranked and
  gaussianised, plus the house benchmark models sharing the house stake.
- Daily targets: the 20-day target is "realised" progressively. On day ``d`` of ``D`` the
  target is ``d/D * target + (1 - d/D) * shadow``, where ``shadow`` is a fixed random
  permutation of the target (same distribution, no signal). Noise shrinks each day and day
  ``D`` is the final target, whose scores are the resolved ones.
- CORR is numerai_corr and MMC is correlation_contribution against the meta model
  (``numerpilot.scoring.metrics``, which matches numerai-tools), the live era being one era.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from numerpilot.scoring import correlation_contribution, numerai_corr

FloatArray = NDArray[np.float64]

CORR_NAME = "v2_corr20"
MMC_NAME = "mmc"
META_MODEL_COLUMN = "numerai_meta_model"


def gauss_rank(values: FloatArray) -> FloatArray:
    """Tie-kept percentile rank ``(rank - 0.5) / n`` mapped through the normal inverse CDF."""
    ranks = stats.rankdata(values, method="average")
    return np.asarray(stats.norm.ppf((ranks - 0.5) / len(values)), dtype=np.float64)


def meta_model(columns: list[FloatArray], stakes: list[float]) -> FloatArray:
    """The stake-weighted mean of the gaussianised ranks of ``columns``."""
    if not columns or len(columns) != len(stakes):
        raise ValueError("meta model needs one stake per prediction column, and at least one")
    weights = np.asarray(stakes, dtype=np.float64)
    if weights.sum() <= 0:
        raise ValueError("meta model needs a positive total stake")
    ranked = np.column_stack([gauss_rank(c) for c in columns])
    return np.asarray(ranked @ weights / weights.sum(), dtype=np.float64)


def shadow_target(target: FloatArray, seed: int, round_number: int) -> FloatArray:
    """A permutation of the target fixed by the world seed and round: the day-0 'noise'."""
    rng = np.random.default_rng([seed, round_number, 20])
    return np.asarray(target[rng.permutation(len(target))], dtype=np.float64)


def daily_target(target: FloatArray, shadow: FloatArray, day: int, days: int) -> FloatArray:
    if not 1 <= day <= days:
        raise ValueError(f"day {day} outside 1..{days}")
    weight = day / days
    return np.asarray(weight * target + (1 - weight) * shadow, dtype=np.float64)


def score_day(
    predictions: pd.DataFrame, target: FloatArray, meta: FloatArray
) -> tuple[pd.Series, pd.Series]:
    """CORR and MMC of each column of ``predictions`` (rows in live-id order) on one day."""
    matrix = predictions.to_numpy(dtype=np.float64)
    one_era = np.zeros(len(predictions), dtype=np.int64)
    corr = numerai_corr(matrix, target, one_era)[0]
    mmc = correlation_contribution(matrix, meta, target, one_era)[0]
    return (
        pd.Series(corr, index=predictions.columns, dtype=float),
        pd.Series(mmc, index=predictions.columns, dtype=float),
    )


def percentiles(values: pd.Series) -> pd.Series:
    """Each value's share of values at or below it, as Numerai reports percentiles (0..1]."""
    return values.rank(method="max", pct=True).astype(float)


__all__ = [
    "CORR_NAME",
    "META_MODEL_COLUMN",
    "MMC_NAME",
    "daily_target",
    "gauss_rank",
    "meta_model",
    "percentiles",
    "score_day",
    "shadow_target",
]
