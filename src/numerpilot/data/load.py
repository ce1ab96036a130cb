"""Loading dataset files: column projection, int8 features, era sampling, a memory budget.

The full train file is 2.75M rows x 3,555 features: as int8 that is 9.8 GB, as the float64
frame ``pd.read_parquet`` builds by the usual route it would be eight times more. So a load
here never materialises the whole table: it reads the ``era`` column first to decide which
rows to keep, refuses up front if those rows would not fit the memory budget, then streams
the file batch by batch (row groups are skipped when none of their rows is kept) and copies
each batch's columns straight into one preallocated int8 matrix. Peak memory is the result
plus one batch.

Everything read is checked, and any problem is a ``DataError`` naming the file and column:
missing file or column (with the closest names), wrong type, feature values outside 0..4 or
missing, duplicate or missing ids, a truncated or corrupt file. Nothing half-loaded escapes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from numerpilot.data.checks import (
    check_type,
    is_feature_type,
    is_number_type,
    is_string_type,
    require_columns,
    short,
)
from numerpilot.data.dataset import Dataset
from numerpilot.data.features import FeatureMetadata, read_feature_metadata, resolve_features
from numerpilot.data.manifest import check_file
from numerpilot.data.predictions import load_predictions
from numerpilot.errors import ConfigError, DataError

log = logging.getLogger(__name__)

ID, ERA, DATA_TYPE = "id", "era", "data_type"
FEATURE_MAX = 4
DEFAULT_BUDGET_FRACTION = 0.7
# Rows per batch: small enough that one batch of every feature stays in the CPU cache while
# its columns are scattered into the row-major result, large enough to amortise the calls.
BATCH_ROWS = 8192
# Bytes a row costs beyond its features and targets: era and type codes, the id in Arrow
# form (16 characters plus offset), with some slack.
ROW_OVERHEAD_BYTES = 32

RowProgress = Callable[[int, int], None]
"""Called with (rows loaded so far, rows to load)."""


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
    """Peak memory a load of these rows needs: the result plus one batch in flight (the batch
    counted at 8 bytes a value, for files that store features as int64)."""
    result = n_rows * (n_features + 4 * n_targets + ROW_OVERHEAD_BYTES)
    batch = min(n_rows, BATCH_ROWS) * (n_features + n_targets) * 8 * 2
    return result + batch


def load_dataset(
    path: Path,
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
    path = Path(path)
    where = str(path)
    features, targets = list(features), list(targets)
    for kind, names in (("features", features), ("targets", targets)):
        if len(set(names)) != len(names):
            raise ValueError(f"{kind} lists a name twice")
    if era_step < 1:
        raise ValueError("era_step must be at least 1")
    if not path.exists():
        raise DataError(f"{where} is missing; run 'numerpilot data download'", path=where)
    check_file(path)
    parquet = _open(path)
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

    era_codes, era_labels = _codes(parquet, ERA, where)
    if DATA_TYPE in schema.names:
        check_type(schema, DATA_TYPE, where, is_string_type, "strings")
        type_codes, type_labels = _codes(parquet, DATA_TYPE, where)
    else:
        type_codes, type_labels = np.zeros(len(era_codes), np.int32), np.array([""])
    keep = _select_rows(era_codes, era_labels, type_codes, type_labels, eras, data_types, era_step)
    n_keep = int(keep.sum())
    if n_keep == 0:
        raise DataError(f"{where}: no rows match the requested eras and data types", path=where)

    need = estimate_bytes(n_keep, len(features), len(targets))
    budget = memory_budget() if memory_budget_bytes is None else memory_budget_bytes
    if need > budget:
        raise _too_big(path, n_keep, len(features), len(targets), need, budget, era_step)

    out_features = np.empty((n_keep, len(features)), dtype=np.int8)
    out_targets = np.empty((n_keep, len(targets)), dtype=np.float32)
    ids = _read_rows(parquet, where, keep, features, targets, out_features, out_targets, progress)
    _check_unique_ids(ids, where)
    kept_era_codes, kept_era_labels = _compact(era_codes[keep], era_labels)
    kept_type_codes, kept_type_labels = _compact(type_codes[keep], type_labels)
    log.info("loaded %s rows x %s features from %s", n_keep, len(features), where)
    return Dataset.from_codes(
        ids=ids,
        era_codes=kept_era_codes,
        era_labels=kept_era_labels,
        type_codes=kept_type_codes.astype(np.int8),
        type_labels=kept_type_labels,
        features=out_features,
        feature_names=features,
        targets=out_targets,
        target_names=targets,
        source=where,
    )


# -- reading -------------------------------------------------------------------------------


def _open(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {path}: {short(e)} (truncated or corrupt? download it again)",
            path=str(path),
        ) from None


def _codes(
    parquet: pq.ParquetFile, column: str, where: str
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
    """One string column as (int32 code per row, sorted labels), without a str per row."""
    try:
        values = parquet.read(columns=[column]).column(0)
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt?)", path=where, column=column
        ) from None
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if values.null_count:
        raise DataError(f"{where}: column '{column}' has missing values", path=where, column=column)
    labels = np.array(sorted(pc.unique(values).to_pylist()), dtype=str)
    codes = pc.index_in(values, value_set=pa.array(labels.tolist(), values.type))
    return np.asarray(codes.to_numpy(), dtype=np.int32), labels


def _select_rows(
    era_codes: npt.NDArray[np.int32],
    era_labels: npt.NDArray[np.str_],
    type_codes: npt.NDArray[np.int32],
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


def _read_rows(
    parquet: pq.ParquetFile,
    where: str,
    keep: npt.NDArray[np.bool_],
    features: list[str],
    targets: list[str],
    out_features: npt.NDArray[np.int8],
    out_targets: npt.NDArray[np.float32],
    progress: RowProgress | None,
) -> pa.ChunkedArray:
    """Stream the kept rows' columns into the result arrays; the kept ids."""
    meta = parquet.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    groups = [i for i in range(meta.num_row_groups) if keep[starts[i] : starts[i + 1]].any()]
    # The keep mask of just the row groups read, in reading order.
    mask = np.concatenate([keep[starts[i] : starts[i + 1]] for i in groups])
    columns = [ID, *features, *targets]
    ids: list[pa.Array] = []
    done, cursor, total = 0, 0, int(mask.sum())
    current = ID  # the column being converted, if the failure is in conversion
    try:
        for batch in parquet.iter_batches(
            batch_size=BATCH_ROWS, row_groups=groups, columns=columns, use_threads=True
        ):
            rows = mask[cursor : cursor + batch.num_rows]
            cursor += batch.num_rows
            n = int(rows.sum())
            if n == 0:
                continue
            if n < batch.num_rows:
                batch = batch.filter(pa.array(rows))
            id_column = batch.column(0)
            if pa.types.is_dictionary(id_column.type):
                id_column = id_column.cast(pa.string())
            ids.append(id_column)
            block = out_features[done : done + n]
            for j, name in enumerate(features):
                current = name
                _put_feature(batch.column(1 + j), block, j, where, name)
            # One pass over the whole block catches any value outside 0..4 (negative int8
            # values are >= 128 as uint8); only then is the culprit column searched.
            if n and len(features) and block.view(np.uint8).max() > FEATURE_MAX:
                bad = int(np.argmax((block.view(np.uint8) > FEATURE_MAX).any(axis=0)))
                raise DataError(
                    f"{where}: feature '{features[bad]}' has values outside 0..{FEATURE_MAX}",
                    path=where,
                    column=features[bad],
                )
            for j, name in enumerate(targets):
                current = name
                column = batch.column(1 + len(features) + j)
                out_targets[done : done + n, j] = column.to_numpy(zero_copy_only=False)
            done += n
            if progress:
                progress(done, total)
    except (pa.ArrowException, OSError) as e:
        culprit = _corrupt_column(where, groups, columns) or current
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt? download it again)",
            path=where,
            column=culprit,
        ) from None
    if done != total:
        raise DataError(f"{where}: expected {total} rows, read {done} (corrupt file?)", path=where)
    return pa.chunked_array(ids)


