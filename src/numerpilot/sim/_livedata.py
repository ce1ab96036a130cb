"""Each round's live era: the files the sim serves and the target it keeps hidden.

At a round's open the live era comes from ``SyntheticWorld.make_era`` (deterministic by seed
and era index), so live data changes every round and a restarted server rebuilds the same
round. Per round and version it writes ``live.parquet``, ``live_benchmark_models.parquet`` and
``live_example_preds.parquet``/``.csv`` in Numerai's layout; the targets stay in
``hidden.parquet``, which no URL serves.

The ids are the newest version's for every version (Numerai shares live ids across versions),
and scoring uses the newest version's ``target``.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from numerpilot.data import (
    DATA_TYPE_COLUMN,
    ERA_COLUMN,
    ID_COLUMN,
    LIVE_ERA,
    MAIN_TARGET,
    META_MODEL_COLUMN,
    PREDICTION_COLUMN,
    EraData,
    SyntheticWorld,
    version_spec,
)
from numerpilot.fsutil import atomic_dir, atomic_path
from numerpilot.sim._config import SimConfig

FloatArray = NDArray[np.float64]

ROUND_FILES = (
    "live.parquet",
    "live_benchmark_models.parquet",
    "live_example_preds.parquet",
    "live_example_preds.csv",
)
HIDDEN_FILE = "hidden.parquet"


def _strings(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


@lru_cache(maxsize=32)
def _frame_schema(columns: tuple[tuple[str, pa.DataType], ...]) -> pa.Schema:
    """Arrow schema with the pandas metadata that makes pandas read ``id`` as the index."""
    sample = {
        name: np.array(["x"], dtype=object)
        if pa.types.is_string(dtype)
        else np.zeros(1, dtype=dtype.to_pandas_dtype())
        for name, dtype in columns
    }
    frame = pd.DataFrame(sample, index=pd.Index(["n000000000000000"], name=ID_COLUMN))
    return pa.Schema.from_pandas(frame, preserve_index=True)


def _write_frame(path: Path, ids: NDArray[np.str_], columns: list[tuple[str, pa.Array]]) -> None:
    """One parquet file as Numerai lays it out: the columns, then ``id`` as pandas' index.

    Written with arrow directly: a round's files are written on every open, and going
    through a DataFrame costs several times more.
    """
    schema = _frame_schema(tuple((name, array.type) for name, array in columns))
    arrays = [array for _name, array in columns] + [pa.array(ids, pa.string())]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)


class LiveData:
    """Writes and reads the per-round files under ``root/rounds/NUMBER/``."""

    def __init__(self, root: Path, config: SimConfig):
        self.root = root
        self.config = config
        self._worlds: dict[str, SyntheticWorld] = {}
        self._lock = threading.Lock()
        self._ids = lru_cache(maxsize=64)(self._read_ids)
        self._target = lru_cache(maxsize=64)(self._read_target)
        self._meta = lru_cache(maxsize=64)(self._read_meta)

    def world(self, version: str) -> SyntheticWorld:
        with self._lock:
            if version not in self._worlds:
                data = self.config.data
                self._worlds[version] = SyntheticWorld(version, data.scale, data.seed)
            return self._worlds[version]

    def round_dir(self, number: int) -> Path:
        return self.root / "rounds" / str(number)

    def path(self, number: int, version: str, name: str) -> Path:
        return self.round_dir(number) / version / name

    def exists(self, number: int) -> bool:
        return (self.round_dir(number) / HIDDEN_FILE).exists()

    def write_round(self, number: int, era_index: int) -> None:
        """Write the round's files (a no-op when a previous run already did)."""
        if self.exists(number):
            return
        data = self.config.data
        primary = self.world(self.config.primary_version).make_era(era_index, data.live_rows)
        ids = np.asarray(primary.ids, dtype=str)
        with atomic_dir(self.round_dir(number)) as tmp:
            for version in data.versions:
                era = (
                    primary
                    if version == self.config.primary_version
                    else self.world(version).make_era(era_index, len(ids))
                )
                self._write_version(tmp / version, version, ids, era)
            names = self.world(self.config.primary_version).target_names
            targets = np.asarray(primary.targets, dtype=np.float32)
            _write_frame(
                tmp / HIDDEN_FILE,
                ids,
                [(t, pa.array(targets[:, j], from_pandas=True)) for j, t in enumerate(names)],
            )

    def _write_version(self, out: Path, version: str, ids: NDArray[np.str_], era: EraData) -> None:
        """The version's live files in the layout ``write_dataset`` gives its own live era."""
        out.mkdir(parents=True)
        world = self.world(version)
        n = len(ids)
        features = np.asarray(era.features, dtype=np.int8)
        _write_frame(
            out / "live.parquet",
            ids,
            [
                (ERA_COLUMN, _strings(LIVE_ERA, n)),
                (DATA_TYPE_COLUMN, _strings("live", n)),
                *((f, pa.array(features[:, j])) for j, f in enumerate(world.feature_names)),
                *((t, pa.nulls(n, pa.float32())) for t in world.target_names),
            ],
        )
        bench = np.asarray(era.benchmarks, dtype=np.float32)
        _write_frame(
            out / "live_benchmark_models.parquet",
            ids,
            [
                (ERA_COLUMN, _strings(LIVE_ERA, n)),
                *((b, pa.array(bench[:, j])) for j, b in enumerate(world.benchmark_names)),
            ],
        )
        example = np.asarray(era.example, dtype=np.float32)
        _write_frame(
            out / "live_example_preds.parquet", ids, [(PREDICTION_COLUMN, pa.array(example))]
        )
        pd.DataFrame({PREDICTION_COLUMN: example}, index=pd.Index(ids, name=ID_COLUMN)).to_csv(
            out / "live_example_preds.csv"
        )

    def _read_ids(self, number: int) -> pd.Index:
        path = self.round_dir(number) / HIDDEN_FILE
        return pd.read_parquet(path, columns=[MAIN_TARGET]).index

    def _read_target(self, number: int) -> FloatArray:
        path = self.round_dir(number) / HIDDEN_FILE
        target: FloatArray = pd.read_parquet(path, columns=[MAIN_TARGET])[MAIN_TARGET].to_numpy(
            np.float64
        )
        return target

    def live_ids(self, number: int) -> pd.Index:
        return self._ids(number)

    def hidden_target(self, number: int) -> FloatArray:
        """The round's final ``target`` in live-id order (never served)."""
        return self._target(number)

    def house_benchmarks(self, number: int) -> list[FloatArray]:
        """The newest version's benchmark models: the house's entries in the meta model."""
        version = self.config.primary_version
        columns = list(version_spec(version).benchmark_columns)
        path = self.path(number, version, "live_benchmark_models.parquet")
        frame = pd.read_parquet(path, columns=columns).reindex(self.live_ids(number))
        return [frame[c].to_numpy(np.float64) for c in columns]

    def write_meta_model(self, number: int, meta: FloatArray) -> None:
        frame = pd.DataFrame({META_MODEL_COLUMN: meta}, index=self.live_ids(number))
        with atomic_path(self.round_dir(number) / "meta_model.parquet") as tmp:
            frame.to_parquet(tmp)

    def read_meta_model(self, number: int) -> FloatArray:
        return self._meta(number)

    def _read_meta(self, number: int) -> FloatArray:
        path = self.round_dir(number) / "meta_model.parquet"
        frame = pd.read_parquet(path, columns=[META_MODEL_COLUMN])
        meta: FloatArray = frame[META_MODEL_COLUMN].to_numpy(np.float64)
        return meta


__all__ = ["HIDDEN_FILE", "ROUND_FILES", "LiveData"]
