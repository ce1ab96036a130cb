"""Acceptance: without an embargo the holdout overstates a model; with one it does not.

The synthetic world plants what makes this real: a 60-day target's factor returns are moving
sums over 12 eras, so a model fitted on the eras right before a holdout has seen part of the
holdout's future. For many holdout positions, each model is scored on its holdout era and on
later eras it shares nothing with (the "validation" score); the gap between the two is the
overstatement.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from numerpilot.config import LightGBMParams
from numerpilot.data import SyntheticWorld
from numerpilot.models.cv import embargo_eras, holdout_split
from numerpilot.models.dataset import predict_rows
from numerpilot.models.train import EnsembleTrainer
from numerpilot.scoring import numerai_corr

TARGET = "target_ender_60"
ROWS, ERAS, WINDOW = 1500, 150, 4
PARAMS = LightGBMParams(
    n_estimators=30,
    learning_rate=0.1,
    max_depth=2,
    num_leaves=3,
    colsample_bytree=0.5,
    min_child_samples=100,
    early_stopping_rounds=0,
    num_threads=1,
)


@pytest.mark.slow
def test_a_split_without_embargo_overstates_the_holdout_score() -> None:
    world = SyntheticWorld("v5.3", "demo", 0)
    column = world.target_names.index(TARGET)
    drawn = [world.make_era(i, n_rows=ROWS) for i in range(1, ERAS + 1)]
    features = np.ascontiguousarray(np.concatenate([e.features for e in drawn]), dtype=np.int8)
    target = np.concatenate([e.targets[:, column] for e in drawn]).astype(np.float32)
    targets = target[:, None]
    eras = np.repeat(np.arange(1, ERAS + 1), ROWS)
    names = [f"feature_{j}" for j in range(features.shape[1])]
    embargo = embargo_eras([TARGET])
    assert embargo == 12

    def score(booster: lgb.Booster, rows: np.ndarray) -> float:
        preds = predict_rows(booster, features, rows=rows)
        return float(np.nanmean(numerai_corr(preds, target[rows], eras[rows])))

    overstated: dict[int, list[float]] = {0: [], embargo: []}
    # Start where the 60-day target exists (some auxiliary targets start late).
    for holdout_era in range(30 + WINDOW + embargo, ERAS - 2 * embargo, 3):
        later = np.flatnonzero((eras >= holdout_era + 2 * embargo) & (eras < holdout_era + 26))
        for gap in overstated:
            window = np.flatnonzero((eras >= holdout_era - WINDOW - gap) & (eras <= holdout_era))
            split = holdout_split(eras[window], holdout_eras=1, embargo=gap)
            assert split is not None and split.test_eras == (holdout_era, holdout_era)
            trainer = EnsembleTrainer.in_memory(
                features, names, targets, [TARGET], eras, PARAMS, train_rows=window[split.train]
            )
            booster = lgb.Booster(model_str=trainer.train(TARGET, 0).model_text)
            overstated[gap].append(score(booster, window[split.test]) - score(booster, later))

    leaky, embargoed = (np.array(overstated[g]) for g in (0, embargo))
    se = leaky.std() / np.sqrt(len(leaky))
    assert leaky.mean() > 2.5 * se  # without embargo the holdout looks better than it is
    assert abs(embargoed.mean()) < leaky.mean() / 2  # with it, it does not
