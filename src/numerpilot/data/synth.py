"""Synthetic Numerai-shaped datasets: the full file set of a version, written era by era.

``write_dataset(out_dir, version=..., scale=..., seed=...)`` writes ``out_dir/VERSION/`` with
Numerai's file names and columns, and beside them ``out_dir/VERSION/oracle/`` with the best
possible predictions and ``synth.json``. Files are written streaming (one row group holds a
few whole eras) and renamed into place only when all of them are complete.
"""

from __future__ import annotations

import json
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from numerpilot import __version__
from numerpilot.clock import monotonic
from numerpilot.data._reader import RowProgress
from numerpilot.data._synth_files import Sinks, frame_schema
from numerpilot.data._synth_layout import SCALE_NAMES, era_label, feature_counts, scale_spec
from numerpilot.data._synth_world import EraData, EraState, SyntheticWorld
from numerpilot.data.schema import (
    DATA_TYPE_COLUMN,
    ERA_COLUMN,
    LIVE_ERA,
    META_MODEL_COLUMN,
    PREDICTION_COLUMN,
    target_horizon,
    version_spec,
)
from numerpilot.errors import DataError
from numerpilot.scoring import numerai_corr

ORACLE_DIR = "oracle"
SYNTH_INFO = "synth.json"


@dataclass(frozen=True)
class FileSummary:
    name: str  # path relative to the version folder, e.g. "train.parquet", "oracle/live.parquet"
    rows: int
    eras: int
    bytes: int


@dataclass(frozen=True)
class SynthResult:
    version: str
    scale: str
    seed: int
    root: Path  # out_dir/VERSION
    files: tuple[FileSummary, ...]
    oracle_corr_mean: float  # per-era numerai_corr of the oracle with `target` on validation
    oracle_corr_std: float
    seconds: float

    @property
    def oracle_dir(self) -> Path:
        return self.root / ORACLE_DIR

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "scale": self.scale,
            "seed": self.seed,
            "root": str(self.root),
            "oracle_corr_mean": self.oracle_corr_mean,
            "oracle_corr_std": self.oracle_corr_std,
            "seconds": self.seconds,
            "files": [vars(f) for f in self.files],
        }


def estimate_bytes(version: str = "v5.3", scale: str = "demo") -> int:
    """About how many bytes ``write_dataset`` puts on disk (to check free space first)."""
    world_scale = scale_spec(scale)
    spec = version_spec(version)
    f = feature_counts(spec, world_scale).all
    rows = world_scale.train_rows + world_scale.validation_rows + world_scale.live_rows
    # 5 feature values bit-pack into 3 bits; targets and the side files are small.
    per_row = 0.42 * f + 0.3 * len(spec.targets) + 80
    return int(rows * per_row)


# -- the dataset ----------------------------------------------------------------------------


