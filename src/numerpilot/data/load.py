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
# Feature columns read in one pass over the file (see _read_rows).
COLUMNS_PER_PASS = 128
# Buffers Arrow's parquet reader holds per column being read (measured: ~150 KB).
READER_BYTES_PER_COLUMN = 200_000
# Bytes a row costs beyond its features and targets: era and type codes, the id in Arrow
# form (16 characters plus offset), with some slack.
ROW_OVERHEAD_BYTES = 32

RowProgress = Callable[[int, int], None]
"""Called with (work done, total work), counted in rows per band of columns read."""


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
    if set(features) & set(targets):
        raise ValueError("a name is listed both as a feature and as a target")
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

    groups, mask = _row_groups(parquet, keep)
    ids = _read_ids(parquet, groups, mask, where)
    # What the small columns left in Arrow's pool goes back to the system before the
    # large allocation, so it does not add to the peak.
    pa.default_memory_pool().release_unused()
    out_features = np.empty((n_keep, len(features)), dtype=np.int8)
    out_targets = np.empty((n_keep, len(targets)), dtype=np.float32)
    _read_rows(parquet, where, groups, mask, features, targets, out_features, out_targets, progress)
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
        # Eras and data types come as dictionary codes: no string object per row.
        return pq.ParquetFile(path, read_dictionary=[ERA, DATA_TYPE])
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {path}: {short(e)} (truncated or corrupt? download it again)",
            path=str(path),
        ) from None


def _codes(
    parquet: pq.ParquetFile, column: str, where: str
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
    """One string column as (int32 code per row, sorted labels)."""
    try:
        values = parquet.read(columns=[column]).column(0)
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt?)", path=where, column=column
        ) from None
    if values.null_count:
        raise DataError(f"{where}: column '{column}' has missing values", path=where, column=column)
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    values = values.unify_dictionaries()  # one dictionary shared by every chunk
    if values.num_chunks == 0:
        return np.zeros(0, np.int32), np.array([], dtype=str)
    dictionary = np.array(values.chunk(0).dictionary.to_pylist(), dtype=str)
    order = np.argsort(dictionary)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    indices = np.concatenate([chunk.indices.to_numpy() for chunk in values.chunks])
    return rank[indices], dictionary[order]


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


def _row_groups(
    parquet: pq.ParquetFile, keep: npt.NDArray[np.bool_]
) -> tuple[list[int], npt.NDArray[np.bool_]]:
    """The row groups with a kept row, and the keep mask of just those, in reading order."""
    meta = parquet.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    groups = [i for i in range(meta.num_row_groups) if keep[starts[i] : starts[i + 1]].any()]
    mask = np.concatenate([keep[starts[i] : starts[i + 1]] for i in groups])
    return groups, mask


def _read_ids(
    parquet: pq.ParquetFile, groups: list[int], mask: npt.NDArray[np.bool_], where: str
) -> pa.ChunkedArray:
    """The kept rows' ids, checked: present and unique."""
    try:
        ids = parquet.read_row_groups(groups, columns=[ID]).column(0)
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt?)", path=where, column=ID
        ) from None
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(pa.string())
    if not mask.all():
        ids = ids.filter(pa.array(mask))
    ids = ids.combine_chunks()
    if ids.null_count:
        raise DataError(f"{where}: some ids are missing", path=where, column=ID)
    repeated = _repeated_id(ids)
    if repeated is not None:
        raise DataError(f"{where}: id {repeated!r} appears more than once", path=where, column=ID)
    return pa.chunked_array([ids])


