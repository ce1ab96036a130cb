"""Loading dataset files: column projection, int8 features, era sampling, a memory budget.

The full train file is 2.75M rows x 3,555 features: as int8 that is 9.8 GB, as the float64
frame ``pd.read_parquet`` builds by the usual route it would be eight times more. So a load
here never materialises the whole table: it reads the ``era`` column first to decide which
rows to keep, refuses up front if those rows would not fit the memory budget, then streams
the file batch by batch (row groups are skipped when none of their rows is kept) and copies
each batch's columns straight into one preallocated int8 matrix (``reader``). Peak memory
is the result plus one band of columns in flight.

Everything read is checked, and any problem is a ``DataError`` naming the file and column:
missing file or column (with the closest names), wrong type, feature values outside 0..4 or
missing, duplicate or missing ids, a truncated or corrupt file. Nothing half-loaded escapes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import psutil
import pyarrow as pa

from numerpilot.data._checks import (
    check_type,
    is_feature_type,
    is_number_type,
    is_string_type,
    require_columns,
)
from numerpilot.data._reader import (
    BATCH_ROWS,
    COLUMNS_PER_PASS,
    DATA_TYPE,
    ERA,
    ID,
    READER_BYTES_PER_COLUMN,
    RowProgress,
    open_parquet,
    read_codes,
    read_ids,
    read_rows,
    row_groups,
)
from numerpilot.data.dataset import Dataset
from numerpilot.data.features import FeatureMetadata, read_feature_metadata, resolve_features
from numerpilot.data.manifest import check_file
from numerpilot.data.predictions import load_predictions
from numerpilot.data.urls import Source, is_url, open_url, source_name
from numerpilot.errors import ConfigError, DataError

log = logging.getLogger(__name__)

CodeT = TypeVar("CodeT", np.int8, np.int32)

DEFAULT_BUDGET_FRACTION = 0.7
# Bytes a row costs beyond its features and targets: era and type codes, the id in Arrow
# form (16 characters plus offset), with some slack.
ROW_OVERHEAD_BYTES = 32


@dataclass(frozen=True)
class EraRange:
    """Eras ``first`` to ``last``, both included; None leaves that end open."""

    first: str | None = None
    last: str | None = None

    def __contains__(self, era: object) -> bool:
        return isinstance(era, str) and (
            (self.first is None or era >= self.first) and (self.last is None or era <= self.last)
        )


class MemoryBudgetExceeded(ConfigError):
    """A load would need more memory than the budget allows."""

    def __init__(self, message: str, *, needed: int, budget: int):
        super().__init__(message)
        self.needed = needed
        self.budget = budget


def memory_budget(fraction: float = DEFAULT_BUDGET_FRACTION) -> int:
    """``fraction`` of the memory available now (``data.memory_budget_fraction``)."""
    return int(psutil.virtual_memory().available * fraction)


def estimate_bytes(n_rows: int, n_features: int, n_targets: int) -> int:
    """Peak memory a load of these rows needs: the result, plus one band of columns in
    flight: Arrow's reader buffers and one batch (counted at 8 bytes a value, for files
    that store features as int64, and twice: as read and laid out)."""
    result = n_rows * (n_features + 4 * n_targets + ROW_OVERHEAD_BYTES)
    band = min(n_features, COLUMNS_PER_PASS) + n_targets
    in_flight = band * (READER_BYTES_PER_COLUMN + min(n_rows, BATCH_ROWS) * 8 * 2)
    return result + in_flight


def load_dataset(
    path: Source,
    *,
    features: Sequence[str],
    targets: Sequence[str] = (),
    era_step: int = 1,
    eras: Collection[str] | EraRange | None = None,
    data_types: Collection[str] | None = None,
    memory_budget_bytes: int | None = None,
    progress: RowProgress | None = None,
) -> Dataset:
    """Load ``features`` (int8) and ``targets`` (float32) of the rows chosen by ``data_types``
    (e.g. ``{"validation"}``), ``eras`` (labels or an ``EraRange``) and ``era_step`` (every
    Nth of the remaining eras, from the first). ``memory_budget_bytes`` defaults to 70 % of
    the available memory; a larger request raises ``MemoryBudgetExceeded``."""
    where = str(path)
    features, targets = list(features), list(targets)
    for kind, names in (("features", features), ("targets", targets)):
        if len(set(names)) != len(names):
            raise ValueError(f"{kind} lists a name twice")
    if set(features) & set(targets):
        raise ValueError("a name is listed both as a feature and as a target")
    if era_step < 1:
        raise ValueError("era_step must be at least 1")
    if is_url(path):  # a file every Dask worker can see (see data.urls)
        parquet = open_parquet(open_url(str(path)), where)
    else:
        path = Path(path)
        if not path.exists():
            raise DataError(f"{where} is missing; run 'numerpilot data download'", path=where)
        check_file(path)
        parquet = open_parquet(path)
    schema = parquet.schema_arrow
    require_columns(schema, [ID, ERA, *features, *targets], where)
    if data_types is not None:
        require_columns(schema, [DATA_TYPE], where)
    for name in features:
        check_type(schema, name, where, is_feature_type, "integers 0..4")
    for name in targets:
        check_type(schema, name, where, is_number_type, "numbers")
    check_type(schema, ID, where, is_string_type, "strings")
    check_type(schema, ERA, where, is_string_type, "strings")

    era_codes, era_labels = read_codes(parquet, ERA, where)
    if DATA_TYPE in schema.names:
        check_type(schema, DATA_TYPE, where, is_string_type, "strings")
        codes, type_labels = read_codes(parquet, DATA_TYPE, where)
        type_codes = codes.astype(np.int8)  # a handful of labels
    else:
        type_codes, type_labels = np.zeros(len(era_codes), np.int8), np.array([""])
    keep = _select_rows(era_codes, era_labels, type_codes, type_labels, eras, data_types, era_step)
    n_keep = int(keep.sum())
    if n_keep == 0:
        raise DataError(f"{where}: no rows match the requested eras and data types", path=where)

    need = estimate_bytes(n_keep, len(features), len(targets))
    budget = memory_budget() if memory_budget_bytes is None else memory_budget_bytes
    if need > budget:
        raise _too_big(
            source_name(path), n_keep, len(features), len(targets), need, budget, era_step
        )

    groups, mask = row_groups(parquet, keep)
    ids = read_ids(parquet, groups, mask, where)
    # What the small columns left in Arrow's pool goes back to the system before the
    # large allocation, so it does not add to the peak.
    pa.default_memory_pool().release_unused()
    out_features = np.empty((n_keep, len(features)), dtype=np.int8)
    out_targets = np.empty((n_keep, len(targets)), dtype=np.float32)
    read_rows(parquet, where, groups, mask, features, targets, out_features, out_targets, progress)
    kept_era_codes, kept_era_labels = _compact(era_codes, era_labels, keep)
    kept_type_codes, kept_type_labels = _compact(type_codes, type_labels, keep)
    log.info("loaded %s rows x %s features from %s", n_keep, len(features), where)
    return Dataset.from_codes(
        ids=ids,
        era_codes=kept_era_codes,
        era_labels=kept_era_labels,
        type_codes=kept_type_codes,
        type_labels=kept_type_labels,
        features=out_features,
        feature_names=features,
        targets=out_targets,
        target_names=targets,
        source=where,
    )


def _select_rows(
    era_codes: npt.NDArray[np.int32],
    era_labels: npt.NDArray[np.str_],
    type_codes: npt.NDArray[np.int8],
    type_labels: npt.NDArray[np.str_],
    eras: Collection[str] | EraRange | None,
    data_types: Collection[str] | None,
    era_step: int,
) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(era_codes), dtype=bool)
    if data_types is not None:
        wanted_types = np.array([label in data_types for label in type_labels])
        keep &= wanted_types[type_codes]
    era_ok = np.zeros(len(era_labels), dtype=bool)
    era_ok[np.unique(era_codes[keep])] = True  # eras that still have rows
    if eras is not None:
        era_ok &= np.array([label in eras for label in era_labels])
    if era_step > 1:
        sampled = np.zeros_like(era_ok)
        sampled[np.flatnonzero(era_ok)[::era_step]] = True
        era_ok = sampled
    keep &= era_ok[era_codes]
    return keep


def _compact(
    codes: npt.NDArray[CodeT], labels: npt.NDArray[np.str_], keep: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[CodeT], npt.NDArray[np.str_]]:
    """The kept rows' codes, renumbered over only the labels that still occur (no copy
    when every row is kept and every label occurs)."""
    if not keep.all():
        codes = codes[keep]
    present = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    if len(present) == len(labels):
        return codes, labels
    remap = np.zeros(len(labels), dtype=codes.dtype)
    remap[present] = np.arange(len(present))
    return remap[codes], labels[present]


def _too_big(
    name: str, rows: int, n_features: int, n_targets: int, need: int, budget: int, era_step: int
) -> MemoryBudgetExceeded:
    step = max(era_step + 1, math.ceil(era_step * need / budget))
    return MemoryBudgetExceeded(
        f"loading {rows:,} rows x {n_features:,} features + {n_targets} targets of {name} "
        f"needs about {need / 1e9:.1f} GB, more than the memory budget of {budget / 1e9:.1f} GB "
        f"(data.memory_budget_fraction of the available memory); use a smaller feature set "
        f"(train.feature_set) or sample eras (train.era_step = {step})",
        needed=need,
        budget=budget,
    )


__all__ = [
    "BATCH_ROWS",
    "Dataset",
    "EraRange",
    "FeatureMetadata",
    "MemoryBudgetExceeded",
    "RowProgress",
    "estimate_bytes",
    "load_dataset",
    "load_predictions",
    "memory_budget",
    "read_feature_metadata",
    "resolve_features",
]
