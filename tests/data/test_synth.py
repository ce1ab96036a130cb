"""The synthetic dataset: Numerai's layout, exact shapes, NaN patterns, determinism, and a
signal that behaves like a market (oracle in band, leakage without embargo)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from numerai_tools.scoring import numerai_corr as official_numerai_corr
from typer.testing import CliRunner

from numerpilot.cli import app
from numerpilot.data import synth
from numerpilot.data._synth_layout import SCALES, era_row_counts, feature_names
from numerpilot.data.schema import VERSIONS, target_horizon, target_span_eras
from numerpilot.data.synth import SyntheticWorld, write_dataset
from numerpilot.errors import DataError
from numerpilot.scoring import numerai_corr as per_era_corr
from tests.contract import check_document

DEMO = SCALES["demo"]
BINS = {0.0, 0.25, 0.5, 0.75, 1.0}


@pytest.fixture(scope="module")
def root(demo_data_dir: Path) -> Path:
    return demo_data_dir / "v5.3"


@pytest.fixture(scope="module")
def train(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "train.parquet")


@pytest.fixture(scope="module")
def validation(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "validation.parquet")


@pytest.fixture(scope="module")
def live(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "live.parquet")


@pytest.fixture(scope="module")
def world() -> SyntheticWorld:
    return SyntheticWorld("v5.3", "demo", 0)


# -- schema -----------------------------------------------------------------------------------


def test_version_specs_follow_numerai() -> None:
    v50, v51, v52, v53 = (VERSIONS[v] for v in ("v5.0", "v5.1", "v5.2", "v5.3"))
    assert len(v50.targets) == len(v51.targets) == 37
    assert len(v52.targets) == len(v53.targets) == 41
    assert "target_ender_20" not in v50.targets and "target_jasper_60" not in v51.targets
    assert all(s.targets[0] == "target" for s in VERSIONS.values())
    assert (v50.target_alias, v53.target_alias) == ("target_cyrusd_20", "target_ender_20")
    assert [s.feature_counts.all for s in (v50, v51, v52, v53)] == [2376, 2562, 2748, 3555]
    assert "faith" not in v50.groups and "faith" in v51.groups
    assert "quantum" in v53.groups and "quantum" not in v52.groups
    assert v53.benchmark_columns == ("v53_lgbm_ender20",)
    assert "v52_lgbm_jasper60" in v52.benchmark_columns
    assert "meta_model.parquet" not in v50.files and "meta_model.parquet" in v51.files
    assert target_horizon("target") == 20 and target_horizon("target_teager2b_60") == 60
    assert target_span_eras("target_cyrusd_20") == 4 and target_span_eras("target_sam_60") == 12
    with pytest.raises(ValueError, match="not a target"):
        target_horizon("feature_x")


def test_feature_names_are_unique_words_and_versions_extend_each_other() -> None:
    names = feature_names(3555)
    assert len(set(names)) == 3555
    assert all(re.fullmatch(r"feature_[a-z]+_[a-z]+_[a-z]+", n) for n in names)
    assert feature_names(80) == names[:80]


def test_row_counts_hit_the_full_scale_totals_exactly() -> None:
    full = SCALES["full"]
    counts = era_row_counts(full, seed=3)
    assert len(counts) == 574 + 660
    assert counts[:574].sum() == 2_746_268 and counts[574:].sum() == 4_128_060
    assert counts[:574].min() >= 2_200 and counts[:574].max() <= 6_200


# -- the written file set ---------------------------------------------------------------------


def test_every_file_of_the_version_is_written_and_nothing_else(root: Path) -> None:
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    oracle = {"oracle/validation.parquet", "oracle/live.parquet", "oracle/synth.json"}
    assert names == set(VERSIONS["v5.3"].files) | oracle


def test_shapes_dtypes_and_column_order(
    train: pd.DataFrame, validation: pd.DataFrame, live: pd.DataFrame, world: SyntheticWorld
) -> None:
    columns = ["era", "data_type", *world.feature_names, *world.target_names]
    for frame in (train, validation, live):
        assert frame.index.name == "id"
        assert list(frame.columns) == columns
        assert (frame[world.feature_names].dtypes == np.int8).all()
        assert (frame[world.target_names].dtypes == np.float32).all()
    assert (len(train), train.era.nunique()) == (DEMO.train_rows, DEMO.train_eras)
    assert (len(validation), validation.era.nunique()) == (DEMO.validation_rows, 60)
    assert abs(len(live) - DEMO.live_rows) <= 0.02 * DEMO.live_rows
    assert len(world.feature_names) == 80 and len(world.target_names) == 41
    values = train[world.feature_names].to_numpy()
    assert values.min() == 0 and values.max() == 4


def test_ids_are_numerai_shaped_and_never_repeat(
    train: pd.DataFrame, validation: pd.DataFrame, live: pd.DataFrame
) -> None:
    ids = train.index.append([validation.index, live.index])
    assert ids.str.fullmatch(r"n[0-9a-f]{15}").all()
    assert ids.is_unique


def test_eras_and_data_types(
    train: pd.DataFrame, validation: pd.DataFrame, live: pd.DataFrame
) -> None:
    assert list(train.era.unique()) == [f"{i:04d}" for i in range(1, 121)]
    assert list(validation.era.unique()) == [f"{i:04d}" for i in range(121, 181)]
    assert set(train.data_type) == {"train"}
    kinds = validation.groupby("era").data_type.unique().map(tuple)
    assert set(kinds.iloc[-4:]) == {("test",)} and set(kinds.iloc[:-4]) == {("validation",)}
    assert set(live.era) == {"X"} and set(live.data_type) == {"live"}


def test_row_groups_hold_whole_eras_with_era_statistics(root: Path) -> None:
    meta = pq.ParquetFile(root / "train.parquet").metadata
    era_col = meta.schema.names.index("era")
    bounds = []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(era_col).statistics
        bounds.append((stats.min, stats.max))
    assert meta.num_row_groups > 1
    assert all(a[1] < b[0] for a, b in itertools.pairwise(bounds))


def test_targets_are_five_bins_with_numerai_shares(
    train: pd.DataFrame, world: SyntheticWorld
) -> None:
    values = train[world.target_names].to_numpy()
    assert set(np.unique(values[~np.isnan(values)]).tolist()) == BINS
    shares = train.groupby("era").target.value_counts(normalize=True).unstack()
    expected = pd.Series([0.05, 0.20, 0.50, 0.20, 0.05], index=sorted(BINS))
    assert (shares.sub(expected, axis=1).abs() < 0.01).all().all()
    assert (train.target == train.target_ender_20).all()


def test_nan_pattern(
    train: pd.DataFrame, validation: pd.DataFrame, live: pd.DataFrame, world: SyntheticWorld
) -> None:
    aux = [t for t in world.target_names if t not in ("target", "target_ender_20")]
    assert not train.target.isna().any()
    nan_share = train[aux].isna().mean()
    assert (nan_share > 0).sum() >= 3 and (nan_share == 0).sum() >= 3
    assert nan_share.max() < 0.6
    test = validation.data_type == "test"
    assert validation.loc[test, world.target_names].isna().all().all()
    assert not validation.loc[~test, "target"].isna().any()
    pending = validation.era.isin(["0175", "0176"])  # the 2 eras before the 4 test eras
    sixty = [t for t in world.target_names if t.endswith("_60")]
    assert validation.loc[pending, sixty].isna().all().all()
    assert not validation.loc[pending, "target"].isna().any()
    assert live[world.target_names].isna().all().all()
    assert not train[world.feature_names].isna().any().any()


def test_features_json(root: Path, world: SyntheticWorld) -> None:
    doc = json.loads((root / "features.json").read_text())
    assert set(doc) == {"feature_sets", "targets"}
    assert doc["targets"] == world.target_names
    sets = {k: set(v) for k, v in doc["feature_sets"].items()}
    assert set(sets) == set(VERSIONS["v5.3"].feature_set_names)
    assert sets["small"] < sets["medium"] < sets["all"] == set(world.feature_names)
    assert (len(sets["small"]), len(sets["medium"])) == (16, 40)
    assert sets["v2_equivalent_features"] <= sets["v3_equivalent_features"] < sets["all"]
    groups = [sets[g] for g in VERSIONS["v5.3"].groups]
    assert all(groups) and set().union(*groups) == sets["all"]
    assert sum(len(g) for g in groups) == len(sets["all"])  # a partition


def test_features_are_roughly_equal_frequency_and_missing_ones_all_two(
    train: pd.DataFrame, world: SyntheticWorld
) -> None:
    feats = world.feature_names
    shares = (train[feats].to_numpy()[:, :, None] == np.arange(5)).mean(axis=0)
    assert (np.abs(shares - 0.2) < 0.05).all()
    missing_eras = 0
    for era, rows in train.groupby("era"):
        missing = world.missing_features(int(era))
        values = rows[feats].to_numpy()
        constant = (values == 2).all(axis=0)
        assert constant[missing].all()
        assert constant.sum() == len(missing)
        missing_eras += bool(len(missing))
    assert missing_eras >= 5


def test_side_files(
    root: Path, train: pd.DataFrame, validation: pd.DataFrame, live: pd.DataFrame
) -> None:
    bench = pd.read_parquet(root / "train_benchmark_models.parquet")
    assert list(bench.columns) == ["era", "v53_lgbm_ender20"]
    assert bench.era.min() == f"{DEMO.benchmark_start_era:04d}" > "0001"
    assert bench.index.isin(train.index).all()
    for split, frame in (("validation", validation), ("live", live)):
        b = pd.read_parquet(root / f"{split}_benchmark_models.parquet")
        assert b.index.equals(frame.index) and b.era.equals(frame.era)
        ex = pd.read_parquet(root / f"{split}_example_preds.parquet")
        assert list(ex.columns) == ["prediction"] and ex.index.equals(frame.index)
        assert ex.prediction.between(0, 1).all() and b.iloc[:, 1].between(0, 1).all()
        text = (root / f"{split}_example_preds.csv").read_text()
        assert text.startswith("id,prediction\n")
        csv = pd.read_csv(root / f"{split}_example_preds.csv", index_col="id")
        assert csv.index.equals(frame.index)
        np.testing.assert_allclose(csv.prediction, ex.prediction, rtol=1e-6)
    meta = pd.read_parquet(root / "meta_model.parquet")
    assert list(meta.columns) == ["era", "numerai_meta_model"]
    scored = validation[validation.data_type == "validation"]
    assert meta.index.equals(scored.index)


def numerai_corr(predictions: np.ndarray, target: np.ndarray) -> float:
    """numerai_corr of one era, as the synthetic world scores its oracle."""
    one_era = np.zeros(len(predictions), dtype=np.int64)
    return float(per_era_corr(predictions, target, one_era)[0])


def _mean_corr(pred: pd.Series, frame: pd.DataFrame) -> float:
    return float(
        np.mean(
            [
                numerai_corr(pred[rows.index].to_numpy(), rows.target.to_numpy())
                for _, rows in frame.groupby("era")
            ]
        )
    )


def test_oracle_in_band_and_beats_the_published_models(
    root: Path, validation: pd.DataFrame
) -> None:
    info = json.loads((root / "oracle" / "synth.json").read_text())
    assert (info["version"], info["scale"], info["seed"]) == ("v5.3", "demo", 0)
    assert 0.05 <= info["oracle_corr_mean"] <= 0.15
    scored = validation[validation.data_type == "validation"]
    oracle = pd.read_parquet(root / "oracle" / "validation.parquet").prediction
    assert oracle.index.equals(validation.index) and oracle.between(0, 1).all()
    assert _mean_corr(oracle, scored) == pytest.approx(info["oracle_corr_mean"], abs=1e-9)
    bench = pd.read_parquet(root / "validation_benchmark_models.parquet").v53_lgbm_ender20
    example = pd.read_parquet(root / "validation_example_preds.parquet").prediction
    meta = pd.read_parquet(root / "meta_model.parquet").numerai_meta_model
    for weaker in (bench, example, meta):
        assert 0.01 < _mean_corr(weaker, scored) < info["oracle_corr_mean"] - 0.02


def test_numerai_corr_matches_numerai_tools() -> None:
    rng = np.random.default_rng(5)
    target = rng.choice([0, 0.25, 0.5, 0.75, 1.0], 500, p=[0.05, 0.2, 0.5, 0.2, 0.05])
    preds = np.round(rng.random(500) + target, 1)  # ties, as real predictions have
    index = pd.Index([f"n{i:015x}" for i in range(500)])
    official = official_numerai_corr(
        pd.DataFrame({"p": preds}, index=index), pd.Series(target, index=index, name="target")
    )["p"]
    assert numerai_corr(preds, target) == pytest.approx(official, abs=1e-12)


# -- determinism, atomicity, the world ---------------------------------------------------------


def test_same_seed_same_bytes(demo_data_dir: Path, tmp_path: Path) -> None:
    write_dataset(tmp_path, version="v5.3", scale="demo", seed=0)
    for path in sorted((demo_data_dir / "v5.3").rglob("*.*")):
        twin = tmp_path / path.relative_to(demo_data_dir)
        assert twin.read_bytes() == path.read_bytes(), path.name


def test_eras_are_pure_functions_of_seed_and_index(world: SyntheticWorld) -> None:
    late = world.make_era(400)  # far beyond the dataset: a future live era
    fresh = SyntheticWorld("v5.3", "demo", 0)
    again = fresh.make_era(400)
    assert np.array_equal(late.features, again.features) and np.array_equal(late.ids, again.ids)
    np.testing.assert_array_equal(late.targets, again.targets)
    assert not np.isnan(late.targets[:, 0]).any()
    other = SyntheticWorld("v5.3", "demo", 1).make_era(400)
    assert not np.array_equal(other.features, late.features)
    assert not set(other.ids) & set(late.ids)
    assert world.make_era(5, n_rows=50).n_rows == 50


def test_overlapping_targets_share_weekly_factor_returns(world: SyntheticWorld) -> None:
    a, b, far = world.era_state(100), world.era_state(101), world.era_state(104)
    # a 20-day span is 4 weekly eras: era 100 shares weeks 101..103 with era 101, none with 104
    shared = 2 * a.factors20 - world._week(100)
    np.testing.assert_allclose(shared, 2 * b.factors20 - world._week(104))
    assert not np.allclose(2 * far.factors20 - 2 * a.factors20, 0)
    regimes = np.array([world.era_state(i).regimes for i in range(1, 1000, 10)])
    assert {-1.0, 1.0} <= set(regimes[:, 0]) and {-1.0, 1.0} <= set(regimes[:, 1])


def test_training_next_to_validation_without_embargo_leaks(world: SyntheticWorld) -> None:
    """Per-feature linear fits on the 4 eras just before an era score higher on it than fits
    on 4 eras that end 12 eras before (an embargo longer than a 20-day target's span)."""
    eras = [world.make_era(i, n_rows=1500) for i in range(1, 121)]
    x = [e.features.astype(np.float32) - 2 for e in eras]
    y = [e.targets[:, 0] - e.targets[:, 0].mean() for e in eras]
    slopes = np.stack([(xi * yi[:, None]).mean(axis=0) for xi, yi in zip(x, y, strict=True)])
    diffs = []
    for v in range(20, 120):
        adjacent = numerai_corr(x[v] @ slopes[v - 4 : v].mean(axis=0), eras[v].targets[:, 0])
        embargo = numerai_corr(x[v] @ slopes[v - 16 : v - 12].mean(axis=0), eras[v].targets[:, 0])
        diffs.append(adjacent - embargo)
    gain, se = np.mean(diffs), np.std(diffs) / np.sqrt(len(diffs))
    assert gain > 0.005 and gain > 2.5 * se


def test_v50_layout_differs(tmp_path: Path) -> None:
    result = write_dataset(tmp_path, version="v5.0", scale="demo", seed=0)
    root = tmp_path / "v5.0"
    assert not (root / "meta_model.parquet").exists()
    frame = pd.read_parquet(root / "validation.parquet")
    targets = [c for c in frame.columns if c.startswith("target")]
    assert len(targets) == 37 and "target_ender_20" not in targets
    scored = frame[frame.data_type == "validation"]
    assert (scored.target == scored.target_cyrusd_20).all()
    bench = pd.read_parquet(root / "validation_benchmark_models.parquet")
    assert list(bench.columns) == ["era", *VERSIONS["v5.0"].benchmark_columns]
    assert "faith" not in json.loads((root / "features.json").read_text())["feature_sets"]
    assert {f.name for f in result.files} >= {"train.parquet", "oracle/live.parquet"}


def test_a_failed_write_leaves_the_old_files_and_no_temporaries(
    demo_data_dir: Path, tmp_path: Path
) -> None:
    old = tmp_path / "v5.3" / "train.parquet"
    old.parent.mkdir()
    old.write_bytes(b"old")

    seen: list[tuple[int, int]] = []

    def boom(done: int, total: int) -> None:
        seen.append((done, total))
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_dataset(tmp_path, version="v5.3", scale="demo", seed=0, progress=boom)
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[0][1] > DEMO.train_rows + DEMO.validation_rows
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["train.parquet"]
    assert old.read_bytes() == b"old"


def test_refuses_when_the_disk_is_too_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth, "estimate_bytes", lambda version, scale: 10**15)
    with pytest.raises(DataError, match="GB"):
        write_dataset(tmp_path / "data", scale="demo")
    assert not (tmp_path / "data").exists()


def test_cli_writes_where_downloads_go(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--project", str(tmp_path), "data", "synth", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert check_document(doc) == "data_synth"
    assert Path(doc["root"]) == tmp_path / "data" / "v5.3"
    files = {f["name"]: f for f in doc["files"]}
    assert files["train.parquet"]["rows"] == DEMO.train_rows
    assert files["validation.parquet"]["eras"] == DEMO.validation_eras
    assert (tmp_path / "data" / "v5.3" / "train.parquet").stat().st_size == files["train.parquet"][
        "bytes"
    ]
    assert 0.05 <= doc["oracle_corr_mean"] <= 0.15


def test_cli_rejects_an_unknown_version(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--project", str(tmp_path), "data", "synth", "--version", "v4.2"]
    )
    assert result.exit_code != 0
    assert "v4.2" in str(result.exception) and "v5.3" in str(result.exception)
    assert not (tmp_path / "data").exists()
