"""Loading: projection into int8, era sampling, the memory budget, and every check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from numerpilot.data import _reader as reader
from numerpilot.data.dataset import Dataset
from numerpilot.data.load import (
    EraRange,
    MemoryBudgetExceeded,
    estimate_bytes,
    load_dataset,
    load_predictions,
    memory_budget,
    read_feature_metadata,
    resolve_features,
)
from numerpilot.data.manifest import DatasetManifest, record_for, write_dataset_manifest
from numerpilot.errors import ConfigError, DataError

FEATURES = ["feature_a", "feature_b", "feature_c"]


def table(
    eras: list[str] | None = None,
    rows_per_era: int = 2,
    feature_type: pa.DataType = pa.int8(),
) -> pa.Table:
    """Rows per era with features (row + column) % 5 and targets row / 10, exact to check."""
    eras = eras or ["0001", "0002", "0003", "0004", "0005"]
    n = len(eras) * rows_per_era
    row = np.arange(n)
    columns: dict[str, pa.Array] = {
        "id": pa.array([f"n{i:015x}" for i in range(n)]),
        "era": pa.array([e for e in eras for _ in range(rows_per_era)]),
        "data_type": pa.array(["train"] * (n - rows_per_era) + ["test"] * rows_per_era),
    }
    for j, name in enumerate(FEATURES):
        columns[name] = pa.array((row + j) % 5).cast(feature_type)
    columns["target"] = pa.array(row / 10, pa.float64())
    columns["target_x"] = pa.array([None if i % 3 == 0 else 0.5 for i in range(n)], pa.float32())
    return pa.table(columns)


def write(path: Path, t: pa.Table, *, row_group_size: int | None = None) -> Path:
    pq.write_table(t, path, row_group_size=row_group_size)
    return path


def test_loads_int8_features_and_float32_targets(tmp_path: Path):
    path = write(tmp_path / "train.parquet", table(), row_group_size=2)
    ds = load_dataset(path, features=FEATURES, targets=["target", "target_x"])
    assert isinstance(ds, Dataset) and len(ds) == 10
    assert ds.features.dtype == np.int8 and ds.features.flags.c_contiguous
    assert ds.features.shape == (10, 3)
    np.testing.assert_array_equal(ds.features[:, 1], (np.arange(10) + 1) % 5)
    assert ds.targets.dtype == np.float32
    np.testing.assert_allclose(ds.targets[:, 0], np.arange(10) / 10, rtol=1e-6)
    assert np.isnan(ds.target("target_x")[[0, 3, 6, 9]]).all()  # NaN kept
    assert ds.ids[0] == "n000000000000000" and ds.ids.dtype == object
    assert list(ds.eras[:3]) == ["0001", "0001", "0002"]
    assert list(ds.data_type[-3:]) == ["train", "test", "test"]
    codes, labels = ds.era_codes()
    assert codes.dtype == np.int32 and list(labels) == ["0001", "0002", "0003", "0004", "0005"]
    assert list(codes) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert ds.feature_names == FEATURES and ds.target_names == ["target", "target_x"]
    assert ds.source == str(path)


@pytest.mark.parametrize("row_group_size", [None, 2, 3])
def test_every_nth_era_and_era_ranges(tmp_path: Path, row_group_size: int | None):
    path = write(tmp_path / "t.parquet", table(), row_group_size=row_group_size)
    ds = load_dataset(path, features=["feature_c"], era_step=2)
    assert sorted(set(ds.eras)) == ["0001", "0003", "0005"]
    rows = [0, 1, 4, 5, 8, 9]
    np.testing.assert_array_equal(ds.features[:, 0], (np.array(rows) + 2) % 5)
    assert list(ds.ids) == [f"n{i:015x}" for i in rows]
    codes, labels = ds.era_codes()
    assert list(labels) == ["0001", "0003", "0005"] and list(codes) == [0, 0, 1, 1, 2, 2]

    ranged = load_dataset(path, features=FEATURES, eras=EraRange("0002", "0004"), era_step=2)
    assert sorted(set(ranged.eras)) == ["0002", "0004"]
    listed = load_dataset(path, features=FEATURES, eras=["0005", "0001"])
    assert sorted(set(listed.eras)) == ["0001", "0005"]
    opened = load_dataset(path, features=FEATURES, eras=EraRange(first="0004"))
    assert sorted(set(opened.eras)) == ["0004", "0005"]


def test_data_type_filter_then_era_step(tmp_path: Path):
    path = write(tmp_path / "v.parquet", table())
    ds = load_dataset(path, features=FEATURES, data_types={"train"}, era_step=3)
    # train eras are 0001..0004; every 3rd of them from the first
    assert sorted(set(ds.eras)) == ["0001", "0004"]
    test = load_dataset(path, features=FEATURES, data_types={"test"})
    assert list(test.data_type) == ["test", "test"] and set(test.eras) == {"0005"}
    with pytest.raises(DataError, match="no rows match"):
        load_dataset(path, features=FEATURES, data_types={"live"})


def test_features_stored_wider_are_narrowed_after_checks(tmp_path: Path):
    for kind in (pa.int64(), pa.float64(), pa.uint16()):
        path = write(tmp_path / f"{kind}.parquet", table(feature_type=kind))
        ds = load_dataset(path, features=FEATURES)
        assert ds.features.dtype == np.int8
        np.testing.assert_array_equal(ds.features[:, 0], np.arange(10) % 5)


def test_many_batches_and_bands_of_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reader, "BATCH_ROWS", 3)
    monkeypatch.setattr(reader, "COLUMNS_PER_PASS", 2)  # bands [a, b] and [c]
    path = write(tmp_path / "t.parquet", table(rows_per_era=7), row_group_size=5)
    ds = load_dataset(path, features=FEATURES, targets=["target"], era_step=2)
    rows = np.flatnonzero(np.isin(np.arange(35) // 7, [0, 2, 4]))
    np.testing.assert_array_equal(ds.features[:, 2], (rows + 2) % 5)
    np.testing.assert_allclose(ds.targets[:, 0], rows / 10, rtol=1e-6)
    assert list(ds.ids) == [f"n{i:015x}" for i in rows]
    np.testing.assert_array_equal(ds.features, (rows[:, None] + np.arange(3)) % 5)


def test_only_targets(tmp_path: Path):
    path = write(tmp_path / "t.parquet", table())
    ds = load_dataset(path, features=[], targets=["target"], data_types={"test"})
    assert ds.features.shape == (2, 0)
    np.testing.assert_allclose(ds.targets[:, 0], [0.8, 0.9], rtol=1e-6)
    with pytest.raises(ValueError, match="both as a feature and as a target"):
        load_dataset(path, features=["target"], targets=["target"])


def test_eras_stored_as_categories(tmp_path: Path):
    t = table()
    t = t.set_column(1, "era", t.column("era").dictionary_encode())
    path = write(tmp_path / "t.parquet", t)
    ds = load_dataset(path, features=FEATURES, era_step=2)
    assert sorted(set(ds.eras)) == ["0001", "0003", "0005"]


def test_progress_reports_rows(tmp_path: Path):
    path = write(tmp_path / "t.parquet", table())
    seen: list[tuple[int, int]] = []
    load_dataset(path, features=FEATURES, era_step=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (6, 6)


# -- checks ----------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path):
    with pytest.raises(DataError, match="missing; run 'numerpilot data download'") as info:
        load_dataset(tmp_path / "train.parquet", features=FEATURES)
    assert info.value.path == str(tmp_path / "train.parquet")


def test_missing_column_suggests_close_names(tmp_path: Path):
    path = write(tmp_path / "t.parquet", table())
    with pytest.raises(DataError) as info:
        load_dataset(path, features=["feature_a", "feature_bb", "feature_zzz"])
    message = str(info.value)
    assert "no column 'feature_bb'" in message and "did you mean 'feature_b'" in message
    assert "(and 1 more missing)" in message and str(path) in message
    assert info.value.column == "feature_bb"
    with pytest.raises(DataError, match=r"no column 'targt'.*'target'"):
        load_dataset(path, features=FEATURES, targets=["targt"])


def test_wrong_dtypes(tmp_path: Path):
    t = table()
    t = t.set_column(t.schema.get_field_index("feature_b"), "feature_b", pa.array(["x"] * 10))
    path = write(tmp_path / "t.parquet", t)
    with pytest.raises(DataError, match="'feature_b' has type string, expected integers") as info:
        load_dataset(path, features=FEATURES)
    assert info.value.column == "feature_b"
    t2 = table()
    t2 = t2.set_column(1, "era", pa.array(np.arange(10) // 2))
    path2 = write(tmp_path / "t2.parquet", t2)
    with pytest.raises(DataError, match="'era' has type int64, expected strings"):
        load_dataset(path2, features=FEATURES)


@pytest.mark.parametrize(
    ("kind", "bad", "message"),
    [
        (pa.int8(), 5, "outside 0..4"),
        (pa.int8(), -1, "outside 0..4"),
        (pa.int64(), 260, "outside 0..4"),  # would wrap to 4 if narrowed first
        (pa.float32(), 2.5, "not whole numbers"),
        (pa.float32(), float("nan"), "missing values"),
        (pa.int8(), None, "missing values"),
    ],
)
def test_feature_values_outside_the_bins(tmp_path: Path, kind, bad, message):
    t = table(feature_type=kind)
    values = t.column("feature_c").to_pylist()
    values[7] = bad
    t = t.set_column(t.schema.get_field_index("feature_c"), "feature_c", pa.array(values, kind))
    path = write(tmp_path / "t.parquet", t)
    with pytest.raises(DataError, match=message) as info:
        load_dataset(path, features=FEATURES)
    assert info.value.column == "feature_c" and info.value.path == str(path)


def test_error_midway_stops_the_reading_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import threading

    monkeypatch.setattr(reader, "BATCH_ROWS", 2)
    t = table(rows_per_era=20)
    values = t.column("feature_a").to_pylist()
    values[1] = 7  # in the first of 50 batches
    t = t.set_column(
        t.schema.get_field_index("feature_a"), "feature_a", pa.array(values, pa.int8())
    )
    path = write(tmp_path / "t.parquet", t)
    with pytest.raises(DataError, match="'feature_a' has values outside"):
        load_dataset(path, features=FEATURES)
    assert not [th for th in threading.enumerate() if th.name == "numerpilot-parquet"]


def test_bad_value_in_a_skipped_era_is_not_read(tmp_path: Path):
    t = table()
    values = t.column("feature_a").to_pylist()
    values[2] = 9  # era 0002, skipped by era_step=2
    t = t.set_column(
        t.schema.get_field_index("feature_a"), "feature_a", pa.array(values, pa.int8())
    )
    path = write(tmp_path / "t.parquet", t)
    assert len(load_dataset(path, features=FEATURES, era_step=2)) == 6


def test_duplicate_ids(tmp_path: Path):
    t = table()
    ids = t.column("id").to_pylist()
    ids[4] = ids[1]
    t = t.set_column(0, "id", pa.array(ids))
    path = write(tmp_path / "t.parquet", t)
    with pytest.raises(DataError, match="id 'n000000000000001' appears more than once") as info:
        load_dataset(path, features=FEATURES)
    assert info.value.column == "id"


def test_duplicate_ids_of_different_lengths(tmp_path: Path):
    t = table()
    ids = [f"n{i}" for i in range(10)]
    ids[9] = "n10"
    t = t.set_column(0, "id", pa.array(ids))
    assert len(load_dataset(write(tmp_path / "ok.parquet", t), features=FEATURES)) == 10
    ids[8] = "n10"  # lengths differ: Arrow's hashing finds it
    t = t.set_column(0, "id", pa.array(ids))
    with pytest.raises(DataError, match="id 'n10' appears more than once"):
        load_dataset(write(tmp_path / "mixed.parquet", t), features=FEATURES)
    ids = [f"n{i}" for i in range(10)]
    ids[9] = "n1"  # one length, 64-bit offsets: the sorting path
    t = t.set_column(0, "id", pa.array(ids, pa.large_string()))
    with pytest.raises(DataError, match="id 'n1' appears more than once"):
        load_dataset(write(tmp_path / "large.parquet", t), features=FEATURES)


def test_duplicate_in_a_skipped_era_does_not_count(tmp_path: Path):
    t = table()
    ids = t.column("id").to_pylist()
    ids[3] = ids[2]  # both in era 0002
    t = t.set_column(0, "id", pa.array(ids))
    path = write(tmp_path / "t.parquet", t)
    assert len(load_dataset(path, features=FEATURES, era_step=2)) == 6
    with pytest.raises(DataError, match="appears more than once"):
        load_dataset(path, features=FEATURES)


def test_missing_era_values(tmp_path: Path):
    t = table()
    eras = t.column("era").to_pylist()
    eras[3] = None
    path = write(tmp_path / "t.parquet", t.set_column(1, "era", pa.array(eras)))
    with pytest.raises(DataError, match="'era' has missing values"):
        load_dataset(path, features=FEATURES)


def test_truncated_file(tmp_path: Path):
    path = write(tmp_path / "t.parquet", table())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated or corrupt") as info:
        load_dataset(path, features=FEATURES)
    assert info.value.path == str(path)


def test_corrupt_column_data(tmp_path: Path):
    # Dictionary encoding off, so the page of feature_b is where the metadata says.
    t = table(rows_per_era=200)
    path = tmp_path / "t.parquet"
    pq.write_table(t, path, compression="snappy", use_dictionary=False)
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata.row_group(0)
    column = meta.column(t.schema.get_field_index("feature_b"))
    start = column.data_page_offset
    data[start + 20 : start + 60] = b"\xff" * 40
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="truncated or corrupt") as info:
        load_dataset(path, features=FEATURES)
    assert info.value.path == str(path) and info.value.column == "feature_b"


def test_file_changed_since_download_is_refused(tmp_path: Path):
    path = write(tmp_path / "train.parquet", table())
    write_dataset_manifest(tmp_path, DatasetManifest("v5.3", {"train.parquet": record_for(path)}))
    assert len(load_dataset(path, features=FEATURES)) == 10
    write(path, table(eras=["0001", "0002"]))
    with pytest.raises(DataError, match="changed since it was downloaded"):
        load_dataset(path, features=FEATURES)


# -- the memory budget ------------------------------------------------------------------------


def test_memory_budget_refuses_before_reading(tmp_path: Path):
    path = write(tmp_path / "train.parquet", table())
    need = estimate_bytes(10, 3, 1)
    assert need == 10 * (3 + 4 + 32) + (3 + 1) * (200_000 + 10 * 8 * 2)
    # wide requests: one band of columns is in flight, not all of them
    band = reader.COLUMNS_PER_PASS
    assert estimate_bytes(1000, 3000, 0) - 1000 * 3032 == band * (200_000 + 1000 * 16)
    with pytest.raises(MemoryBudgetExceeded) as info:
        load_dataset(path, features=FEATURES, targets=["target"], memory_budget_bytes=need - 1)
    message = str(info.value)
    assert "train.feature_set" in message and "train.era_step = 2" in message
    assert isinstance(info.value, ConfigError) and info.value.needed == need
    # every second era halves the rows: it fits
    half = estimate_bytes(6, 3, 1)
    assert len(load_dataset(path, features=FEATURES, era_step=2, memory_budget_bytes=half)) == 6


def test_default_budget_is_a_share_of_available_memory():
    import psutil

    available = psutil.virtual_memory().available
    assert 0.6 * available < memory_budget() < 0.8 * available
    assert memory_budget(0.1) < memory_budget(0.5)


# -- features.json and predictions -------------------------------------------------------------


def test_feature_metadata_and_sets(tmp_path: Path):
    path = tmp_path / "features.json"
    path.write_text(
        json.dumps(
            {
                "feature_sets": {
                    "small": ["feature_b"],
                    "all": FEATURES,
                    "rain": ["feature_c", "feature_a"],
                    "sun": ["feature_b", "feature_a"],
                },
                "targets": ["target", "target_x"],
            }
        )
    )
    meta = read_feature_metadata(path)
    assert meta.targets == ["target", "target_x"]
    assert resolve_features(meta, "small") == ["feature_b"]
    assert resolve_features(meta, "small", ["rain", "sun"]) == FEATURES  # union, file order
    with pytest.raises(ConfigError, match=r"'train.feature_set'.*'smal'.*did you mean 'small'"):
        resolve_features(meta, "smal")
    with pytest.raises(ConfigError, match=r"train.feature_groups.*'snow'"):
        resolve_features(meta, "small", ["snow"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not readable JSON"),
        ("[]", "expected a JSON object"),
        ('{"targets": []}', "'feature_sets' is missing"),
        ('{"feature_sets": {"small": "feature_a"}}', "'small' is not a list"),
        ('{"feature_sets": {"small": []}, "targets": 3}', "'targets' is not a list"),
    ],
)
def test_bad_feature_metadata(tmp_path: Path, text: str, message: str):
    path = tmp_path / "features.json"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as info:
        read_feature_metadata(path)
    assert info.value.path == str(path)
    with pytest.raises(DataError, match="missing"):
        read_feature_metadata(tmp_path / "nope.json")


def test_load_predictions_parquet_and_csv(tmp_path: Path):
    frame = pd.DataFrame(
        {"era": ["0575", "0575"], "v53_lgbm_ender20": [0.25, 0.75]},
        index=pd.Index(["n1", "n2"], name="id"),
    )
    frame.to_parquet(tmp_path / "b.parquet")
    loaded = load_predictions(tmp_path / "b.parquet")
    assert loaded.index.name == "id" and list(loaded.index) == ["n1", "n2"]
    assert loaded["v53_lgbm_ender20"].dtype == np.float64 and loaded["era"].iloc[0] == "0575"
    (tmp_path / "p.csv").write_text("id,prediction\nn1,0.5\nn2,1\n")
    csv = load_predictions(tmp_path / "p.csv")
    assert list(csv["prediction"]) == [0.5, 1.0] and csv.index.name == "id"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,prediction\nn1,0.5\nn1,0.7\n", "'n1' appears more than once"),
        ("row,prediction\nn1,0.5\n", "no 'id' column"),
        ("id,prediction\nn1,high\n", "'prediction' is not numeric"),
        ("id\nn1\n", "no prediction column"),
    ],
)
def test_bad_predictions(tmp_path: Path, text: str, message: str):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_predictions(path)


def test_dataset_from_plain_arrays():
    ds = Dataset(
        ids=["n1", "n2", "n3"],
        eras=["0002", "0001", "0002"],
        features=np.array([[0, 1], [2, 3], [4, 0]]),
        feature_names=["a", "b"],
        targets=np.array([[0.5], [0.25], [np.nan]]),
        target_names=["target"],
    )
    codes, labels = ds.era_codes()
    assert list(labels) == ["0001", "0002"] and list(codes) == [1, 0, 1]
    assert ds.features.dtype == np.int8 and ds.targets.dtype == np.float32
    assert list(ds.ids) == ["n1", "n2", "n3"] and list(ds.data_type) == ["", "", ""]
    with pytest.raises(KeyError, match="was not loaded"):
        ds.target("target_x")
    with pytest.raises(ValueError, match="row counts"):
        Dataset(ids=["n1"], eras=["0001", "0002"], features=np.zeros((2, 0)), feature_names=[])
