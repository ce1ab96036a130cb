"""Prediction-shaped files: example predictions, benchmark models, the meta model."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pyarrow as pa

from numerpilot.data.urls import is_url, open_url, source_name
from numerpilot.errors import DataError, short

if TYPE_CHECKING:
    import pandas as pd

ID, ERA, DATA_TYPE = "id", "era", "data_type"


def load_predictions(path: Path | str) -> pd.DataFrame:
    """A predictions-shaped file (example predictions, benchmark models, meta model; parquet
    or csv) as a frame indexed by ``id``: ``era``/``data_type`` kept as strings, every other
    column float64."""
    # Imported here: pandas costs 40 MB, which loading the big files never needs.
    import pandas as pd

    where = str(path)
    source: Path | IO[bytes]
    if is_url(path):  # a file every Dask worker can see (see data.urls)
        source = open_url(str(path))
    else:
        source = Path(path)
        if not source.exists():
            raise DataError(f"{where} is missing", path=where)
    try:
        if source_name(path).endswith(".csv"):
            frame = pd.read_csv(source, dtype={ID: str, ERA: str, DATA_TYPE: str})
        else:
            frame = pd.read_parquet(source)
    except (pa.ArrowException, OSError, ValueError, pd.errors.ParserError) as e:
        raise DataError(
            f"cannot read {where}: {short(e)} (truncated or corrupt?)", path=where
        ) from None
    if frame.index.name == ID:
        frame = frame.reset_index()
    if ID not in frame.columns:
        raise DataError(f"{where} has no '{ID}' column", path=where, column=ID)
    if frame[ID].isna().any():
        raise DataError(f"{where}: some ids are missing", path=where, column=ID)
    duplicated = frame[ID][frame[ID].duplicated()]
    if len(duplicated):
        raise DataError(
            f"{where}: id {duplicated.iloc[0]!r} appears more than once", path=where, column=ID
        )
    frame = frame.set_index(ID)
    for column in frame.columns:
        if column in (ERA, DATA_TYPE):
            frame[column] = frame[column].astype(str)
        elif pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        ):
            frame[column] = frame[column].astype(np.float64)
        else:
            raise DataError(
                f"{where}: column '{column}' is not numeric ({frame[column].dtype})",
                path=where,
                column=str(column),
            )
    if len(frame.columns) == 0:
        raise DataError(f"{where} has no prediction column", path=where)
    return frame


__all__ = ["load_predictions"]
