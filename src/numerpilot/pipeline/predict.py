"""``numerpilot predict``: a stored model's live predictions, ready to submit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from numerpilot.config import Settings
from numerpilot.data import Dataset, load_dataset, memory_budget, read_feature_metadata
from numerpilot.errors import DataError
from numerpilot.fsutil import atomic_path
from numerpilot.models import StoredModel, load_model, predict_frame, resolve_model
from numerpilot.models.benchmark_input import (
    LIVE_BENCHMARK_FILE,
    benchmark_input_of,
    benchmark_values,
    with_benchmark,
)

LIVE_FILE, FEATURES_FILE = "live.parquet", "features.json"
PREDICTIONS_DIR = Path("predictions")


@dataclass(frozen=True)
class PredictResult:
    model: str
    version: str
    path: Path
    rows: int


def check_features(model: StoredModel, version_dir: Path) -> None:
    """The data version must offer every feature the model was trained on; otherwise the
    model belongs to another version's layout. Checked on features.json, before any load."""
    meta = read_feature_metadata(version_dir / FEATURES_FILE)
    offered = set(meta.all_features)
    missing = [f for f in _file_features(model) if f not in offered]
    if missing:
        raise DataError(
            f"model {model.name} was trained on {model.data_version} features; "
            f"{version_dir.name} lacks {len(missing)} of its {len(model.features)} "
            f"(first: {missing[0]}); set data.version to {model.data_version} or retrain",
            path=str(version_dir / FEATURES_FILE),
            column=missing[0],
        )


def _file_features(model: StoredModel) -> list[str]:
    """The model's features that the dataset files hold (not a benchmark input)."""
    if benchmark_input_of(model.features) is None:
        return list(model.features)
    return list(model.features[:-1])


def load_live(settings: Settings, model: StoredModel, version: str) -> Dataset:
    """The version's live rows with the model's features (checked against features.json);
    a model with a benchmark input gets the live benchmark file's predictions joined by id."""
    version_dir = settings.data_dir / version
    check_features(model, version_dir)
    live = load_dataset(
        version_dir / LIVE_FILE,
        features=_file_features(model),
        memory_budget_bytes=memory_budget(settings.data.memory_budget_fraction),
    )
    column = benchmark_input_of(model.features)
    if column is None:
        return live
    values = benchmark_values(version_dir / LIVE_BENCHMARK_FILE, column)
    if not values.reindex(live.ids).notna().any():
        raise DataError(
            f"{version_dir / LIVE_BENCHMARK_FILE} has no {column} prediction for any live id: "
            f"model {model.name} needs it (download the round's live files again)",
            path=str(version_dir / LIVE_BENCHMARK_FILE),
            column=column,
        )
    return with_benchmark(live, values)


def predictions_frame(model: StoredModel, live: Dataset) -> pd.DataFrame:
    """A frame indexed by ``id`` with one column ``prediction`` in (0, 1)."""
    predictions = predict_frame(model, live.features, live.eras)
    return pd.DataFrame({"prediction": predictions}, index=pd.Index(live.ids, name="id"))


def live_predictions(
    settings: Settings, model: StoredModel, *, version: str | None = None
) -> tuple[str, pd.DataFrame]:
    """(data version, frame indexed by ``id`` with one column ``prediction`` in (0, 1))."""
    version = version or settings.data.version or model.data_version
    return version, predictions_frame(model, load_live(settings, model, version))


def predict_live(
    settings: Settings, model_name: str | None = None, *, out: Path | None = None
) -> PredictResult:
    """Predict the live file with a stored model (default: the newest) and write a CSV."""
    model = load_model(resolve_model(settings.models_path, model_name))
    version, frame = live_predictions(settings, model)
    path = out if out is not None else settings.path(PREDICTIONS_DIR) / f"{model.name}-live.csv"
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=True)
    return PredictResult(model=model.name, version=version, path=path, rows=len(frame))


__all__ = [
    "PredictResult",
    "check_features",
    "live_predictions",
    "load_live",
    "predict_live",
    "predictions_frame",
]
