"""The hosted pickle's predictor keeps its own copy of the per-era ranking and neutralisation
(it runs in Numerai's image without numerpilot); these tests hold the copy to the one
implementation in ``numerpilot.scoring``, bit for bit, on inputs with ties and NaN."""

from __future__ import annotations

import numpy as np
import pytest

from numerpilot.runtime import _predictor_source as predictor_source
from numerpilot.scoring import neutralize_per_era, tie_kept_rank_per_era


def _values_with_ties_and_nan(rng: np.random.Generator, n: int) -> np.ndarray:
    values = np.round(rng.normal(size=n), 1)  # one decimal: many ties
    values[rng.random(n) < 0.05] = np.nan
    values[0] = np.nan  # at least one
    values[rng.random(n) < 0.02] = -0.0  # equal to 0.0: one tie group with it
    return values


@pytest.mark.parametrize("seed", range(20))
def test_rank_copy_equals_the_shared_ranking(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    values = _values_with_ties_and_nan(rng, n)
    codes = rng.integers(0, int(rng.integers(1, 8)), n).astype(np.intp)
    copy = predictor_source.rank_per_era(values, codes)
    shared = tie_kept_rank_per_era(values, codes)
    np.testing.assert_array_equal(copy, shared)
    # Both rank NaN after every number of its era, NaNs in row order, so every row has a rank.
    assert np.isfinite(shared).all()


@pytest.mark.parametrize("seed", range(10))
def test_neutralize_copy_equals_the_shared_neutralisation(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n, f = int(rng.integers(20, 300)), int(rng.integers(1, 12))
    features = rng.integers(0, 5, (n, f)).astype(np.int8)
    values = np.round(rng.random(n), 1)  # ties
    codes = rng.integers(0, 4, n).astype(np.intp)  # rows of each era interleaved
    proportion = float(rng.choice([0.25, 0.5, 1.0]))
    copy = predictor_source.neutralize_per_era(values, features, codes, proportion)
    shared = neutralize_per_era(values, features, codes, proportion)
    np.testing.assert_array_equal(copy, shared)
    assert not np.array_equal(shared, values)


def test_a_constant_era_is_neutralised_alike() -> None:
    features = np.array([[1], [3], [0], [2]], dtype=np.int8)
    values = np.array([0.5, 0.5, 0.2, 0.9])
    codes = np.array([0, 0, 1, 1], dtype=np.intp)
    copy = predictor_source.neutralize_per_era(values, features, codes, 0.5)
    np.testing.assert_array_equal(copy, neutralize_per_era(values, features, codes, 0.5))
    assert np.isfinite(copy).all()
