"""A benchmark model's predictions as one more input of a model.

Numerai's own research loop feeds the benchmark models' predictions in as features. Here the
chosen benchmark column joins a file's rows by id and is cut, era by era, into five equal
bins (0..4) like every feature, so the binned LightGBM path needs nothing new; rows the
benchmark file does not cover (the earliest train eras) get 2, the value of a missing
feature. The input is the model's last feature, named ``benchmark_model__COLUMN``: a stored
model's feature list says which benchmark it needs, and prediction joins the matching
benchmark file (``live_benchmark_models.parquet`` for live rows) the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from numerpilot.data.dataset import Dataset
from numerpilot.data.load import load_dataset
from numerpilot.data.predictions import load_predictions
from numerpilot.data.urls import is_url
from numerpilot.errors import DataError
from numerpilot.models.ensemble import rank_per_era
from numerpilot.models.rows import TrainingFile

if TYPE_CHECKING:
    import pandas as pd

BENCHMARK_PREFIX = "benchmark_model__"
MISSING = 2
TRAIN_BENCHMARK_FILE = "train_benchmark_models.parquet"
VALIDATION_BENCHMARK_FILE = "validation_benchmark_models.parquet"
LIVE_BENCHMARK_FILE = "live_benchmark_models.parquet"


def benchmark_feature(column: str) -> str:
    return f"{BENCHMARK_PREFIX}{column}"


def benchmark_input_of(features: list[str]) -> str | None:
    """The benchmark column a model's features end with, if any."""
    if features and features[-1].startswith(BENCHMARK_PREFIX):
        return features[-1].removeprefix(BENCHMARK_PREFIX)
    return None


def benchmark_column(path: str, names: list[str], column: str | None) -> str:
    """``column``, or the benchmark file's first prediction column."""
    if column is None and names:
        return names[0]
    if column is None or column not in names:
        raise DataError(
            f"{path} has no benchmark column {column or '(none at all)'!r} "
            "(setting 'evaluation.benchmark' or 'train.benchmark_input')",
            path=str(path),
            column=column,
        )
    return column


def benchmark_values(path: Path | str, column: str | None) -> pd.Series:
    """The benchmark file's ``column`` (else its first), indexed by id; named by the column."""
    if not is_url(path) and not Path(path).is_file():
        raise DataError(
            f"{path} is missing: benchmark inputs need it (run 'numerpilot data download')",
            path=str(path),
        )
    frame = load_predictions(path)
    names = [str(c) for c in frame.columns if c not in ("era", "data_type")]
    chosen = benchmark_column(str(path), names, column)
    return frame[chosen].rename(chosen)


def quantile_bins(
    values: npt.NDArray[np.float64], codes: npt.NDArray[np.intp]
) -> npt.NDArray[np.int8]:
    """Five per-era bins of ``values`` (0..4); NaN becomes the missing value 2."""
    out = np.full(len(values), MISSING, dtype=np.int8)
    known = np.isfinite(values)
    if known.any():
        ranks = rank_per_era(values[known], codes[known])
        out[known] = np.minimum((ranks * 5).astype(np.int8), 4)
    return out


def with_benchmark(data: Dataset, values: pd.Series) -> Dataset:
    """``data`` with the benchmark's per-era bins (joined by id) as a last feature."""
    joined = values.reindex(data.ids).to_numpy(dtype=np.float64)
    codes, _ = data.era_codes()
    column = quantile_bins(joined, codes.astype(np.intp))
    return Dataset(
        ids=data.ids,
        eras=data.eras,
        features=np.column_stack([data.features, column]),
        feature_names=[*data.feature_names, benchmark_feature(str(values.name))],
        targets=data.targets,
        target_names=data.target_names,
        source=data.source,
    )


class BenchmarkFile(TrainingFile):
    """``TrainingFile`` whose rows carry the benchmark's bins as a last feature column."""

    def __init__(
        self,
        path: Path | str,
        features: list[str],
        targets: list[str],
        budget: int,
        benchmark: Path | str,
        column: str | None,
    ):
        self.values = benchmark_values(benchmark, column)
        super().__init__(
            path, [*features, benchmark_feature(str(self.values.name))], targets, budget
        )
        self.own = features
        self.source_key = (str(benchmark), column)  # what else shapes these rows

    def load(self, eras: npt.NDArray[np.str_]) -> Dataset:
        data = load_dataset(
            self.path,
            features=self.own,
            targets=self.targets,
            eras=set(eras.tolist()),
            memory_budget_bytes=self.budget,
        )
        return with_benchmark(data, self.values)


__all__ = [
    "BENCHMARK_PREFIX",
    "LIVE_BENCHMARK_FILE",
    "TRAIN_BENCHMARK_FILE",
    "VALIDATION_BENCHMARK_FILE",
    "BenchmarkFile",
    "benchmark_column",
    "benchmark_feature",
    "benchmark_input_of",
    "benchmark_values",
    "quantile_bins",
    "with_benchmark",
]
