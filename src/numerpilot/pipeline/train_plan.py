"""What a training run will do, decided and checked before any data is read.

A mistake in the request (unknown version, feature set, target, weights, model name) costs
seconds here instead of an hour of loading and training.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from numerpilot.clock import Clock
from numerpilot.config import Settings, TrainSettings
from numerpilot.data import read_feature_metadata, resolve_features
from numerpilot.errors import ConfigError, DataError
from numerpilot.models import embargo_eras
from numerpilot.tournament import version_key

TRAIN_FILE, VALIDATION_FILE, FEATURES_FILE = "train.parquet", "validation.parquet", "features.json"
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class TrainPlan:
    """Everything decided (and checked) before training starts."""

    name: str
    version: str
    version_dir: Path
    features: list[str]
    targets: list[str]
    weights: dict[str, float]
    embargo: int


def local_versions(data_dir: Path) -> list[str]:
    """Dataset versions present locally (with a train file), oldest first."""
    if not data_dir.is_dir():
        return []
    found = [
        d.name
        for d in data_dir.iterdir()
        if re.fullmatch(r"v\d+\.\d+", d.name) and (d / TRAIN_FILE).is_file()
    ]
    return sorted(found, key=version_key)


def data_version(settings: Settings) -> str:
    """The configured version, or the newest one on disk."""
    if settings.data.version is not None:
        return settings.data.version
    versions = local_versions(settings.data_dir)
    if not versions:
        raise DataError(
            f"no dataset in {settings.data_dir}; run 'numerpilot data download' "
            "(or 'numerpilot data synth' for synthetic data)",
            path=str(settings.data_dir),
        )
    return versions[-1]


def default_name(version: str, t: TrainSettings, clock: Clock) -> str:
    features = "groups" if t.feature_groups else t.feature_set
    return f"{version}-{features}-{clock.now():%Y%m%d}"


def _free_name(models_dir: Path, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``... if a finished model already has the name (an
    unfinished one is resumed under its name)."""
    name, k = base, 1
    while (models_dir / name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


def _check_targets(t: TrainSettings, known: Sequence[str], source: str) -> None:
    if len(set(t.targets)) != len(t.targets):
        raise ConfigError(f"setting 'train.targets' lists a target twice: {t.targets}")
    for target in t.targets:
        if target not in known:
            close = difflib.get_close_matches(target, known, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ConfigError(
                f"setting 'train.targets': {target!r} is not a target of {source}{hint}"
            )


def plan_training(settings: Settings, *, name: str | None, clock: Clock) -> TrainPlan:
    """Check the request against the data's own metadata; nothing heavy is read."""
    t = settings.train
    version = data_version(settings)
    version_dir = settings.data_dir / version
    meta = read_feature_metadata(version_dir / FEATURES_FILE)
    features = resolve_features(meta, t.feature_set, t.feature_groups)
    _check_targets(t, meta.targets, meta.source)
    weights = dict(zip(t.targets, t.target_weights or [1.0] * len(t.targets), strict=True))
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ConfigError(
            f"setting 'train.target_weights': weights must be non-negative with a positive "
            f"sum, got {list(weights.values())}"
        )
    model_name = name or _free_name(settings.models_path, default_name(version, t, clock))
    if not MODEL_NAME.fullmatch(model_name):
        raise ConfigError(
            f"model name {model_name!r}: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)"
        )
    train_file = version_dir / TRAIN_FILE
    if not train_file.is_file():
        raise DataError(
            f"{train_file} is missing; run 'numerpilot data download'", path=str(train_file)
        )
    return TrainPlan(
        name=model_name,
        version=version,
        version_dir=version_dir,
        features=features,
        targets=list(t.targets),
        weights=weights,
        embargo=embargo_eras(t.targets, t.embargo_eras),
    )


__all__ = [
    "FEATURES_FILE",
    "TRAIN_FILE",
    "VALIDATION_FILE",
    "TrainPlan",
    "data_version",
    "default_name",
    "local_versions",
    "plan_training",
]
