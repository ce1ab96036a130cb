from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from numerpilot.config import LightGBMParams
from numerpilot.models.cv import era_numbers, holdout_split
from numerpilot.models.train import (
    BoosterResult,
    EnsembleTrainer,
    HoldoutMetric,
    era_pearson,
)
from tests.models.toy import Toy


def test_era_pearson_matches_numpy_per_era() -> None:
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2], [50, 80, 30])
    x, y = rng.random(160), rng.random(160)
    got = era_pearson(x, y, codes, 3)
    for era in range(3):
        rows = codes == era
        assert got[era] == pytest.approx(np.corrcoef(x[rows], y[rows])[0, 1], abs=1e-12)


def test_holdout_metric_ignores_nan_labels_and_constant_eras() -> None:
    labels = np.array([0.0, 1.0, np.nan, 2.0, 5.0, 5.0, 5.0])
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    preds = np.array([0.1, 0.3, 9.0, 0.2, 1.0, 2.0, 3.0])
    name, value, higher_better = HoldoutMetric(labels, codes)(preds, None)  # type: ignore[arg-type]
    expected = np.corrcoef([0.1, 0.3, 0.2], [0.0, 1.0, 2.0])[0, 1]  # era 1 has no variance
    assert (name, higher_better) == ("era_corr", True)
    assert value == pytest.approx(expected, abs=1e-12)


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, target: str, seed: int, total: int) -> None:
        self.events.append(("start", (target, seed, total)))

    def advance(self, done: int) -> None:
        self.events.append(("advance", done))

    def finish(self) -> None:
        self.events.append(("finish", None))


def _trainer(
    toy: Toy, params: LightGBMParams, targets: np.ndarray | None = None
) -> EnsembleTrainer:
    split = holdout_split(era_numbers(toy.eras), holdout_eras=6, embargo=4)
    assert split is not None
    return EnsembleTrainer.in_memory(
        toy.features,
        toy.feature_names,
        toy.targets if targets is None else targets,
        toy.target_names,
        toy.eras,
        params,
        train_rows=split.train,
        holdout_rows=split.test,
    )


def test_train_all_trains_each_target_and_seed_and_reports_progress(toy: Toy, fast_params) -> None:
    trainer = _trainer(toy, fast_params)
    saved: list[BoosterResult] = []
    recorder = Recorder()
    results = trainer.train_all(
        toy.target_names,
        seeds=[0, 1],
        skip={("target_aux_20", 1)},
        on_result=saved.append,
        progress=recorder,
    )
    assert [r.key for r in results] == [("target", 0), ("target", 1), ("target_aux_20", 0)]
    assert saved == results
    assert recorder.events[0] == ("start", ("target", 0, 30))
    assert recorder.events[30] == ("advance", 30) and recorder.events[31] == ("finish", None)
    for r in results:
        assert r.best_iteration == 30
        assert r.holdout_corr is not None and r.holdout_corr > 0.1  # the planted signal
        assert lgb.Booster(model_str=r.model_text).num_trees() == 30
    assert results[0].model_text != results[1].model_text  # seeds differ (colsample < 1)


def test_early_stopping_keeps_the_best_trees_on_the_holdout(toy: Toy, fast_params) -> None:
    params = fast_params.model_copy(
        update={"n_estimators": 300, "learning_rate": 0.3, "early_stopping_rounds": 10}
    )
    rng = np.random.default_rng(5)
    noise = rng.normal(size=toy.targets.shape).astype(np.float32)  # nothing to learn
    result = _trainer(toy, params, noise).train("target", 0)
    assert result.best_iteration < 300
    assert lgb.Booster(model_str=result.model_text).num_trees() == result.best_iteration


def test_features_must_be_int8(toy: Toy, fast_params) -> None:
    with pytest.raises(TypeError, match="int8"):
        EnsembleTrainer.in_memory(
            toy.features.astype(np.float32),  # type: ignore[arg-type]
            toy.feature_names,
            toy.targets,
            toy.target_names,
            toy.eras,
            fast_params,
        )
