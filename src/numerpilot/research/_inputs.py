"""A benchmark model's predictions as one more input of a trial.

Numerai's own research loop feeds the benchmark models' predictions in as features. Here the
chosen benchmark column joins a file's rows by id and is cut, era by era, into five equal
bins (0..4) like every feature, so the binned LightGBM path needs nothing new; rows the
benchmark file does not cover (the earliest train eras) get 2, the value of a missing
feature. This is research only: a configuration with benchmark inputs is scored, but cannot
be promoted yet (live prediction and the hosted pickle would need the live benchmark file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from numerpilot.data.dataset import Dataset
from numerpilot.data.load import load_dataset
from numerpilot.data.predictions import load_predictions
from numerpilot.data.urls import is_url
from numerpilot.errors import DataError
from numerpilot.models.ensemble import rank_per_era
from numerpilot.models.rows import TrainingFile

BENCHMARK_INPUT = "feature_benchmark_model"
MISSING = 2


def benchmark_column(path: str, names: list[str], column: str | None) -> str:
    """``column``, or the benchmark file's first prediction column."""
    if column is None and names:
        return names[0]
    if column is None or column not in names:
        raise DataError(
            f"{path} has no benchmark column {column or '(none at all)'!r} "
            "(setting 'evaluation.benchmark')",
            path=str(path),
            column=column,
        )
    return column


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


class WithBenchmark(TrainingFile):
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
        super().__init__(path, [*features, BENCHMARK_INPUT], targets, budget)
        if not is_url(benchmark) and not Path(benchmark).is_file():
            raise DataError(
                f"{benchmark} is missing: benchmark inputs need it (run 'numerpilot data "
                "download')",
                path=str(benchmark),
            )
        self.own = features
        self.source_key = (str(benchmark), column)  # what else shapes these rows
        frame = load_predictions(benchmark)
        names = [str(c) for c in frame.columns if c not in ("era", "data_type")]
        self.values = frame[benchmark_column(str(benchmark), names, column)]

    def load(self, eras: npt.NDArray[np.str_]) -> Dataset:
        data = load_dataset(
            self.path,
            features=self.own,
            targets=self.targets,
            eras=set(eras.tolist()),
            memory_budget_bytes=self.budget,
        )
        values = self.values.reindex(data.ids).to_numpy(dtype=np.float64)
        codes, _ = data.era_codes()
        column = quantile_bins(values, codes.astype(np.intp))
        return Dataset(
            ids=data.ids,
            eras=data.eras,
            features=np.column_stack([data.features, column]),
            feature_names=self.features,
            targets=data.targets,
            target_names=self.targets,
            source=data.source,
        )


__all__ = ["BENCHMARK_INPUT", "WithBenchmark", "benchmark_column", "quantile_bins"]
