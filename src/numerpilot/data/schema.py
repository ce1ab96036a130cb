"""The layout of Numerai's dataset versions: files, columns, targets, feature sets.

Everything that reads or makes dataset files (loading, training, the synthetic generator, the
local tournament) takes these facts from here, so that code works on any version's real layout.
Values follow NUMERAI.md; where a fact can change it is read from the files themselves
(``features.json``) and these specs only describe what to expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Every file name a v5 version can carry (numerapi path: ``VERSION/FILE``).
DATASET_FILES: tuple[str, ...] = (
    "features.json",
    "train.parquet",
    "validation.parquet",
    "live.parquet",
    "train_benchmark_models.parquet",
    "validation_benchmark_models.parquet",
    "live_benchmark_models.parquet",
    "validation_example_preds.parquet",
    "validation_example_preds.csv",
    "live_example_preds.parquet",
    "live_example_preds.csv",
    "meta_model.parquet",
)

ID_COLUMN = "id"
ERA_COLUMN = "era"
DATA_TYPE_COLUMN = "data_type"
MAIN_TARGET = "target"
PREDICTION_COLUMN = "prediction"
META_MODEL_COLUMN = "numerai_meta_model"
LIVE_ERA = "X"
DATA_TYPES = ("train", "validation", "test", "live")
FEATURE_PREFIX = "feature_"
TARGET_PREFIX = "target"

# The named sets in features.json besides the groups, with their sizes in the real v5 files.
LEGACY_SETS: dict[str, int] = {
    "v2_equivalent_features": 304,
    "v3_equivalent_features": 1040,
    "fncv3_features": 416,
}

_GROUPS_V50 = (
    "intelligence",
    "charisma",
    "strength",
    "dexterity",
    "constitution",
    "wisdom",
    "agility",
    "serenity",
    "sunshine",
    "rain",
    "midnight",
)
_TARGET_NAMES_V52 = (
    "agnes",
    "alpha",
    "bravo",
    "caroline",
    "charlie",
    "claudia",
    "cyrusd",
    "delta",
    "echo",
    "ender",
    "jasper",
    "jeremy",
    "ralph",
    "rowan",
    "sam",
    "teager2b",
    "tyler",
    "victor",
    "waldo",
    "xerxes",
)
_TARGET_NAMES_V50 = tuple(n for n in _TARGET_NAMES_V52 if n not in ("ender", "jasper"))
HORIZONS = (20, 60)


@dataclass(frozen=True)
class FeatureCounts:
    small: int
    medium: int
    all: int

    def __post_init__(self) -> None:
        if not 0 < self.small <= self.medium <= self.all:
            raise ValueError(f"feature counts must satisfy 0 < small <= medium <= all: {self}")


@dataclass(frozen=True)
class BenchmarkSpec:
    """One official benchmark model column and the targets it was trained on."""

    column: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class VersionSpec:
    name: str
    feature_counts: FeatureCounts
    targets: tuple[str, ...]  # every target column, ``target`` first
    target_alias: str  # the auxiliary target that ``target`` equals
    benchmarks: tuple[BenchmarkSpec, ...]
    groups: tuple[str, ...]
    has_meta_model: bool

    @property
    def aux_targets(self) -> tuple[str, ...]:
        return self.targets[1:]

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target families, e.g. ``("agnes", "alpha", ...)``."""
        return tuple(dict.fromkeys(t.split("_")[1] for t in self.aux_targets))

    @property
    def benchmark_columns(self) -> tuple[str, ...]:
        return tuple(b.column for b in self.benchmarks)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(f for f in DATASET_FILES if self.has_meta_model or f != "meta_model.parquet")

    @property
    def feature_set_names(self) -> tuple[str, ...]:
        return ("small", "medium", "all", *LEGACY_SETS, *self.groups)


