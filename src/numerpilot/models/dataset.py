"""LightGBM's binned Dataset, built once from int8 features and reused for every target.

The usual recipe hands LightGBM a float matrix per target: a float32 copy of all features
(4x the int8 size), rebuilt and re-binned for every target, plus an ``X[mask]`` copy when a
target has NaN labels. Here the features stay int8: LightGBM reads them in float32 batches of
a few thousand rows (``lightgbm.Sequence``), so no float copy of the whole matrix exists, and
the binned result (about a byte per value) is shared by all targets and seeds. Where even the
int8 matrix is too large to hold beside the bins, the rows are streamed from disk chunk by
chunk (``StreamedRows``). NaN labels become zero weights, never a copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

# Rows used to find each feature's bins. Features take five values, each on roughly a fifth of
# the rows, so a few thousand rows already see every value; more only costs memory (the sample
# is dense float32).
BIN_SAMPLE_ROWS = 20_000
BATCH_ROWS = 16_384

IntArray = npt.NDArray[np.int64]


class Int8Rows(lgb.Sequence):
    """Rows of an int8 (n, f) matrix, optionally a sorted selection, as float batches."""

    batch_size = BATCH_ROWS

    def __init__(self, features: npt.NDArray[np.int8], rows: IntArray | None = None):
        if features.ndim != 2:
            raise ValueError(f"features must be 2-D, got shape {features.shape}")
        self.features = features
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else int(self.features.shape[0])

    def __getitem__(self, idx: int | slice | list[int]) -> npt.NDArray[Any]:
        if isinstance(idx, int | np.integer):
            row = self.features[idx if self.rows is None else self.rows[idx]]
            # LightGBM samples single rows as float64 when it looks for bin boundaries.
            as_float: npt.NDArray[Any] = row.astype(np.float64)
            return as_float
        picked = idx if self.rows is None else self.rows[idx]
        return np.ascontiguousarray(self.features[picked], dtype=np.float32)


def _sample_rows(n: int, count: int) -> IntArray:
    """Evenly spread rows (deterministic, and covering every era of era-sorted data)."""
    if n <= count:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, count).astype(np.int64))


def bin_reference(
    features: npt.NDArray[np.int8],
    feature_names: list[str],
    params: dict[str, Any],
    *,
    rows: IntArray | None = None,
    sample_rows: int = BIN_SAMPLE_ROWS,
) -> lgb.Dataset:
    """A small Dataset whose only job is to carry the bin mappers for the big ones."""
    pool = rows if rows is not None else np.arange(features.shape[0], dtype=np.int64)
    if len(pool) == 0:
        raise ValueError("no rows to find feature bins on")
    picked = pool[_sample_rows(len(pool), sample_rows)]
    sample = features[picked].astype(np.float32)
    reference = lgb.Dataset(
        sample,
        label=np.zeros(len(sample), dtype=np.float32),
        feature_name=feature_names,
        params=params,
        free_raw_data=True,
    )
    return reference.construct()


def build_dataset(
    features: npt.NDArray[np.int8],
    reference: lgb.Dataset,
    *,
    rows: IntArray | None = None,
) -> lgb.Dataset:
    """Bin ``features`` (or the selected ``rows``) with ``reference``'s bins, batch by batch.

    The label is a placeholder; ``for_target`` sets each target's labels on the shared bins.
    """
    return _construct(Int8Rows(features, rows), reference)


class StreamedRows(lgb.Sequence):
    """One chunk of rows that is read only when LightGBM reaches it, and dropped after.

    ``read`` returns the chunk's int8 features and its float32 targets; the targets stay
    (``targets``) so each row's labels arrive in the order LightGBM binned the rows.
    """

    batch_size = BATCH_ROWS

    def __init__(
        self,
        n_rows: int,
        read: Callable[[], tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]],
    ):
        self.n_rows = n_rows
        self._read = read
        self._features: npt.NDArray[np.int8] | None = None
        self.targets: npt.NDArray[np.float32] | None = None

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, idx: int | slice | list[int]) -> npt.NDArray[Any]:
        if not isinstance(idx, slice):
            raise TypeError("streamed rows are read in order, one batch after the other")
        if self._features is None:
            features, targets = self._read()
            if len(features) != self.n_rows or len(targets) != self.n_rows:
                raise ValueError(f"chunk has {len(features)} rows, expected {self.n_rows}")
            self._features, self.targets = features, targets
        block = np.ascontiguousarray(self._features[idx], dtype=np.float32)
        if idx.stop is None or idx.stop >= self.n_rows:
            self._features = None  # LightGBM reads each chunk once, front to back
        return block


def build_streamed(chunks: list[StreamedRows], reference: lgb.Dataset) -> lgb.Dataset:
    """Bin the rows of ``chunks`` in order; at most one chunk's features are in memory."""
    if not chunks:
        raise ValueError("no rows to bin")
    return _construct(chunks, reference)


def _construct(data: lgb.Sequence | list[StreamedRows], reference: lgb.Dataset) -> lgb.Dataset:
    n = len(data) if isinstance(data, lgb.Sequence) else sum(len(c) for c in data)
    dataset = lgb.Dataset(
        data,
        label=np.zeros(n, dtype=np.float32),
        reference=reference,
        feature_name=reference.feature_name,
        params=reference.params,
        free_raw_data=True,
    )
    dataset.construct()
    logger.debug("binned %d rows x %d features", n, dataset.num_feature())
    return dataset


def for_target(dataset: lgb.Dataset, labels: npt.NDArray[np.floating[Any]]) -> float:
    """Label the shared ``dataset`` with ``labels``; rows whose label is NaN get weight 0.

    A zero weight removes a row from every gradient, hessian, leaf value and the initial
    score, without copying the binned rows the way ``Dataset.subset`` would (a copy as large
    as the bins themselves on full data). Returns the share of labelled rows: LightGBM counts
    a leaf's rows from its hessian, so ``min_data_in_leaf`` should be divided by it.
    """
    if len(labels) != dataset.num_data():
        raise ValueError(f"{len(labels)} labels for {dataset.num_data()} rows")
    known = ~np.isnan(labels)
    share = float(known.mean()) if len(labels) else 0.0
    if share == 0:
        raise ValueError("every label is NaN")
    dataset.set_label(np.where(known, labels, 0).astype(np.float32))
    if share < 1:
        dataset.set_weight(known.astype(np.float32))
    else:
        # set_weight(all ones) would keep the zeros a previous target left; clear them.
        dataset.set_field("weight", None)
        dataset.weight = None
    return share


def predict_rows(
    booster: lgb.Booster,
    features: npt.NDArray[np.int8],
    *,
    rows: IntArray | None = None,
    batch_rows: int = 65_536,
) -> npt.NDArray[np.float64]:
    """``booster``'s predictions for int8 features, converted to float in bounded batches."""
    seq = Int8Rows(features, rows)
    out = np.empty(len(seq), dtype=np.float64)
    for start in range(0, len(seq), batch_rows):
        stop = min(start + batch_rows, len(seq))
        # A Booster predicts an ndarray for dense input (the sparse forms are for sparse input).
        out[start:stop] = np.asarray(booster.predict(seq[start:stop]), dtype=np.float64)
    return out


__all__ = [
    "BIN_SAMPLE_ROWS",
    "Int8Rows",
    "StreamedRows",
    "bin_reference",
    "build_dataset",
    "build_streamed",
    "for_target",
    "predict_rows",
]
