"""The model store: one directory per trained model, written atomically.

```
models/<name>/manifest.json                  what was trained on what, and how well it did
models/<name>/boosters/<target>__seed<k>.txt LightGBM's own text format
models/<name>/validation_predictions.parquet index id; one column per target + ensemble
models/.<name>.partial/                      boosters of an unfinished run, for resuming
```
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from numerpilot.errors import DataError
from numerpilot.fsutil import atomic_dir, atomic_path, write_text_atomic

if TYPE_CHECKING:  # listing models reads manifests only: no pandas, no LightGBM
    import pandas as pd

    from numerpilot.models.train import BoosterResult

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
BOOSTERS = "boosters"
VALIDATION_PREDICTIONS = "validation_predictions.parquet"


def booster_file(target: str, seed: int) -> str:
    return f"{target}__seed{seed}.txt"


class _Strict(BaseModel):
    # NaN scores (a model too small to score every era) are written as NaN, not null, so the
    # manifest reads back instead of hiding the model from every listing.
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="constants")


class BoosterInfo(_Strict):
    target: str
    seed: int
    file: str
    best_iteration: int
    holdout_corr: float | None
    seconds: float


class Scores(_Strict):
    """Per-era correlation summary of one prediction column."""

    corr_mean: float
    corr_std: float
    corr_sharpe: float
    eras: int


class CVScores(_Strict):
    """Walk-forward cross-validation: out-of-fold per-era corr of the ensemble."""

    folds: int
    embargo_eras: int
    corr_mean: float
    corr_std: float
    corr_sharpe: float
    per_era: dict[str, float] = Field(description="Era -> out-of-fold corr.")


class ModelManifest(_Strict):
    name: str
    created: datetime
    numerpilot_version: str
    data_version: str
    data_files: dict[str, str] = Field(description="File name -> sha256 of the inputs.")
    feature_set: str
    feature_groups: list[str]
    features: list[str]
    targets: list[str]
    weights: dict[str, float]
    seeds: list[int]
    params: dict[str, Any] = Field(description="The LightGBM settings (config names).")
    era_step: int
    holdout_eras: int
    embargo_eras: int
    train_rows: int
    train_eras: int
    neutralize_proportion: float
    boosters: list[BoosterInfo]
    validation: dict[str, Scores] = Field(description="Column (target or ensemble) -> scores.")
    holdout: dict[str, Scores] = Field(default_factory=dict)
    cv: CVScores | None = Field(None, description="Walk-forward out-of-fold scores.")


@dataclass(frozen=True)
class StoredModel:
    """A model read back from the store: what ``ensemble.predict_frame`` needs, and more."""

    path: Path
    manifest: ModelManifest
    boosters: list[tuple[str, int, str]]  # (target, seed, LightGBM model text)

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def features(self) -> list[str]:
        return self.manifest.features

    @property
    def weights(self) -> dict[str, float]:
        return self.manifest.weights

    @property
    def neutralize_proportion(self) -> float:
        return self.manifest.neutralize_proportion

    @property
    def data_version(self) -> str:
        return self.manifest.data_version


def write_model(
    models_dir: Path,
    manifest: ModelManifest,
    boosters: Mapping[str, str],
    validation_predictions: pd.DataFrame,
) -> Path:
    """Write the whole model directory at once: a reader sees all of it or none of it."""
    if set(boosters) != {b.file for b in manifest.boosters}:
        raise ValueError("booster texts and the manifest's booster list differ")
    path = models_dir / manifest.name
    with atomic_dir(path) as tmp:
        (tmp / BOOSTERS).mkdir()
        for file, text in boosters.items():
            (tmp / BOOSTERS / file).write_text(text, encoding="utf-8")
        validation_predictions.to_parquet(tmp / VALIDATION_PREDICTIONS)
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
    return path


def read_model_manifest(path: Path) -> ModelManifest:
    file = path / MANIFEST
    try:
        return ModelManifest.model_validate_json(file.read_bytes())
    except FileNotFoundError:
        raise DataError(f"{path} is not a stored model: no {MANIFEST}", path=str(file)) from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DataError(f"{file}: field '{where}': {first['msg']}", path=str(file)) from None


def load_model(path: Path) -> StoredModel:
    """Read a stored model (manifest and every booster's text)."""
    manifest = read_model_manifest(path)
    boosters = []
    for info in manifest.boosters:
        file = path / BOOSTERS / info.file
        try:
            boosters.append((info.target, info.seed, file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise DataError(
                f"booster missing from stored model {manifest.name}", path=str(file)
            ) from None
    return StoredModel(path=path, manifest=manifest, boosters=boosters)


def list_models(models_dir: Path) -> list[ModelManifest]:
    """Stored models, oldest first. Unreadable directories are skipped with a warning."""
    found = []
    if not models_dir.is_dir():
        return []
    for child in sorted(models_dir.iterdir()):
        if child.name.startswith(".") or not (child / MANIFEST).is_file():
            continue
        try:
            found.append(read_model_manifest(child))
        except DataError as e:
            logger.warning("skipped %s: %s", child, e)
    return sorted(found, key=lambda m: (m.created, m.name))


def resolve_model(models_dir: Path, name: str | None) -> Path:
    """The directory of model ``name`` (or a path to one), or the newest model if ``None``."""
    if name is None:
        models = list_models(models_dir)
        if not models:
            raise DataError(
                f"no trained model in {models_dir}; run 'numerpilot train' first",
                path=str(models_dir),
            )
        return models_dir / models[-1].name
    for candidate in (Path(name), models_dir / name):
        if (candidate / MANIFEST).is_file():
            return candidate
    known = ", ".join(m.name for m in list_models(models_dir)) or "none"
    raise DataError(
        f"no stored model named {name!r} in {models_dir} (stored: {known})", path=str(models_dir)
    )


class PartialRun:
    """Boosters of an unfinished training run, kept so a rerun trains only what is missing.

    ``fingerprint`` describes everything the boosters depend on (data, features, targets,
    parameters); boosters saved under another fingerprint are discarded.
    """

    def __init__(self, models_dir: Path, name: str, fingerprint: Mapping[str, Any]):
        self.path = models_dir / f".{name}.partial"
        self.fingerprint = json.loads(json.dumps(fingerprint, sort_keys=True, default=str))
        marker = self.path / "run.json"
        if self.path.exists():
            try:
                previous = json.loads(marker.read_text(encoding="utf-8"))
            except (FileNotFoundError, json.JSONDecodeError):
                previous = None
            if previous != self.fingerprint:
                logger.warning("discarding %s: it was trained with other settings", self.path)
                shutil.rmtree(self.path)
        if not self.path.exists():
            (self.path / BOOSTERS).mkdir(parents=True)
            write_text_atomic(marker, json.dumps(self.fingerprint, sort_keys=True))

    def done(self) -> dict[tuple[str, int], BoosterResult]:
        """Boosters finished by earlier runs (each written atomically, so each is complete)."""
        from numerpilot.models.train import BoosterResult

        results = {}
        for info_file in sorted((self.path / BOOSTERS).glob("*.json")):
            info = BoosterInfo.model_validate_json(info_file.read_bytes())
            text = (self.path / BOOSTERS / info.file).read_text(encoding="utf-8")
            results[(info.target, info.seed)] = BoosterResult(
                target=info.target,
                seed=info.seed,
                model_text=text,
                best_iteration=info.best_iteration,
                holdout_corr=info.holdout_corr,
                seconds=info.seconds,
            )
        return results

    def save(self, result: BoosterResult) -> None:
        file = booster_file(result.target, result.seed)
        write_text_atomic(self.path / BOOSTERS / file, result.model_text)
        # The info file is written last: its presence means the booster text is complete.
        with atomic_path(self.path / BOOSTERS / f"{file}.json") as tmp:
            tmp.write_text(booster_info(result).model_dump_json(), encoding="utf-8")

    def save_result(self, key: str, value: Mapping[str, Any]) -> None:
        """Keep another finished piece of the run (e.g. one cross-validation fold)."""
        write_text_atomic(self.path / f"{key}.json", json.dumps(value, sort_keys=True))

    def result(self, key: str) -> dict[str, Any] | None:
        file = self.path / f"{key}.json"
        if not file.is_file():
            return None
        value: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
        return value

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def booster_info(result: BoosterResult) -> BoosterInfo:
    return BoosterInfo(
        target=result.target,
        seed=result.seed,
        file=booster_file(result.target, result.seed),
        best_iteration=result.best_iteration,
        holdout_corr=result.holdout_corr,
        seconds=result.seconds,
    )


__all__ = [
    "BOOSTERS",
    "MANIFEST",
    "VALIDATION_PREDICTIONS",
    "BoosterInfo",
    "CVScores",
    "ModelManifest",
    "PartialRun",
    "Scores",
    "StoredModel",
    "booster_file",
    "booster_info",
    "list_models",
    "load_model",
    "read_model_manifest",
    "resolve_model",
    "write_model",
]
