"""Benchmark predictions as an input: binned per era like a feature, missing where uncovered."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numerpilot.config import TrainSettings
from numerpilot.errors import ConfigError
from numerpilot.models.benchmark_input import (
    BenchmarkFile,
    benchmark_feature,
    benchmark_input_of,
    quantile_bins,
)
from numerpilot.research._space import TrialConfig, grid
from numerpilot.research._spec import SpaceSettings


def test_quantile_bins_are_per_era_fifths_and_nan_is_missing() -> None:
    values = np.array([0.1, 0.2, 0.3, 0.4, 0.5, np.nan, 5.0, 1.0, 3.0, 2.0, 4.0])
    codes = np.array([0] * 6 + [1] * 5, dtype=np.intp)
    assert quantile_bins(values, codes).tolist() == [0, 1, 2, 3, 4, 2, 4, 0, 2, 1, 3]


def test_rows_carry_the_benchmark_as_a_last_feature(demo_data_dir: Path) -> None:
    root = demo_data_dir / "v5.3"
    features = json.loads((root / "features.json").read_text())["feature_sets"]["small"]
    file = BenchmarkFile(
        root / "train.parquet", features, ["target"], 2 * 10**9,
        root / "train_benchmark_models.parquet", None,
    )  # fmt: skip
    index = file.index(1)
    data = file.load(index.labels[[0, -1]])  # the first era is before the benchmark's start
    named = benchmark_feature("v53_lgbm_ender20")  # the file's first (and only) column
    assert data.feature_names == [*features, named] == file.features
    assert benchmark_input_of(file.features) == "v53_lgbm_ender20"
    assert benchmark_input_of(features) is None
    column = data.features[:, -1]
    first = data.eras == index.labels[0]
    assert (column[first] == 2).all()  # not covered: the missing value
    assert sorted(set(column[~first].tolist())) == [0, 1, 2, 3, 4]


def test_benchmark_inputs_are_searched_and_trained_with_their_column() -> None:
    space = SpaceSettings(benchmark_inputs=[False, True])
    configs = list(grid(space))
    assert [c.benchmark_inputs for c in configs] == [False, True]
    assert configs[0].key() != configs[1].key()
    with pytest.raises(ConfigError, match=r"'space\.benchmark_inputs'.*'evaluation\.benchmark'"):
        configs[1].train_settings(TrainSettings())
    assert configs[1].train_settings(TrainSettings(), "b1").benchmark_input == "b1"
    # A winner without the input clears the project's.
    base = TrainSettings(benchmark_input="b1")
    assert configs[0].train_settings(base, "b1").benchmark_input is None
    assert TrialConfig.model_validate(configs[1].model_dump(mode="json")) == configs[1]