def _corrupt_column(where: str, groups: list[int], columns: list[str]) -> str | None:
    """After a failed read: the first column that cannot be read on its own, if any.
    Batches decode all columns together, so the error itself does not say which."""
    try:
        parquet = pq.ParquetFile(where)
    except (pa.ArrowException, OSError):
        return None
    for name in columns:
        try:
            parquet.read_row_groups(groups, columns=[name])
        except (pa.ArrowException, OSError):
            return name
    return None


def _put_feature(
    column: pa.Array, block: npt.NDArray[np.int8], j: int, where: str, name: str
) -> None:
    if column.null_count:
        raise DataError(f"{where}: feature '{name}' has missing values", path=where, column=name)
    values = column.to_numpy(zero_copy_only=False)
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise DataError(f"{where}: feature '{name}' has missing values", path=where, column=name)
    if values.dtype != np.int8:
        # Wider integers or floats (older files): check before narrowing, which would wrap.
        if len(values) and (values.min() < 0 or values.max() > FEATURE_MAX):
            raise DataError(
                f"{where}: feature '{name}' has values outside 0..{FEATURE_MAX}",
                path=where,
                column=name,
            )
        if values.dtype.kind == "f" and not np.array_equal(values, np.floor(values)):
            raise DataError(
                f"{where}: feature '{name}' has values that are not whole numbers",
                path=where,
                column=name,
            )
    block[:, j] = values


def _check_unique_ids(ids: pa.ChunkedArray, where: str) -> None:
    if ids.null_count:
        raise DataError(f"{where}: some ids are missing", path=where, column=ID)
    if pc.count_distinct(ids).as_py() != len(ids):
        counts = pc.value_counts(ids)
        repeated = counts.filter(pc.greater(counts.field("counts"), 1))
        example = repeated.field("values")[0].as_py()
        raise DataError(f"{where}: id {example!r} appears more than once", path=where, column=ID)


def _compact(
    codes: npt.NDArray[np.int32], labels: npt.NDArray[np.str_]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
    """Codes renumbered over only the labels that still occur."""
    present = np.unique(codes)
    remap = np.full(len(labels), -1, dtype=np.int32)
    remap[present] = np.arange(len(present), dtype=np.int32)
    return remap[codes], labels[present]


def _too_big(
    path: Path, rows: int, n_features: int, n_targets: int, need: int, budget: int, era_step: int
) -> MemoryBudgetExceeded:
    step = max(era_step + 1, math.ceil(era_step * need / budget))
    return MemoryBudgetExceeded(
        f"loading {rows:,} rows x {n_features:,} features + {n_targets} targets of {path.name} "
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