class _DatasetWriter:
    def __init__(self, world: SyntheticWorld, sinks: Sinks):
        self.world = world
        self.sinks = sinks
        names = world.target_names
        self.n_targets = len(names)
        self.is_60 = np.array([target_horizon(t) == 60 for t in names])
        main_cols = [
            (ERA_COLUMN, pa.string()),
            (DATA_TYPE_COLUMN, pa.string()),
            *((n, pa.int8()) for n in world.feature_names),
            *((t, pa.float32()) for t in names),
        ]
        main = frame_schema(main_cols)
        bench = frame_schema(
            [(ERA_COLUMN, pa.string()), *((b, pa.float32()) for b in world.benchmark_names)]
        )
        example = frame_schema([(PREDICTION_COLUMN, pa.float32())])
        oracle = frame_schema([(PREDICTION_COLUMN, pa.float64())])
        meta = frame_schema([(ERA_COLUMN, pa.string()), (META_MODEL_COLUMN, pa.float32())])
        s = sinks
        self.train = s.open_parquet("train.parquet", main)
        self.validation = s.open_parquet("validation.parquet", main)
        self.live = s.open_parquet("live.parquet", main)
        self.bench = {
            split: s.open_parquet(f"{split}_benchmark_models.parquet", bench)
            for split in ("train", "validation", "live")
        }
        self.example = {
            split: (
                s.open_parquet(f"{split}_example_preds.parquet", example),
                s.open_csv(f"{split}_example_preds.csv"),
            )
            for split in ("validation", "live")
        }
        self.meta = (
            s.open_parquet("meta_model.parquet", meta) if world.spec.has_meta_model else None
        )
        self.oracle = {
            split: s.open_parquet(f"{ORACLE_DIR}/{split}.parquet", oracle)
            for split in ("validation", "live")
        }
        self.oracle_corrs: list[float] = []

    def _main_arrays(
        self, d: EraData, era: str, data_type: str, hide: npt.NDArray[np.bool_]
    ) -> list[pa.Array]:
        n = d.n_rows
        features = d.features.T  # (f, n), each row contiguous: zero-copy arrays
        targets = d.targets.T
        cols: list[pa.Array] = [
            pa.array(np.full(n, era, dtype=object), pa.string()),
            pa.array(np.full(n, data_type, dtype=object), pa.string()),
        ]
        cols.extend(pa.array(features[j]) for j in range(features.shape[0]))
        for j in range(self.n_targets):
            if hide[j]:
                cols.append(pa.nulls(n, pa.float32()))
            else:
                cols.append(pa.array(targets[j], from_pandas=True))  # NaN -> null, as pandas
        cols.append(pa.array(d.ids, pa.string()))
        return cols

    def _era_col(self, era: str, n: int) -> pa.Array:
        return pa.array(np.full(n, era, dtype=object), pa.string())

    def _ids(self, d: EraData) -> pa.Array:
        return pa.array(d.ids, pa.string())

    def _bench(self, split: str, d: EraData, era: str) -> None:
        cols = [self._era_col(era, d.n_rows)]
        cols.extend(
            pa.array(np.ascontiguousarray(d.benchmarks[:, j])) for j in range(d.benchmarks.shape[1])
        )
        self.bench[split].add([*cols, self._ids(d)])

    def _example(self, split: str, d: EraData) -> None:
        parquet, csv = self.example[split]
        parquet.add([pa.array(d.example), self._ids(d)])
        csv.add(d.ids, d.example)

    def train_era(self, d: EraData) -> None:
        era = era_label(d.era_index)
        self.train.add(self._main_arrays(d, era, "train", np.zeros(self.n_targets, bool)))
        if d.era_index >= self.world.scale.benchmark_start_era:
            self._bench("train", d, era)

    def validation_era(self, d: EraData) -> None:
        scale = self.world.scale
        era = era_label(d.era_index)
        test = d.era_index > scale.eras - scale.test_eras
        pending = d.era_index > scale.eras - scale.test_eras - scale.pending_60d_eras
        # 60-day targets resolve two months after 20-day ones.
        hide: npt.NDArray[np.bool_] = np.full(self.n_targets, test) | (self.is_60 & pending)
        self.validation.add(self._main_arrays(d, era, "test" if test else "validation", hide))
        self._bench("validation", d, era)
        self._example("validation", d)
        self.oracle["validation"].add([pa.array(d.oracle), self._ids(d)])
        if not test:
            if self.meta is not None:
                self.meta.add([self._era_col(era, d.n_rows), pa.array(d.meta_model), self._ids(d)])
            one_era = np.zeros(d.n_rows, dtype=np.int64)
            corr = numerai_corr(d.oracle, d.targets[:, 0], one_era)
            self.oracle_corrs.append(float(corr[0]))

    def live_era(self, d: EraData) -> None:
        self.live.add(self._main_arrays(d, LIVE_ERA, "live", np.ones(self.n_targets, bool)))
        self._bench("live", d, LIVE_ERA)
        self._example("live", d)
        self.oracle["live"].add([pa.array(d.oracle), self._ids(d)])


