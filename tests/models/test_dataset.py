from __future__ import annotations

import lightgbm as lgb
import numpy as np

from numerpilot.models.dataset import (
    Int8Rows,
    bin_reference,
    build_dataset,
    for_target,
    predict_rows,
)
from numerpilot.models.params import booster_params
from tests.models.toy import Toy


def test_int8_rows_hand_out_float_rows_and_batches() -> None:
    x = np.arange(12, dtype=np.int8).reshape(4, 3)
    rows = Int8Rows(x, np.array([1, 3]))
    assert len(rows) == 2
    assert rows[1].dtype == np.float64 and rows[1].tolist() == [9.0, 10.0, 11.0]
    batch = rows[0:2]
    assert batch.dtype == np.float32 and batch.flags.c_contiguous
    assert batch.tolist() == [[3, 4, 5], [9, 10, 11]]
    assert Int8Rows(x)[1:3].tolist() == [[3, 4, 5], [6, 7, 8]]


def _train(data: lgb.Dataset, params: dict[str, object]) -> lgb.Booster:
    return lgb.train(params, data, num_boost_round=15)


def test_shared_bins_train_the_same_booster_as_a_float_matrix(toy: Toy, fast_params) -> None:
    """The int8 batches and shared bins change nothing about the model LightGBM learns."""
    params = booster_params(fast_params, seed=3)
    reference = bin_reference(toy.features, toy.feature_names, params, sample_rows=1000)
    shared = build_dataset(toy.features, reference)
    x = toy.features.astype(np.float32)
    for j in range(2):
        labels = toy.targets[:, j]
        known = ~np.isnan(labels)
        ours = _train(for_target(shared, labels), params)
        plain = _train(lgb.Dataset(x[known], labels[known], params=params), params)
        np.testing.assert_array_equal(ours.predict(x[:500]), plain.predict(x[:500]))


def test_labels_with_nan_train_on_the_labelled_rows_only(toy: Toy, fast_params) -> None:
    params = booster_params(fast_params, seed=0)
    reference = bin_reference(toy.features, toy.feature_names, params)
    rows = np.arange(100, 3000, dtype=np.int64)
    shared = build_dataset(toy.features, reference, rows=rows)
    labels = toy.targets[rows, 1]
    labelled = for_target(shared, labels)
    known = ~np.isnan(labels)
    assert 0 < known.sum() < len(rows)
    assert labelled.num_data() == known.sum()
    np.testing.assert_array_equal(labelled.get_label(), labels[known])
    # The shared Dataset itself keeps all its rows for the next target.
    assert shared.num_data() == len(rows)
    full = for_target(shared, toy.targets[rows, 0])
    assert full is shared
    np.testing.assert_array_equal(shared.get_label(), toy.targets[rows, 0])


def test_predict_rows_equals_predicting_the_float_matrix(toy: Toy) -> None:
    x = toy.features.astype(np.float32)
    label = np.ascontiguousarray(toy.targets[:, 0])
    booster = lgb.train({"verbosity": -1}, lgb.Dataset(x, label), num_boost_round=5)
    rows = np.array([5, 7, 4000], dtype=np.int64)
    np.testing.assert_array_equal(
        predict_rows(booster, toy.features, batch_rows=1000), booster.predict(x)
    )
    np.testing.assert_array_equal(
        predict_rows(booster, toy.features, rows=rows), booster.predict(x[rows])
    )
