"""The one training API: fit an ensemble on a file's eras, cross-validate it, predict a file.

``numerpilot train`` and every research trial call these functions, so "the configuration
scored in an experiment" and "the model the tournament gets" are fitted by the same code.
Rows come from a ``TrainingFile`` (streamed into LightGBM's bins); predictions are made a few
eras at a time so that no whole file of features is ever held for scoring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from numerpilot.config import LightGBMParams
from numerpilot.data import Dataset, EraRange, load_dataset
from numerpilot.models.cv import Split
from numerpilot.models.ensemble import ENSEMBLE, predict_columns
from numerpilot.models.params import booster_params
from numerpilot.models.rows import EraIndex, TrainingFile
from numerpilot.models.train import BoosterProgress, BoosterResult, EnsembleTrainer
from numerpilot.scoring import numerai_corr

FloatArray = npt.NDArray[np.float64]

# Files are predicted a few eras at a time: the full validation file's medium set is 3.2 GB.
PREDICT_CHUNK_ROWS = 400_000


class FitProgress(BoosterProgress, Protocol):
    """Steps as lines, and each booster's iterations."""

    def step(self, message: str) -> None: ...


@dataclass(frozen=True)
class EnsembleParts:
    """An ensemble in the shape ``predict_columns`` takes: boosters, weights, neutralisation."""

    boosters: list[tuple[str, int, str]]
    weights: dict[str, float]
    neutralize_proportion: float

    @classmethod
    def of(
        cls, results: Sequence[BoosterResult], weights: Mapping[str, float], proportion: float
    ) -> EnsembleParts:
        return cls([(r.target, r.seed, r.model_text) for r in results], dict(weights), proportion)


@dataclass(frozen=True)
class EnsembleRecipe:
    """What to fit: targets (the first is the main one) with weights, seeds, LightGBM settings."""

    targets: list[str]
    weights: dict[str, float]
    seeds: list[int]
    params: LightGBMParams
    neutralize_proportion: float = 0.0


@dataclass(frozen=True)
class Predictions:
    """Predicted rows: ids, eras, the main target, and one column per target plus ensemble."""

    ids: npt.NDArray[np.object_]
    eras: npt.NDArray[np.str_]
    target: npt.NDArray[np.float32]
    columns: dict[str, FloatArray]

    def per_era_corr(self, column: str = ENSEMBLE) -> dict[str, float]:
        """Per-era numerai_corr of ``column`` with the main target, keyed by era label."""
        scores = corr_per_column({column: self.columns[column]}, self.target, self.eras)[column]
        return dict(zip(np.unique(self.eras).tolist(), scores.tolist(), strict=True))


def corr_per_column(
    columns: Mapping[str, FloatArray], target: npt.NDArray[Any], eras: npt.NDArray[Any]
) -> dict[str, FloatArray]:
    """Per-era numerai_corr of every column against the main target (eras in sorted order)."""
    names = list(columns)
    per_era = numerai_corr(np.column_stack([columns[n] for n in names]), target, eras)
    return {n: per_era[:, j] for j, n in enumerate(names)}


def predict_eras(
    parts: EnsembleParts, file: TrainingFile, eras: npt.NDArray[np.str_]
) -> Predictions:
    """Load ``eras`` of ``file`` and predict them (the main target comes along for scoring)."""
    data = file.load(eras)
    return Predictions(
        ids=data.ids,
        eras=data.eras,
        target=data.targets[:, 0],
        columns=predict_columns(parts, data.features, data.eras),
    )


def fit_ensemble(
    recipe: EnsembleRecipe,
    file: TrainingFile,
    index: EraIndex,
    train_eras: npt.NDArray[np.str_],
    *,
    rounds: Mapping[str, int] | None = None,
    reference: lgb.Dataset | None = None,
    progress: BoosterProgress | None = None,
) -> EnsembleParts:
    """Bin ``train_eras`` (with ``reference``'s bins, else bins found on them) and fit every
    (target, seed); ``rounds`` fixes each target's trees (no early stopping: nothing is held
    out to stop on)."""
    if reference is None:
        reference = file.reference(index, train_eras, booster_params(recipe.params, seed=0))
    binned = file.streamed(index, train_eras, reference)
    trainer = EnsembleTrainer(recipe.params, binned)
    boosters = [
        trainer.train(
            target,
            seed,
            rounds=rounds.get(target) if rounds is not None else recipe.params.n_estimators,
            progress=progress,
        )
        for target in recipe.targets
        for seed in recipe.seeds
    ]
    return EnsembleParts.of(boosters, recipe.weights, recipe.neutralize_proportion)