def _features_json(world: SyntheticWorld) -> str:
    return json.dumps(
        {"feature_sets": world.layout.feature_sets(), "targets": world.target_names}, indent=1
    )


def _synth_json(world: SyntheticWorld, corrs: npt.NDArray[np.float64], live_state: EraState) -> str:
    scale = world.scale
    info = {
        "generator": f"numerpilot {__version__}",
        "version": world.spec.name,
        "scale": scale.name,
        "seed": world.seed,
        "alpha_share": world.alpha_share,
        "factor_share": world.factor_share,
        "train_eras": [1, scale.train_eras],
        "validation_eras": [scale.train_eras + 1, scale.eras],
        "test_eras": [scale.eras - scale.test_eras + 1, scale.eras],
        "live_era_index": live_state.era_index,
        "oracle_corr_mean": float(np.nanmean(corrs)),
        "oracle_corr_std": float(np.nanstd(corrs)),
        "oracle_corr_eras": int(np.isfinite(corrs).sum()),
    }
    return json.dumps(info, indent=1)


def _check_space(out_dir: Path, needed: int) -> None:
    probe = out_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed * 1.1:
        raise DataError(
            f"writing this dataset needs about {needed / 1e9:.1f} GB, "
            f"only {free / 1e9:.1f} GB free",
            path=str(out_dir),
        )


def write_dataset(
    out_dir: Path,
    *,
    version: str = "v5.3",
    scale: str = "demo",
    seed: int = 0,
    progress: RowProgress | None = None,  # after each era: (rows written, rows in total)
) -> SynthResult:
    """Write the synthetic file set of ``version`` to ``out_dir/VERSION`` (see module doc)."""
    if scale not in SCALE_NAMES:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALE_NAMES)}")
    started = monotonic()
    world = SyntheticWorld(version, scale, seed)
    sc = world.scale
    version_dir = Path(out_dir) / version
    _check_space(version_dir, estimate_bytes(version, scale))
    live_index = sc.live_era_index
    live_rows = world.default_rows(live_index)
    total = int(world.row_counts.sum()) + live_rows
    done = 0

    def step(rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    with ExitStack() as stack:
        sinks = Sinks(stack, version_dir, sc.row_group_rows)
        writer = _DatasetWriter(world, sinks)
        for era_index in range(1, sc.train_eras + 1):
            d = world.make_era(era_index)
            writer.train_era(d)
            step(d.n_rows)
        for era_index in range(sc.train_eras + 1, sc.eras + 1):
            d = world.make_era(era_index)
            writer.validation_era(d)
            step(d.n_rows)
        live = world.make_era(live_index, live_rows)
        writer.live_era(live)
        step(live.n_rows)
        corrs = np.array(writer.oracle_corrs)
        sinks.text("features.json", _features_json(world))
        sinks.text(f"{ORACLE_DIR}/{SYNTH_INFO}", _synth_json(world, corrs, live.state))
        counts = {name: (p.rows, p.eras) for name, p in sinks.parquet.items()}
        counts.update({name: (c.rows, c.eras) for name, c in sinks.csv.items()})
    files = tuple(
        FileSummary(name, rows, eras, (version_dir / name).stat().st_size)
        for name, (rows, eras) in counts.items()
    )
    return SynthResult(
        version=version,
        scale=scale,
        seed=seed,
        root=version_dir,
        files=files,
        oracle_corr_mean=float(np.nanmean(corrs)),
        oracle_corr_std=float(np.nanstd(corrs)),
        seconds=monotonic() - started,
    )


__all__ = [
    "ORACLE_DIR",
    "SYNTH_INFO",
    "EraData",
    "EraState",
    "FileSummary",
    "SynthResult",
    "SyntheticWorld",
    "estimate_bytes",
    "write_dataset",
]
