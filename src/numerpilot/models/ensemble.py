"""The ensemble: each target's predictions ranked per era, a weighted mean, ranked again.

Ranks put targets with different scales on one footing, and only the order within an era
counts for Numerai. Optional feature neutralisation (a proportion of the least-squares fit on
the features, per era) trades some correlation for less feature exposure.

The ranking and the neutralisation are scoring's (one implementation each); the hosted
pickle carries its own copy of this arithmetic (``runtime/predictor_source.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from numerpilot.models.dataset import predict_rows
from numerpilot.scoring import neutralize_per_era, tie_kept_rank_per_era

FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.intp]


class EnsembleSpec(Protocol):
    """What prediction needs from a stored model."""

    @property
    def boosters(self) -> Sequence[tuple[str, int, str]]:
        """(target, seed, LightGBM model text) per booster."""
        ...

    @property
    def weights(self) -> Mapping[str, float]: ...

    @property
    def neutralize_proportion(self) -> float: ...


def era_codes(eras: npt.NDArray[Any]) -> CodeArray:
    """Integer codes of era labels (any hashable labels; live data has one era, ``X``)."""
    _, inverse = np.unique(np.asarray(eras), return_inverse=True)
    codes: CodeArray = inverse.reshape(-1).astype(np.intp)
    return codes


def rank_per_era(values: npt.NDArray[np.floating[Any]], codes: CodeArray) -> FloatArray:
    """Per era: average rank of ties, as ``(rank - 0.5) / n`` in (0, 1). A model never
    predicts NaN, so a NaN here is a bug to stop at, not a value to rank."""
    if len(values) == 0:
        return np.empty(0, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError("cannot rank NaN predictions")
    return tie_kept_rank_per_era(values, codes)


def combine(predictions: FloatArray, weights: Sequence[float], codes: CodeArray) -> FloatArray:
    """Rank each column of ``predictions`` (n, k) per era, weighted mean, rank again."""
    if predictions.ndim != 2 or predictions.shape[1] != len(weights):
        raise ValueError(f"{len(weights)} weights for predictions of shape {predictions.shape}")
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"ensemble weights must be non-negative with a positive sum, got {w}")
    mean = np.zeros(predictions.shape[0], dtype=np.float64)
    for j in range(predictions.shape[1]):
        mean += w[j] * rank_per_era(predictions[:, j], codes)
    return rank_per_era(mean / w.sum(), codes)


def target_predictions(
    model: EnsembleSpec, features: npt.NDArray[np.int8]
) -> tuple[list[str], FloatArray]:
    """Raw predictions per target (seeds averaged): target names and an (n, targets) array."""
    targets = list(dict.fromkeys(t for t, _, _ in model.boosters))
    sums = np.zeros((features.shape[0], len(targets)), dtype=np.float64)
    counts = np.zeros(len(targets))
    for target, _, text in model.boosters:
        j = targets.index(target)
        sums[:, j] += predict_rows(lgb.Booster(model_str=text), features)
        counts[j] += 1
    return targets, sums / counts


ENSEMBLE = "ensemble"


def predict_columns(
    model: EnsembleSpec, features: npt.NDArray[np.int8], eras: npt.NDArray[Any]
) -> dict[str, FloatArray]:
    """Each target's predictions ranked per era, and the ensemble (key ``"ensemble"``)."""
    codes = era_codes(eras)
    targets, raw = target_predictions(model, features)
    columns = {t: rank_per_era(raw[:, j], codes) for j, t in enumerate(targets)}
    ensemble = combine(raw, [model.weights[t] for t in targets], codes)
    if model.neutralize_proportion > 0:
        # Subtract part of each era's least-squares fit on the features (plus a constant),
        # as numerai-tools' ``neutralize`` does.
        neutral = neutralize_per_era(ensemble, features, codes, model.neutralize_proportion)
        ensemble = rank_per_era(neutral, codes)
    columns[ENSEMBLE] = ensemble
    return columns


def predict_frame(
    model: EnsembleSpec, features: npt.NDArray[np.int8], eras: npt.NDArray[Any]
) -> FloatArray:
    """The model's ensemble prediction in (0, 1) for each row of int8 ``features``
    (columns in the model's feature order), ranked within each era."""
    return predict_columns(model, features, eras)[ENSEMBLE]


__all__ = [
    "ENSEMBLE",
    "EnsembleSpec",
    "combine",
    "era_codes",
    "predict_columns",
    "predict_frame",
    "rank_per_era",
    "target_predictions",
]
