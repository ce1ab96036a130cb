"""Fixtures of the models tests."""

from __future__ import annotations

import pytest

from numerpilot.config import LightGBMParams
from tests.models.toy import Toy, make_toy


@pytest.fixture
def toy() -> Toy:
    return make_toy()


@pytest.fixture
def fast_params() -> LightGBMParams:
    return LightGBMParams(
        learning_rate=0.1,
        n_estimators=30,
        max_depth=3,
        num_leaves=7,
        colsample_bytree=0.8,
        min_child_samples=20,
        early_stopping_rounds=0,
        num_threads=1,
    )
