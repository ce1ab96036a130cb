"""The shape of a synthetic dataset: scales, eras and rows, feature names and feature sets.

Everything here is deterministic: names depend only on their position (so every version's
features extend the older ones, as Numerai's do), row counts and sets on the seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from numerpilot.data.schema import LEGACY_SETS, FeatureCounts, VersionSpec

SCALE_NAMES = ("demo", "small", "full")


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    train_eras: int
    validation_eras: int
    test_eras: int  # the last validation eras, without targets yet
    pending_60d_eras: int  # validation eras before the test ones whose 60-day targets are NaN
    train_rows: int  # exact total over the train eras
    validation_rows: int  # exact total over the validation eras
    train_rows_range: tuple[int, int]  # rows of the first and the last train era (trend)
    live_rows: int  # typical rows of a live era
    features: FeatureCounts | None  # None: the version's own counts
    row_group_rows: int  # rows per parquet row group (whole eras, at least one)

    @property
    def eras(self) -> int:
        return self.train_eras + self.validation_eras

    @property
    def live_era_index(self) -> int:
        """The era the dataset's live rows belong to: the week after the last validation era."""
        return self.eras + 1

    @property
    def benchmark_start_era(self) -> int:
        """First train era with benchmark predictions (walk-forward chunks of 156 of 574 eras)."""
        return round(self.train_eras * 156 / 574) + 1


SCALES: dict[str, ScaleSpec] = {
    # Seconds to write; enough rows and eras to train and validate a meaningful model.
    "demo": ScaleSpec(
        name="demo",
        train_eras=120,
        validation_eras=60,
        test_eras=4,
        pending_60d_eras=2,
        train_rows=36_000,
        validation_rows=18_600,
        train_rows_range=(240, 350),
        live_rows=310,
        features=FeatureCounts(16, 40, 80),
        row_group_rows=4_000,
    ),
    # A laptop-sized world: long enough history for walk-forward validation and regimes.
    "small": ScaleSpec(
        name="small",
        train_eras=300,
        validation_eras=160,
        test_eras=6,
        pending_60d_eras=4,
        train_rows=300_000,
        validation_rows=208_000,
        train_rows_range=(600, 1_300),
        live_rows=1_350,
        features=FeatureCounts(42, 200, 500),
        row_group_rows=40_000,
    ),
    # v5.3's real shapes (NUMERAI.md).
    "full": ScaleSpec(
        name="full",
        train_eras=574,
        validation_eras=660,
        test_eras=13,
        pending_60d_eras=8,
        train_rows=2_746_268,
        validation_rows=4_128_060,
        train_rows_range=(2_300, 6_000),
        live_rows=6_800,
        features=None,
        row_group_rows=100_000,
    ),
}


def scale_spec(scale: str) -> ScaleSpec:
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; known: {', '.join(SCALES)}") from None


def feature_counts(version: VersionSpec, scale: ScaleSpec) -> FeatureCounts:
    return scale.features or version.feature_counts


def era_label(era_index: int) -> str:
    return f"{era_index:04d}"


def _exact_total(raw: npt.NDArray[np.float64], total: int) -> npt.NDArray[np.int64]:
    """Integers proportional to ``raw`` that sum to exactly ``total`` (largest remainders)."""
    scaled = raw * (total / raw.sum())
    counts: npt.NDArray[np.int64] = np.floor(scaled).astype(np.int64)
    short = total - int(counts.sum())
    counts[np.argsort(counts - scaled, kind="stable")[:short]] += 1
    return counts


def era_row_counts(scale: ScaleSpec, seed: int) -> npt.NDArray[np.int64]:
    """Rows of each train and validation era (index 0 is era 1); totals are exact.

    Train eras grow from ``train_rows_range[0]`` to ``[1]`` along a concave trend whose mean
    matches the total (the stock universe grew); validation eras drift gently around their mean.
    """
    rng = np.random.default_rng([seed, 6])
    lo, hi = scale.train_rows_range
    mean = scale.train_rows / scale.train_eras
    power = max((hi - lo) / (mean - lo) - 1.0, 0.05)
    pos = (np.arange(scale.train_eras) + 0.5) / scale.train_eras
    train = lo + (hi - lo) * pos**power
    val_mean = scale.validation_rows / scale.validation_eras
    val = val_mean * np.linspace(0.92, 1.08, scale.validation_eras)
    raw = np.concatenate([train, val]) * rng.uniform(0.97, 1.03, scale.eras)
    return np.concatenate(
        [
            _exact_total(raw[: scale.train_eras], scale.train_rows),
            _exact_total(raw[scale.train_eras :], scale.validation_rows),
        ]
    )


