"""Files written row group by row group under a temporary name, renamed when all are done.

The synthetic writer streams eras into several files at once; these sinks keep each file's
rows, eras and open writer, and an ``ExitStack`` renames every file into place only when the
whole set is complete (a failure leaves the previous files and no temporaries).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from numerpilot.data.schema import DATA_TYPE_COLUMN, ERA_COLUMN, ID_COLUMN, PREDICTION_COLUMN
from numerpilot.fsutil import atomic_path


def frame_schema(columns: list[tuple[str, pa.DataType]]) -> pa.Schema:
    """A schema for a frame indexed by ``id``, with pandas metadata so pandas restores it."""
    sample: dict[str, Any] = {}
    for name, dtype in columns:
        if pa.types.is_string(dtype):
            sample[name] = np.array(["x"], dtype=object)
        else:
            sample[name] = np.zeros(1, dtype=dtype.to_pandas_dtype())
    frame = pd.DataFrame(sample, index=pd.Index(["n000000000000000"], name=ID_COLUMN))
    schema = pa.Schema.from_pandas(frame, preserve_index=True)
    assert schema.names[-1] == ID_COLUMN
    return schema


class ParquetSink:
    """Rows arrive era by era and leave as row groups of whole eras."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_rows: int):
        self.path = path
        self.schema = schema
        self.row_group_rows = row_group_rows
        self.rows = 0
        self.eras = 0
        self._batches: list[pa.RecordBatch] = []
        self._buffered = 0
        self._writer = pq.ParquetWriter(
            path,
            schema,
            # Statistics on the era column let readers skip row groups by era; on thousands
            # of feature columns they would only bloat the footer.
            write_statistics=[c for c in (ERA_COLUMN, DATA_TYPE_COLUMN) if c in schema.names],
        )

    def add(self, arrays: list[pa.Array]) -> None:
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        self._batches.append(batch)
        self._buffered += batch.num_rows
        self.rows += batch.num_rows
        self.eras += 1
        if self._buffered >= self.row_group_rows:
            self.flush()

    def flush(self) -> None:
        if self._batches:
            table = pa.Table.from_batches(self._batches, schema=self.schema)
            self._writer.write_table(table, row_group_size=table.num_rows)
            self._batches, self._buffered = [], 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


class CsvSink:
    """``id,prediction`` lines, era by era."""

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self.eras = 0
        self._fh: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._fh.write(f"{ID_COLUMN},{PREDICTION_COLUMN}\n")

    def add(self, ids: npt.NDArray[np.str_], values: npt.NDArray[np.float32]) -> None:
        frame = pd.DataFrame({PREDICTION_COLUMN: values}, index=pd.Index(ids, name=ID_COLUMN))
        frame.to_csv(self._fh, header=False, lineterminator="\n")
        self.rows += len(ids)
        self.eras += 1

    def close(self) -> None:
        self._fh.close()


@dataclass
class Sinks:
    """The open files of one dataset, each writing to a temporary name until the end."""

    stack: ExitStack
    version_dir: Path
    row_group_rows: int
    parquet: dict[str, ParquetSink] = field(default_factory=dict)
    csv: dict[str, CsvSink] = field(default_factory=dict)

    def _tmp(self, name: str) -> Path:
        tmp = self.stack.enter_context(atomic_path(self.version_dir / name))
        tmp.chmod(0o644)  # readable like a downloaded file, not private like a temp file
        return tmp

    def open_parquet(self, name: str, schema: pa.Schema) -> ParquetSink:
        tmp = self._tmp(name)
        sink = ParquetSink(tmp, schema, self.row_group_rows)
        self.stack.callback(sink.close)
        self.parquet[name] = sink
        return sink

    def open_csv(self, name: str) -> CsvSink:
        tmp = self._tmp(name)
        sink = CsvSink(tmp)
        self.stack.callback(sink.close)
        self.csv[name] = sink
        return sink

    def text(self, name: str, content: str) -> None:
        tmp = self._tmp(name)
        tmp.write_text(content, encoding="utf-8")


__all__ = ["CsvSink", "ParquetSink", "Sinks", "frame_schema"]
