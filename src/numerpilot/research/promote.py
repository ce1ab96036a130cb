"""Promotion's two halves that need no ledger: train the winner the way ``numerpilot train``
does, and score a stored model on the experiment's holdout eras for a fair comparison.

The winner is trained by ``pipeline.train.train_model`` with its configuration in place of the
project's [train] (so it is stored, validated and loadable like any model); the comparison
uses the stored model's own validation predictions on exactly the holdout eras the winner
was scored on, so both are judged on eras neither was chosen on. A winner fed a benchmark
model is trained with it (``train.benchmark_input``) and predicts live by joining the live
benchmark file, and its hosted pickle takes the live benchmark frame Numerai passes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from numerpilot.clock import Clock
from numerpilot.config import Settings
from numerpilot.data import load_dataset, load_predictions, memory_budget
from numerpilot.models import ENSEMBLE, VALIDATION_PREDICTIONS, read_model_manifest
from numerpilot.models.benchmark_input import TRAIN_BENCHMARK_FILE, benchmark_values
from numerpilot.pipeline import (
    VALIDATION_FILE,
    TrainProgress,
    TrainReport,
    data_version,
    train_model,
)
from numerpilot.research._space import TrialConfig
from numerpilot.research._spec import experiment_path, load_experiment
from numerpilot.scoring import numerai_corr


def winner_model_name(experiment: str, config: TrialConfig) -> str:
    return f"{experiment}-{config.key()[:8]}"


def train_winner(
    settings: Settings,
    experiment: str,
    config: TrialConfig,
    *,
    clock: Clock,
    progress: TrainProgress | None = None,
) -> TrainReport | Path:
    """Train and store the winner (or find it already stored: the path)."""
    name = winner_model_name(experiment, config)
    stored = settings.models_path / name
    column = _benchmark_input(settings, experiment, config)
    if (stored / "manifest.json").is_file():
        return stored
    train = config.train_settings(settings.train, column)
    winner = settings.model_copy(update={"train": train})
    return train_model(winner, clock=clock, name=name, progress=progress)


def _benchmark_input(settings: Settings, experiment: str, config: TrialConfig) -> str | None:
    """The benchmark column the winner was fed (as its trials were), or None."""
    if not config.benchmark_inputs:
        return None
    spec = load_experiment(experiment_path(settings.project_dir, experiment))
    version_dir = settings.data_dir / data_version(settings)
    values = benchmark_values(version_dir / TRAIN_BENCHMARK_FILE, spec.evaluation.benchmark)
    return str(values.name)


def stored_holdout_corr(settings: Settings, model_dir: Path, eras: list[str]) -> float | None:
    """Mean per-era CORR of a stored model's ensemble on ``eras`` of its validation file
    (None when the model did not predict them, e.g. another data version)."""
    predictions = model_dir / VALIDATION_PREDICTIONS
    if not predictions.is_file() or not eras:
        return None
    manifest = read_model_manifest(model_dir)
    validation = settings.data_dir / manifest.data_version / VALIDATION_FILE
    if not validation.is_file():
        return None
    rows = load_dataset(
        validation,
        features=[],
        targets=[manifest.targets[0]],
        eras=set(eras),
        memory_budget_bytes=memory_budget(settings.data.memory_budget_fraction),
    )
    frame = load_predictions(predictions)
    if ENSEMBLE not in frame.columns:
        return None
    values = frame[ENSEMBLE].reindex(rows.ids).to_numpy(dtype=np.float64)
    known = np.isfinite(values) & np.isfinite(rows.targets[:, 0])
    if not known.any():
        return None
    per_era = numerai_corr(values[known], rows.targets[known, 0], rows.eras[known])
    mean = float(np.nanmean(per_era))
    return mean if math.isfinite(mean) else None


__all__ = ["stored_holdout_corr", "train_winner", "winner_model_name"]
