"""Random Numerai-like data with the awkward cases: ties, tiny eras, constant columns, NaN
targets, rows not grouped by era. Ids follow row order, so within an era id order (which
numerai-tools sorts by) is row order (which numerpilot breaks ties by)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

ERA_SIZES = (2, 3, 5, 41, 160, 230)


@dataclass
class Sample:
    ids: pd.Index
    eras: np.ndarray  # int codes per row, shuffled
    predictions: np.ndarray  # (n, 4): ties, continuous, few values, constant
    target: np.ndarray  # five bins, some NaN in the large eras
    meta: np.ndarray
    features: np.ndarray  # int8 (n, 7); one column constant in one era

    def frame(self, era: int) -> pd.DataFrame:
        rows = self.eras == era
        df = pd.DataFrame(self.predictions[rows], index=self.ids[rows], columns=list("abcd"))
        df["target"] = self.target[rows]
        df["meta"] = self.meta[rows]
        return df

    def feature_frame(self, era: int) -> pd.DataFrame:
        rows = self.eras == era
        return pd.DataFrame(self.features[rows], index=self.ids[rows])


def make_sample(seed: int) -> Sample:
    rng = np.random.default_rng(seed)
    eras = rng.permutation(np.repeat(np.arange(len(ERA_SIZES)), ERA_SIZES))
    n = eras.size
    predictions = np.column_stack(
        [
            rng.integers(0, 5, n) / 4,
            rng.random(n),
            rng.choice([0.1, 0.2, 0.9], n),
            np.full(n, 0.5),
        ]
    )
    target = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], n, p=[0.05, 0.2, 0.5, 0.2, 0.05])
    large = np.isin(eras, [4, 5])
    target[large & (rng.random(n) < 0.1)] = np.nan
    meta = 0.5 * predictions[:, 1] + 0.5 * rng.random(n)
    features = rng.integers(0, 5, (n, 7)).astype(np.int8)
    features[eras == 3, 2] = 2  # missing for a whole era
    ids = pd.Index([f"n{i:015x}" for i in range(n)], name="id")
    return Sample(ids, eras, predictions, target, meta, features)


@pytest.fixture(params=[0, 1, 2])
def sample(request: pytest.FixtureRequest) -> Sample:
    return make_sample(request.param)