def _repeated_id(ids: pa.Array) -> str | None:
    """An id that occurs more than once, or None. Numerai's ids all have the same length:
    sorted as fixed-width bytes they are checked several times faster than Arrow hashes them."""
    if len(ids) < 2:
        return None
    wide = pa.types.is_large_string(ids.type)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[ids.offset : ids.offset + len(ids) + 1]
    widths = np.diff(offsets)
    if widths[0] > 0 and (widths == widths[0]).all():
        data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        ordered = np.sort(data.view(f"S{widths[0]}"))
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        return ordered[same[0]].decode() if len(same) else None
    if len(pc.unique(ids)) == len(ids):
        return None
    counts = pc.value_counts(ids)
    return str(counts.filter(pc.greater(counts.field("counts"), 1)).field("values")[0].as_py())


def _read_rows(
    parquet: pq.ParquetFile,
    where: str,
    groups: list[int],
    mask: npt.NDArray[np.bool_],
    features: list[str],
    targets: list[str],
    out_features: npt.NDArray[np.int8],
    out_targets: npt.NDArray[np.float32],
    progress: RowProgress | None,
) -> None:
    """Stream the kept rows' feature and target columns into the result arrays, a band of
    columns at a time: Arrow's reader holds buffers for every column it reads at once (about
    150 KB each), which for thousands of columns would rival a sampled result in size."""
    bands = [
        (start, features[start : start + COLUMNS_PER_PASS])
        for start in range(0, len(features), COLUMNS_PER_PASS)
    ] or [(0, [])]
    total = int(mask.sum())
    for number, (start, band) in enumerate(bands):
        last = number == len(bands) - 1
        columns = band + (targets if last else [])
        if not columns:
            continue
        done, cursor = 0, 0
        stop = start + len(band)
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
                if band:
                    _put_features(batch, band, out_features[done : done + n, start:stop], where)
                if last:
                    for j in range(len(targets)):
                        column = batch.column(len(band) + j).to_numpy(zero_copy_only=False)
                        out_targets[done : done + n, j] = column
                done += n
                if progress:
                    progress(number * total + done, len(bands) * total)
        except (pa.ArrowException, OSError) as e:
            raise DataError(
                f"cannot read {where}: {short(e)} (truncated or corrupt? download it again)",
                path=where,
                column=_corrupt_column(where, groups, columns),
            ) from None
        if done != total:
            raise DataError(
                f"{where}: expected {total} rows, read {done} (corrupt file?)", path=where
            )


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


def _put_features(
    batch: pa.RecordBatch, features: list[str], block: npt.NDArray[np.int8], where: str
) -> None:
    """The batch's first len(features) columns, the features, into ``block``, checked.

    Arrow lays the columns out row-major itself (``to_tensor``), much faster than
    scattering them one by one from Python into the rows of ``block``.
    """
    part = batch.select(range(len(features)))
    for j, column in enumerate(part.columns):
        if column.null_count:
            raise _feature_error(where, features[j], "has missing values")
    values = np.asarray(part.to_tensor(row_major=True))
    if values.dtype == np.int8:
        block[...] = values
        # Negative int8 values are >= 128 as uint8: one comparison finds both ends.
        if block.view(np.uint8).max() > FEATURE_MAX:
            raise _feature_error(where, _first_bad(block.view(np.uint8) > FEATURE_MAX, features))
        return
    # Wider integers or floats (older files): checked before narrowing, which would wrap.
    if values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise _feature_error(
                where, _first_bad(~np.isfinite(values), features), "has missing values"
            )
        if not np.array_equal(values, np.floor(values)):
            raise _feature_error(
                where,
                _first_bad(values != np.floor(values), features),
                "has values that are not whole numbers",
            )
    outside = (values < 0) | (values > FEATURE_MAX)
    if outside.any():
        raise _feature_error(where, _first_bad(outside, features))
    block[...] = values


def _first_bad(bad: npt.NDArray[np.bool_], features: list[str]) -> str:
    return features[int(np.argmax(bad.any(axis=0)))]


def _feature_error(
    where: str, name: str, what: str = f"has values outside 0..{FEATURE_MAX}"
) -> DataError:
    return DataError(f"{where}: feature '{name}' {what}", path=where, column=name)


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
