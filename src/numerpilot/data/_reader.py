"""Streaming a parquet file into preallocated numpy arrays (the engine of ``load``).

Small columns first: eras and data types as dictionary codes, ids as one Arrow array
(checked for duplicates). Then features and targets a band of columns at a time, batch by
batch, each band laid out row-major by Arrow and copied into its slice of the result.
Any failure is a ``DataError`` naming the file, and the column when it can be told.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from numerpilot.errors import DataError, short

ID, ERA, DATA_TYPE = "id", "era", "data_type"
FEATURE_MAX = 4
# Rows per batch: Arrow lays out one band of a batch at a time, small enough to stay in
# the CPU cache, large enough to amortise the calls.
BATCH_ROWS = 8192
# Feature columns read in one pass over the file (see read_rows).
COLUMNS_PER_PASS = 64
# Buffers Arrow's parquet reader holds per column being read (measured: ~150 KB).
READER_BYTES_PER_COLUMN = 200_000

RowProgress = Callable[[int, int], None]
"""Called with (work done, total work), counted in rows per band of columns read."""


def open_parquet(path: Path | IO[bytes], where: str | None = None) -> pq.ParquetFile:
    """``path``, or an open file (from a URL: ``where`` names it)."""
    where = where or str(path)
    try:
        # Eras and data types come as dictionary codes: no string object per row.
        return pq.ParquetFile(path, read_dictionary=[ERA, DATA_TYPE])
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt? download it again)",
            path=where,
        ) from None


def read_codes(
    parquet: pq.ParquetFile, column: str, where: str
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.str_]]:
    """One string column as (int32 code per row, sorted labels)."""
    try:
        values = parquet.read(columns=[column], use_threads=False).column(0)
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
    codes = np.empty(len(values), dtype=np.int32)
    start = 0
    for chunk in values.chunks:
        codes[start : start + len(chunk)] = rank[chunk.indices.to_numpy()]
        start += len(chunk)
    return codes, dictionary[order]


def row_groups(
    parquet: pq.ParquetFile, keep: npt.NDArray[np.bool_]
) -> tuple[list[int], npt.NDArray[np.bool_]]:
    """The row groups with a kept row, and the keep mask of just those, in reading order."""
    meta = parquet.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    groups = [i for i in range(meta.num_row_groups) if keep[starts[i] : starts[i + 1]].any()]
    mask = np.concatenate([keep[starts[i] : starts[i + 1]] for i in groups])
    return groups, mask


def read_ids(
    parquet: pq.ParquetFile, groups: list[int], mask: npt.NDArray[np.bool_], where: str
) -> pa.ChunkedArray:
    """The kept rows' ids, checked: present and unique."""
    try:
        ids = parquet.read_row_groups(groups, columns=[ID], use_threads=False).column(0)
    except (pa.ArrowException, OSError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt?)", path=where, column=ID
        ) from None
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(pa.string())
    if not mask.all():
        ids = ids.filter(pa.array(mask))
    if ids.null_count:
        raise DataError(f"{where}: some ids are missing", path=where, column=ID)
    repeated = _repeated_id(ids)
    if repeated is not None:
        raise DataError(f"{where}: id {repeated!r} appears more than once", path=where, column=ID)
    return ids


def _repeated_id(ids: pa.ChunkedArray) -> str | None:
    """An id that occurs more than once, or None. Numerai's ids all have the same length:
    sorted as fixed-width bytes they are checked several times faster than Arrow hashes them."""
    if len(ids) < 2:
        return None
    views = [_fixed_width(chunk) for chunk in ids.chunks if len(chunk)]
    if all(v is not None for v in views) and len({v.dtype for v in views if v is not None}) == 1:
        ordered = np.concatenate([v for v in views if v is not None])
        ordered.sort()
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        return ordered[same[0]].decode() if len(same) else None
    if len(pc.unique(ids)) == len(ids):
        return None
    counts = pc.value_counts(ids)
    return str(counts.filter(pc.greater(counts.field("counts"), 1)).field("values")[0].as_py())


def _fixed_width(chunk: pa.Array) -> npt.NDArray[np.bytes_] | None:
    """The chunk's strings as a fixed-width bytes view (no copy), if they all have one length."""
    wide = pa.types.is_large_string(chunk.type)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
    widths = np.diff(offsets)
    if widths[0] == 0 or not (widths == widths[0]).all():
        return None
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.view(f"S{widths[0]}")


def read_rows(
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
            batches = parquet.iter_batches(
                batch_size=BATCH_ROWS, row_groups=groups, columns=columns, use_threads=True
            )
            for batch in _prefetched(batches):
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


def _prefetched(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``batches``, decoded one or two ahead in a thread while the caller lays out the
    current one. Arrow releases the GIL for both, so on two cores they overlap (~25 %)."""
    ready: queue.Queue[pa.RecordBatch | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for batch in batches:
                ready.put(batch)
                if stop.is_set():
                    return
        except (pa.ArrowException, OSError) as e:
            failure.append(e)
        finally:
            ready.put(None)  # always, so the consumer never waits for nothing

    thread = threading.Thread(target=produce, name="numerpilot-parquet", daemon=True)
    thread.start()
    try:
        while (batch := ready.get()) is not None:
            yield batch
        if failure:
            raise failure[0]
    finally:
        # Stopped early (an error, or the caller gave up): unblock the producer and wait.
        stop.set()
        while not ready.empty():
            ready.get_nowait()
        thread.join()


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


__all__ = [
    "BATCH_ROWS",
    "COLUMNS_PER_PASS",
    "DATA_TYPE",
    "ERA",
    "FEATURE_MAX",
    "ID",
    "READER_BYTES_PER_COLUMN",
    "RowProgress",
    "open_parquet",
    "read_codes",
    "read_ids",
    "read_rows",
    "row_groups",
]
