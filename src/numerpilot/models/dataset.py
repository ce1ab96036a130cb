"""LightGBM's binned Dataset, built once from int8 features and reused for every target.

The usual recipe hands LightGBM a float matrix per target: a float32 copy of all features
(4x the int8 size), rebuilt and re-binned for every target, plus an ``X[mask]`` copy when a
target has NaN labels. Here the features stay int8: LightGBM reads them in float32 batches of
a few thousand rows (``lightgbm.Sequence``), so no float copy of the whole matrix exists, and
the binned result (4 bits per value) is shared by all targets and seeds.
"""

from __future__ import annotations

import logging
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
            return row.astype(np.float64)
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
    seq = Int8Rows(features, rows)
    dataset = lgb.Dataset(
        seq,
        label=np.zeros(len(seq), dtype=np.float32),
        reference=reference,
        feature_name=reference.feature_name,
        params=reference.params,
        free_raw_data=True,
    )
    dataset.construct()
    logger.debug("binned %d rows x %d features", len(seq), features.shape[1])
    return dataset


def for_target(dataset: lgb.Dataset, labels: npt.NDArray[np.floating[Any]]) -> lgb.Dataset:
    """``dataset`` labelled with ``labels``; rows whose label is NaN are left out.

    Without NaN the shared Dataset itself is relabelled (no copy). With NaN, LightGBM's
    ``subset`` copies only the binned rows that have a label (half a byte per value), never
    the features.
    """
    if len(labels) != dataset.num_data():
        raise ValueError(f"{len(labels)} labels for {dataset.num_data()} rows")
    known = ~np.isnan(labels)
    if known.all():
        # Contiguous: a column of the (n, targets) matrix is a strided view LightGBM would copy.
        return dataset.set_label(np.ascontiguousarray(labels, dtype=np.float32))
    used = np.flatnonzero(known).astype(np.int32)
    if len(used) == 0:
        raise ValueError("every label is NaN")
    subset = dataset.subset(used.tolist()).construct()
    # The label must be set after construct(): before it, LightGBM would keep the
    # reference's placeholder labels for a subset.
    return subset.set_label(labels[known].astype(np.float32))


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
        out[start:stop] = booster.predict(seq[start:stop])
    return out


__all__ = [
    "BIN_SAMPLE_ROWS",
    "Int8Rows",
    "bin_reference",
    "build_dataset",
    "for_target",
    "predict_rows",
]
