from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from numerai_tools.scoring import neutralize
from scipy.stats import rankdata

from numerpilot.models.ensemble import (
    combine,
    era_codes,
    predict_frame,
    rank_per_era,
)
from numerpilot.scoring import neutralize_per_era
from tests.models.toy import Toy


def test_rank_per_era_averages_ties_within_each_era() -> None:
    values = np.array([3.0, 10.0, 1.0, 2.0, 2.0, -5.0])
    codes = np.array([0, 1, 0, 0, 0, 1])
    assert rank_per_era(values, codes).tolist() == [0.875, 0.75, 0.125, 0.5, 0.5, 0.25]


def test_rank_per_era_matches_scipy_on_random_eras() -> None:
    rng = np.random.default_rng(1)
    values = rng.integers(0, 6, 500).astype(np.float64)
    codes = rng.integers(0, 7, 500)
    ranked = rank_per_era(values, codes)
    for era in range(7):
        rows = codes == era
        expected = (rankdata(values[rows]) - 0.5) / rows.sum()
        np.testing.assert_allclose(ranked[rows], expected, rtol=0, atol=1e-15)


def test_rank_refuses_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        rank_per_era(np.array([1.0, np.nan]), np.array([0, 0]))


def test_combine_ranks_the_weighted_mean_of_ranks() -> None:
    codes = np.zeros(4, dtype=np.intp)
    preds = np.array([[1.0, 40.0], [2.0, 30.0], [3.0, 20.0], [4.0, 10.0]])
    assert combine(preds, [1.0, 0.0], codes).tolist() == [0.125, 0.375, 0.625, 0.875]
    # 3:1 weights: the first column's order wins, scale of the second column does not matter.
    assert combine(preds, [3.0, 1.0], codes).tolist() == [0.125, 0.375, 0.625, 0.875]
    assert combine(preds, [1.0, 1.0], codes).tolist() == [0.5] * 4  # exact tie
    with pytest.raises(ValueError, match="weights"):
        combine(preds, [1.0], codes)


def test_neutralize_matches_numerai_tools_per_era() -> None:
    rng = np.random.default_rng(2)
    features = rng.integers(0, 5, (300, 6)).astype(np.int8)
    values = rng.random(300)
    codes = np.repeat([0, 1, 2], 100)
    ours = neutralize_per_era(values, features, codes, 0.5)
    for era in range(3):
        rows = codes == era
        theirs = neutralize(
            pd.DataFrame({"p": values[rows]}), pd.DataFrame(features[rows].astype(float)), 0.5
        )
        np.testing.assert_allclose(ours[rows], theirs["p"].to_numpy(), rtol=0, atol=1e-12)
    full = neutralize_per_era(values, features, codes, 1.0)
    for era in range(3):
        rows = codes == era
        exposure = np.corrcoef(np.column_stack([full[rows], features[rows]]).T)[0, 1:]
        assert np.abs(exposure).max() < 1e-10


@dataclass
class Spec:
    boosters: list[tuple[str, int, str]]
    weights: dict[str, float]
    neutralize_proportion: float = 0.0
    features: list[str] = field(default_factory=list)


def _booster(toy: Toy, column: int, seed: int) -> str:
    labels = toy.targets[:, column]
    known = ~np.isnan(labels)
    params = {"verbosity": -1, "num_leaves": 7, "seed": seed, "feature_fraction": 0.7}
    data = lgb.Dataset(toy.features[known].astype(np.float32), labels[known], params=params)
    return lgb.train(params, data, num_boost_round=10).model_to_string()


def test_predict_frame_averages_seeds_then_ranks_targets(toy: Toy) -> None:
    texts = {(t, s): _booster(toy, j, s) for j, t in enumerate(toy.target_names) for s in (0, 1)}
    spec = Spec(
        boosters=[(t, s, text) for (t, s), text in texts.items()],
        weights={"target": 2.0, "target_aux_20": 1.0},
    )
    x = toy.features[:400]
    eras = toy.eras[:400]
    codes = era_codes(eras)
    xf = x.astype(np.float32)
    raw = {
        t: np.mean([lgb.Booster(model_str=texts[(t, s)]).predict(xf) for s in (0, 1)], axis=0)
        for t in toy.target_names
    }
    expected = rank_per_era(
        (2 * rank_per_era(raw["target"], codes) + rank_per_era(raw["target_aux_20"], codes)) / 3,
        codes,
    )
    got = predict_frame(spec, x, eras)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert got.min() > 0 and got.max() < 1

    spec.neutralize_proportion = 1.0
    neutral = predict_frame(spec, x, eras)
    assert not np.allclose(neutral, got)
    assert neutral.min() > 0 and neutral.max() < 1
