"""The one training API (``models.fit``) on the demo data: folds, resumable CV, prediction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numerpilot.config import LightGBMParams
from numerpilot.models import fit
from numerpilot.models.cv import walk_forward
from numerpilot.models.fit import EnsembleRecipe, cross_validate, fit_ensemble, predict_file
from numerpilot.models.rows import TrainingFile

PARAMS = LightGBMParams(
    n_estimators=20, learning_rate=0.1, max_depth=3, num_leaves=7, min_child_samples=20,
    colsample_bytree=0.8, early_stopping_rounds=0, num_threads=1,
)  # fmt: skip
RECIPE = EnsembleRecipe(["target"], {"target": 1.0}, [0], PARAMS)


@pytest.fixture
def file(demo_data_dir: Path) -> TrainingFile:
    root = demo_data_dir / "v5.3"
    features = json.loads((root / "features.json").read_text())["feature_sets"]["small"]
    return TrainingFile(root / "train.parquet", features, ["target"], 2 * 10**9)


def test_cross_validation_scores_only_test_blocks_and_resumes_from_saved_folds(
    file: TrainingFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = file.index(4)
    folds = walk_forward(index.numbers, 2, 4)
    saved: dict[int, dict[str, float]] = {}
    per_era = cross_validate(RECIPE, file, index, folds, save=saved.__setitem__)
    tested = {str(e) for f in folds for e in index.labels[f.test]}
    assert set(per_era) == tested and sorted(saved) == [1, 2]
    assert all(np.isfinite(v) for v in per_era.values())
    # Every fold trained only on eras more than the embargo before its test block.
    for f in folds:
        assert f.test_eras[0] - f.train_eras[1] - 1 >= 4

    def no_fitting(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved fold was fitted again")

    monkeypatch.setattr(fit, "fold_predictions", no_fitting)
    assert cross_validate(RECIPE, file, index, folds, cached=saved.get) == per_era


def test_a_fitted_ensemble_predicts_a_file_in_chunks_of_eras(
    file: TrainingFile, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = file.index(4)
    parts = fit_ensemble(RECIPE, file, index, index.labels)
    validation = demo_data_dir / "v5.3" / "validation.parquet"
    whole = predict_file(parts, validation, file.features, "target", 2 * 10**9)
    monkeypatch.setattr(fit, "PREDICT_CHUNK_ROWS", 1000)  # about three eras per chunk
    chunked = predict_file(parts, validation, file.features, "target", 2 * 10**9)
    assert (whole.ids == chunked.ids).all()
    np.testing.assert_array_equal(whole.columns["ensemble"], chunked.columns["ensemble"])
    assert len(np.unique(whole.eras)) == 60
