"""The training file as LightGBM needs it: era chunks streamed into shared bins.

The int8 matrix of all 3,555 features of full train is 9.8 GB, and LightGBM's bins take about
as much again; holding both would need 20 GB. So the training rows are never loaded whole:
the era column is read first (an index), then chunks of whole eras of about ``CHUNK_BYTES``
are read one after the other while LightGBM bins them, and each chunk is dropped once binned.
Only the holdout rows stay as int8 (they are scored at the end).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from numerpilot.config import LightGBMParams
from numerpilot.data import Dataset, MemoryBudgetExceeded, RowProgress, load_dataset
from numerpilot.models.cv import era_numbers
from numerpilot.models.dataset import BIN_SAMPLE_ROWS, StreamedRows, bin_reference, build_streamed
from numerpilot.models.params import booster_params
from numerpilot.models.train import BinnedRows, bin_rows

# int8 feature bytes read per chunk: large enough that real files, whose row groups hold
# many eras, are not decoded many times over; small beside the bins.
CHUNK_BYTES = 512 * 2**20
# LightGBM 4.6 holds about 1.1 bytes per binned value of 5-valued features (measured).
BINNED_BYTES_PER_VALUE = 1.1


@dataclass(frozen=True)
class EraIndex:
    """The eras of the rows to train on (after era sampling), in ascending order."""

    labels: npt.NDArray[np.str_]
    numbers: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int64]  # rows per era

    def rows_of(self, labels: npt.NDArray[np.str_]) -> int:
        return int(self.rows[np.isin(self.labels, labels)].sum())


class TrainingFile:
    """Reads chosen eras of one file's features and targets, within a memory budget."""

    def __init__(self, path: Path | str, features: list[str], targets: list[str], budget: int):
        """``path``: a local file, or an fsspec URL (``data.urls``) every worker can see."""
        self.path = path
        self.features = features
        self.targets = targets
        self.budget = budget

    def index(self, era_step: int) -> EraIndex:
        rows = load_dataset(
            self.path, features=[], era_step=era_step, memory_budget_bytes=self.budget
        )
        codes, labels = rows.era_codes()
        return EraIndex(
            labels=labels,
            numbers=era_numbers(labels),
            rows=np.bincount(codes, minlength=len(labels)).astype(np.int64),
        )

    def load(self, eras: npt.NDArray[np.str_]) -> Dataset:
        return load_dataset(
            self.path,
            features=self.features,
            targets=self.targets,
            eras=set(eras.tolist()),
            memory_budget_bytes=self.budget,
        )

    def plan_bytes(
        self, index: EraIndex, train: npt.NDArray[np.str_], holdout: npt.NDArray[np.str_]
    ) -> int:
        """Peak memory of binning ``train`` while ``holdout``'s rows are held: the bins, the
        holdout rows (int8 and binned) and one chunk being read."""
        f = len(self.features)
        chunk = min(CHUNK_BYTES, index.rows_of(train) * f)
        return int(
            index.rows_of(train) * f * BINNED_BYTES_PER_VALUE
            + index.rows_of(holdout) * f * (1 + BINNED_BYTES_PER_VALUE)
            + 2 * chunk  # one chunk as int8, one batch of it as float32 (and slack)
        )

    def check_budget(
        self, index: EraIndex, train: npt.NDArray[np.str_], holdout: npt.NDArray[np.str_]
    ) -> None:
        """Refuse before reading anything if the bins, the holdout rows and one chunk would
        not fit the budget."""
        need = self.plan_bytes(index, train, holdout)
        if need > self.budget:
            raise MemoryBudgetExceeded(
                f"training on {index.rows_of(train):,} rows x {len(self.features)} features "
                f"needs about {need / 1e9:.1f} GB, more than the memory budget of "
                f"{self.budget / 1e9:.1f} GB; raise 'train.era_step' or choose a smaller "
                "'train.feature_set'",
                needed=need,
                budget=self.budget,
            )

    def reference(
        self, index: EraIndex, eras: npt.NDArray[np.str_], params: dict[str, Any]
    ) -> lgb.Dataset:
        """Bin boundaries from whole eras spread evenly over ``eras``."""
        per_era = max(1.0, index.rows_of(eras) / max(1, len(eras)))
        wanted = min(len(eras), math.ceil(BIN_SAMPLE_ROWS / per_era))
        picked = eras[np.unique(np.linspace(0, len(eras) - 1, wanted).astype(np.int64))]
        sample = self.load(picked)
        return bin_reference(sample.features, self.features, params)

    def streamed(
        self,
        index: EraIndex,
        eras: npt.NDArray[np.str_],
        reference: lgb.Dataset,
        progress: RowProgress | None = None,
    ) -> BinnedRows:
        """Bin ``eras`` chunk by chunk; only one chunk's int8 features exist at a time.
        ``progress`` hears (rows read so far, rows in all) as each chunk is read."""
        per_row = max(1, len(self.features))
        chunks: list[StreamedRows] = []
        start, rows = 0, 0
        counts = index.rows[np.searchsorted(index.labels, eras)]
        total, done = int(counts.sum()), [0]

        def report(n: int) -> None:
            done[0] += n
            if progress is not None:
                progress(done[0], total)

        for i, count in enumerate(counts):
            rows += int(count)
            if rows * per_row >= CHUNK_BYTES or i == len(eras) - 1:
                chunks.append(self._chunk(eras[start : i + 1], rows, report))
                start, rows = i + 1, 0
        dataset = build_streamed(chunks, reference)
        targets = np.concatenate([c.targets for c in chunks if c.targets is not None])
        if len(targets) != dataset.num_data():
            raise ValueError("a chunk was not read while binning")
        return BinnedRows(dataset=dataset, targets=targets, target_names=self.targets)

    def _chunk(
        self, eras: npt.NDArray[np.str_], rows: int, report: Callable[[int], None]
    ) -> StreamedRows:
        def read() -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
            part = self.load(eras)
            report(len(part))
            return part.features, part.targets

        return StreamedRows(rows, read)

    def in_memory(
        self, eras: npt.NDArray[np.str_], reference: lgb.Dataset
    ) -> tuple[Dataset, BinnedRows]:
        """Rows of ``eras`` loaded and binned; the int8 rows are kept (for scoring)."""
        data = self.load(eras)
        codes, _ = data.era_codes()
        binned = bin_rows(
            data.features, data.targets, self.targets, codes.astype(np.intp), reference
        )
        return data, binned


class TrainingRows:
    """A file's sampled eras, the ones to train on, and their bins (found when first needed,
    then shared by every booster and fold)."""

    def __init__(
        self,
        file: TrainingFile,
        index: EraIndex,
        train_eras: npt.NDArray[np.str_],
        params: LightGBMParams,
    ):
        self.file = file
        self.index = index
        self.train_eras = train_eras
        self.params = params

    @cached_property
    def reference(self) -> lgb.Dataset:
        return self.file.reference(self.index, self.train_eras, booster_params(self.params, seed=0))


__all__ = ["BINNED_BYTES_PER_VALUE", "CHUNK_BYTES", "EraIndex", "TrainingFile", "TrainingRows"]
