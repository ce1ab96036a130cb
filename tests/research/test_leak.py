"""The leak trap: a candidate that scores only by having trained on targets that share its
test eras' future must look strong without the embargo and must not with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from numerpilot.config import LightGBMParams
from numerpilot.models import EnsembleRecipe, TrainingFile
from numerpilot.research._evaluate import out_of_fold
from tests.research.leak_world import HORIZON, write_leak_world

TARGET = "target_leak_20"
PARAMS = LightGBMParams(
    n_estimators=100,
    learning_rate=0.1,
    num_leaves=7,
    max_depth=3,
    colsample_bytree=1.0,
    min_child_samples=20,
    num_threads=1,
)


def test_the_embargo_removes_what_overlapping_targets_leak(tmp_path: Path) -> None:
    features = write_leak_world(tmp_path / "train.parquet")
    file = TrainingFile(tmp_path / "train.parquet", features, [TARGET], 2 * 10**9)
    index = file.index(1)
    recipe = EnsembleRecipe([TARGET], {TARGET: 1.0}, [0], PARAMS)

    def mean_corr(embargo: int) -> float:
        predicted = out_of_fold(recipe, file, index, folds=5, embargo=embargo)
        return float(np.mean(list(predicted.per_era_corr().values())))

    leaked, honest = mean_corr(0), mean_corr(HORIZON)
    # Without the embargo the candidate looks like a good Numerai model (0.02-0.03 is good);
    # with it, what is left is noise.
    assert leaked > 0.03
    assert abs(honest) < 0.015
    assert leaked > 4 * abs(honest)