def fold_predictions(
    recipe: EnsembleRecipe,
    file: TrainingFile,
    index: EraIndex,
    fold: Split,
    *,
    rounds: Mapping[str, int] | None = None,
    reference: lgb.Dataset | None = None,
    progress: BoosterProgress | None = None,
) -> Predictions:
    """Fit on the fold's training eras, predict its test eras: out-of-fold predictions."""
    parts = fit_ensemble(
        recipe,
        file,
        index,
        index.labels[fold.train],
        rounds=rounds,
        reference=reference,
        progress=progress,
    )
    return predict_eras(parts, file, index.labels[fold.test])


def cross_validate(
    recipe: EnsembleRecipe,
    file: TrainingFile,
    index: EraIndex,
    folds: Sequence[Split],
    *,
    rounds: Mapping[str, int] | None = None,
    reference: lgb.Dataset | None = None,
    cached: Callable[[int], dict[str, float] | None] = lambda k: None,
    save: Callable[[int, dict[str, float]], None] = lambda k, v: None,
    progress: FitProgress | None = None,
) -> dict[str, float]:
    """Out-of-fold per-era corr of the ensemble over walk-forward ``folds`` (split over
    ``index``'s eras). ``cached``/``save`` let a caller keep finished folds across restarts."""
    per_era: dict[str, float] = {}
    for k, fold in enumerate(folds, 1):
        result = cached(k)
        if result is None:
            if progress is not None:
                progress.step(
                    f"cross-validation fold {k}/{len(folds)}: train eras "
                    f"{fold.train_eras[0]}-{fold.train_eras[1]}, "
                    f"test eras {fold.test_eras[0]}-{fold.test_eras[1]}"
                )
            predicted = fold_predictions(
                recipe, file, index, fold, rounds=rounds, reference=reference, progress=progress
            )
            result = predicted.per_era_corr()
            save(k, result)
        per_era.update(result)
    return per_era


def era_chunks(
    labels: npt.NDArray[np.str_], counts: npt.NDArray[np.int64], chunk_rows: int
) -> list[EraRange]:
    """Consecutive eras grouped into chunks of about ``chunk_rows`` rows."""
    chunks, first, rows = [], 0, 0
    for i, count in enumerate(counts):
        rows += int(count)
        if rows >= chunk_rows or i == len(counts) - 1:
            chunks.append(EraRange(str(labels[first]), str(labels[i])))
            first, rows = i + 1, 0
    return chunks


def predict_file(
    parts: EnsembleParts,
    path: Path,
    features: list[str],
    main_target: str,
    budget: int,
    *,
    progress: FitProgress | None = None,
    extra: Callable[[Dataset], Dataset] | None = None,
) -> Predictions:
    """Predict every row of ``path`` (eras without targets too), a chunk of eras at a time.
    ``extra`` adds inputs the file does not hold to each chunk (a benchmark model's)."""
    index = load_dataset(path, features=[], memory_budget_bytes=budget)
    codes, labels = index.era_codes()
    chunks = era_chunks(labels, np.bincount(codes, minlength=len(labels)), PREDICT_CHUNK_ROWS)
    ids, eras, targets, columns = [], [], [], []
    for k, chunk in enumerate(chunks, 1):
        if progress is not None:
            progress.step(f"predicting eras {chunk.first}-{chunk.last} ({k}/{len(chunks)})")
        part = load_dataset(
            path, features=features, targets=[main_target], eras=chunk, memory_budget_bytes=budget
        )
        if extra is not None:
            part = extra(part)
        columns.append(predict_columns(parts, part.features, part.eras))
        ids.append(part.ids)
        eras.append(part.eras)
        targets.append(part.targets[:, 0])
    return Predictions(
        ids=np.concatenate(ids),
        eras=np.concatenate(eras),
        target=np.concatenate(targets),
        columns={c: np.concatenate([part[c] for part in columns]) for c in columns[0]},
    )


__all__ = [
    "PREDICT_CHUNK_ROWS",
    "EnsembleParts",
    "EnsembleRecipe",
    "FitProgress",
    "Predictions",
    "corr_per_column",
    "cross_validate",
    "era_chunks",
    "fit_ensemble",
    "fold_predictions",
    "predict_eras",
    "predict_file",
]