def target_horizon(target: str) -> int:
    """The horizon in days (20 or 60) of a target column; ``target`` is a 20-day target."""
    if target == MAIN_TARGET:
        return 20
    m = re.fullmatch(r"target_[a-z0-9]+_(\d+)", target)
    if m is None or int(m.group(1)) not in HORIZONS:
        raise ValueError(f"not a target column name: {target!r}")
    return int(m.group(1))


def target_span_eras(target: str) -> int:
    """How many weekly eras one target value spans: 4 for 20-day targets, 12 for 60-day."""
    return target_horizon(target) // 5


def _targets(names: tuple[str, ...]) -> tuple[str, ...]:
    return (MAIN_TARGET, *(f"target_{n}_{h}" for n in names for h in HORIZONS))


def _bench(
    prefix: str, specs: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[BenchmarkSpec, ...]:
    return tuple(BenchmarkSpec(f"{prefix}_lgbm_{col}", tgts) for col, tgts in specs)


_BENCH_V50 = (
    ("cyrusd20", ("target_cyrusd_20",)),
    ("teager2b20", ("target_teager2b_20",)),
    ("cyrusd60", ("target_cyrusd_60",)),
    ("teager2b60", ("target_teager2b_60",)),
    ("ct_blend", ("target_cyrusd_20", "target_teager2b_20")),
)
_BENCH_V52 = tuple(
    (f"{n}{h}", (f"target_{n}_{h}",))
    for h in HORIZONS
    for n in ("cyrusd", "teager2b", "ender", "jasper")
)

VERSIONS: dict[str, VersionSpec] = {
    "v5.0": VersionSpec(
        name="v5.0",
        feature_counts=FeatureCounts(42, 705, 2376),
        targets=_targets(_TARGET_NAMES_V50),
        target_alias="target_cyrusd_20",
        benchmarks=_bench("v5", _BENCH_V50),
        groups=_GROUPS_V50,
        has_meta_model=False,
    ),
    "v5.1": VersionSpec(
        name="v5.1",
        feature_counts=FeatureCounts(42, 740, 2562),
        targets=_targets(_TARGET_NAMES_V50),
        target_alias="target_cyrusd_20",
        benchmarks=_bench("v51", _BENCH_V50),
        groups=(*_GROUPS_V50, "faith"),
        has_meta_model=True,
    ),
    "v5.2": VersionSpec(
        name="v5.2",
        feature_counts=FeatureCounts(42, 780, 2748),
        targets=_targets(_TARGET_NAMES_V52),
        target_alias="target_ender_20",
        benchmarks=_bench("v52", _BENCH_V52),
        groups=(*_GROUPS_V50, "faith"),
        has_meta_model=True,
    ),
    "v5.3": VersionSpec(
        name="v5.3",
        feature_counts=FeatureCounts(42, 780, 3555),
        targets=_targets(_TARGET_NAMES_V52),
        target_alias="target_ender_20",
        benchmarks=(BenchmarkSpec("v53_lgbm_ender20", ("target_ender_20",)),),
        groups=(*_GROUPS_V50, "faith", "quantum"),
        has_meta_model=True,
    ),
}
LATEST_VERSION = "v5.3"


def version_spec(version: str) -> VersionSpec:
    """The spec of ``version``; raises ValueError naming the known versions otherwise."""
    try:
        return VERSIONS[version]
    except KeyError:
        raise ValueError(
            f"unknown dataset version {version!r}; known: {', '.join(VERSIONS)}"
        ) from None


__all__ = [
    "DATASET_FILES",
    "DATA_TYPES",
    "DATA_TYPE_COLUMN",
    "ERA_COLUMN",
    "FEATURE_PREFIX",
    "HORIZONS",
    "ID_COLUMN",
    "LATEST_VERSION",
    "LEGACY_SETS",
    "LIVE_ERA",
    "MAIN_TARGET",
    "META_MODEL_COLUMN",
    "PREDICTION_COLUMN",
    "TARGET_PREFIX",
    "VERSIONS",
    "BenchmarkSpec",
    "FeatureCounts",
    "VersionSpec",
    "target_horizon",
    "target_span_eras",
    "version_spec",
]