# Feature names are feature_<word>_<word>_<word>. The i-th name is position i pushed through a
# fixed bijection of [0, len(_WORDS)**3), so names never repeat and look unordered.
_WORDS = (
    "abating",
    "acrid",
    "adroit",
    "aglow",
    "airborne",
    "alpine",
    "amber",
    "ambient",
    "antic",
    "arcane",
    "ardent",
    "ashen",
    "astral",
    "atonal",
    "august",
    "austral",
    "balmy",
    "baroque",
    "beady",
    "bitter",
    "blithe",
    "boreal",
    "brackish",
    "brazen",
    "briny",
    "burly",
    "cagey",
    "callow",
    "candid",
    "cerulean",
    "chalky",
    "chary",
    "chthonic",
    "cobalt",
    "coeval",
    "comely",
    "cordate",
    "craggy",
    "crested",
    "cryptic",
    "dappled",
    "deft",
    "dewy",
    "dour",
    "downy",
    "dulcet",
    "eddying",
    "elfin",
    "emberish",
    "errant",
    "estival",
    "fallow",
    "feral",
    "fervid",
    "filial",
    "flinty",
    "florid",
    "fluted",
    "frugal",
    "gauzy",
    "gibbous",
    "glacial",
    "gnarled",
    "gravid",
    "hale",
    "halcyon",
    "hoary",
    "hortatory",
    "hushed",
    "inky",
    "jaunty",
    "keen",
    "laconic",
    "languid",
    "leaden",
    "limpid",
    "lithic",
    "lucent",
    "lunar",
    "lusty",
    "mauve",
    "mellow",
    "misty",
    "molten",
    "mossy",
    "motley",
    "nacreous",
    "nimble",
    "nocturnal",
    "oaken",
    "obtuse",
    "ochre",
    "opaline",
    "ornate",
    "pallid",
    "pert",
    "pithy",
    "placid",
    "plumose",
    "primal",
    "quaint",
    "quiet",
    "rakish",
    "rampant",
    "riparian",
    "roan",
    "rufous",
    "russet",
    "rustic",
    "sable",
    "saline",
    "sere",
    "shaly",
    "sinewy",
    "sodden",
    "solar",
    "sombre",
    "sooty",
    "spry",
    "stark",
    "sylvan",
    "tawny",
    "terse",
    "thorny",
    "tidal",
    "torpid",
    "umber",
    "unbowed",
    "vernal",
    "vesper",
    "waxen",
    "whorled",
    "wintry",
    "wiry",
    "wry",
    "zonal",
)
_NAME_SPACE = len(_WORDS) ** 3
_NAME_STEP = 1_299_709  # a prime; coprime with the name space, so i -> i*step is a bijection


def feature_names(count: int) -> list[str]:
    """The first ``count`` synthetic feature names, in order."""
    if count > _NAME_SPACE:
        raise ValueError(f"at most {_NAME_SPACE} synthetic feature names exist")
    w = len(_WORDS)
    names = []
    for i in range(count):
        code = (i * _NAME_STEP + 7_919) % _NAME_SPACE
        names.append(
            f"feature_{_WORDS[code // (w * w)]}_{_WORDS[code // w % w]}_{_WORDS[code % w]}"
        )
    return names


@dataclass(frozen=True)
class FeatureLayout:
    """Positions (indices into the feature list) of every named set of features.json."""

    names: list[str]
    small: npt.NDArray[np.intp]
    medium: npt.NDArray[np.intp]
    legacy: dict[str, npt.NDArray[np.intp]]
    group_of: npt.NDArray[np.intp]  # group index per feature; the groups partition all features
    groups: tuple[str, ...]

    def feature_sets(self) -> dict[str, list[str]]:
        def named(idx: npt.NDArray[np.intp]) -> list[str]:
            return [self.names[i] for i in np.sort(idx)]

        sets = {"small": named(self.small), "medium": named(self.medium), "all": list(self.names)}
        sets.update({k: named(v) for k, v in self.legacy.items()})
        for g, group in enumerate(self.groups):
            sets[group] = named(np.flatnonzero(self.group_of == g))
        return sets


def feature_layout(version: VersionSpec, scale: ScaleSpec, seed: int) -> FeatureLayout:
    counts = feature_counts(version, scale)
    rng = np.random.default_rng([seed, 1, counts.all])
    n = counts.all
    medium = np.sort(rng.choice(n, counts.medium, replace=False))
    small = np.sort(rng.choice(medium, counts.small, replace=False))
    # Legacy sets hold the oldest features (the start of the list), as on Numerai: v3 is the
    # oldest block, v2 and fncv3 are subsets of it.
    ratio = n / version.feature_counts.all
    v3 = np.arange(min(n, max(2, round(LEGACY_SETS["v3_equivalent_features"] * ratio))))
    legacy = {
        "v2_equivalent_features": np.sort(
            rng.choice(
                v3, max(1, round(LEGACY_SETS["v2_equivalent_features"] * ratio)), replace=False
            )
        ),
        "v3_equivalent_features": v3,
        "fncv3_features": np.sort(
            rng.choice(v3, max(1, round(LEGACY_SETS["fncv3_features"] * ratio)), replace=False)
        ),
    }
    # Uneven group sizes, each group non-empty.
    k = len(version.groups)
    shares = rng.dirichlet(np.full(k, 4.0))
    sizes = 1 + _exact_total(shares, n - k)
    group_of = rng.permutation(np.repeat(np.arange(k), sizes))
    return FeatureLayout(
        names=feature_names(n),
        small=small,
        medium=medium,
        legacy=legacy,
        group_of=group_of,
        groups=version.groups,
    )


__all__ = [
    "SCALES",
    "SCALE_NAMES",
    "FeatureLayout",
    "ScaleSpec",
    "era_label",
    "era_row_counts",
    "feature_counts",
    "feature_layout",
    "feature_names",
    "scale_spec",
]
