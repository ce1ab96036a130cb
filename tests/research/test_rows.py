"""A worker reads a trial's rows once: every fold's load is a slice equal to a fresh read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from numerpilot.models.rows import TrainingFile
from numerpilot.research import _rows
from numerpilot.research._rows import HeldRows, held_if_it_fits


class CountingFile(TrainingFile):
    reads = 0

    def load(self, eras: np.ndarray) -> object:  # type: ignore[override]
        CountingFile.reads += 1
        return super().load(eras)


def test_held_rows_are_read_once_and_slice_like_a_fresh_read(demo_data_dir: Path) -> None:
    root = demo_data_dir / "v5.3"
    features = json.loads((root / "features.json").read_text())["feature_sets"]["small"]
    file = CountingFile(root / "train.parquet", features, ["target", "target_cyrusd_20"], 10**9)
    index = file.index(2)
    held = held_if_it_fits(file, index)
    assert isinstance(held, HeldRows)
    _rows._held.clear()
    CountingFile.reads = 0
    for eras in (index.labels[[1, 5, 9]], index.labels[:20], index.labels[-3:]):
        got, want = held.load(eras), TrainingFile.load(file, eras)
        assert got.ids.tolist() == want.ids.tolist()
        assert got.eras.tolist() == want.eras.tolist()
        np.testing.assert_array_equal(got.features, want.features)
        np.testing.assert_array_equal(got.targets, want.targets)
    assert CountingFile.reads == 1
    # The next trial on the same data reads nothing; other eras are read afresh.
    HeldRows(file, index.labels).load(index.labels[:2])
    assert CountingFile.reads == 1
    HeldRows(file, index.labels[:4]).load(index.labels[:2])
    assert CountingFile.reads == 2


def test_rows_that_do_not_fit_are_streamed(demo_data_dir: Path) -> None:
    root = demo_data_dir / "v5.3"
    features = json.loads((root / "features.json").read_text())["feature_sets"]["small"]
    roomy = TrainingFile(root / "train.parquet", features, ["target"], 10**9)
    index = roomy.index(1)
    fit = roomy.plan_bytes(index, index.labels, np.array([], dtype=str))
    assert isinstance(held_if_it_fits(roomy, index), HeldRows)
    # Room for the largest fit but not for the rows beside it: streamed as before.
    tight = TrainingFile(root / "train.parquet", features, ["target"], fit + 1000)
    assert held_if_it_fits(tight, index) is tight
