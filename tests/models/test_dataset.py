from __future__ import annotations

import itertools
import math

import lightgbm as lgb
import numpy as np
import pytest

from numerpilot.config import LightGBMParams
from numerpilot.models.dataset import (
    Int8Rows,
    StreamedRows,
    bin_reference,
    build_dataset,
    build_streamed,
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


def _trained(data: lgb.Dataset, params: dict[str, object], share: float = 1.0) -> lgb.Booster:
    min_data = params["min_data_in_leaf"]
    assert isinstance(min_data, int)
    adjusted = {**params, "min_data_in_leaf": math.ceil(min_data * share)}
    return lgb.train(adjusted, data, num_boost_round=15)


def test_shared_bins_train_the_same_booster_as_a_float_matrix(
    toy: Toy, fast_params: LightGBMParams
) -> None:
    """int8 batches, shared bins and zero weights for NaN labels change nothing about the
    model LightGBM learns: the same trees as on ``X[mask]`` as floats."""
    params = booster_params(fast_params, seed=3)
    reference = bin_reference(toy.features, toy.feature_names, params, sample_rows=1000)
    shared = build_dataset(toy.features, reference)
    x = toy.features.astype(np.float32)
    for j in (1, 0):  # the NaN target first: its zero weights must not stick to the next
        labels = np.ascontiguousarray(toy.targets[:, j])
        known = ~np.isnan(labels)
        share = for_target(shared, labels)
        assert share == pytest.approx(known.mean())
        ours = _trained(shared, params, share)
        plain = _trained(lgb.Dataset(x[known], labels[known], params=params), params)
        np.testing.assert_allclose(ours.predict(x[:500]), plain.predict(x[:500]), atol=1e-12)


def test_labels_with_nan_become_zero_weights_on_the_shared_rows(toy: Toy) -> None:
    params = booster_params(LightGBMParams(), seed=0)
    reference = bin_reference(toy.features, toy.feature_names, params)
    rows = np.arange(100, 3000, dtype=np.int64)
    shared = build_dataset(toy.features, reference, rows=rows)
    labels = toy.targets[rows, 1]
    known = ~np.isnan(labels)
    assert 0 < known.sum() < len(rows)
    for_target(shared, labels)
    assert shared.num_data() == len(rows)
    np.testing.assert_array_equal(shared.get_label(), np.where(known, labels, 0))
    np.testing.assert_array_equal(shared.get_weight(), known.astype(np.float32))
    for_target(shared, toy.targets[rows, 0])
    np.testing.assert_array_equal(shared.get_label(), toy.targets[rows, 0])
    assert shared.get_field("weight") is None
    with pytest.raises(ValueError, match="NaN"):
        for_target(shared, np.full(len(rows), np.nan))
    with pytest.raises(ValueError, match="labels for"):
        for_target(shared, labels[:10])


def test_streamed_chunks_bin_like_the_whole_matrix_one_chunk_at_a_time(toy: Toy) -> None:
    params = booster_params(LightGBMParams(), seed=0)
    reference = bin_reference(toy.features, toy.feature_names, params)
    bounds = [0, 1000, 1001, 3500, len(toy.eras)]
    reads: list[int] = []
    chunks: list[StreamedRows] = []
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):

        def read(lo: int = lo, hi: int = hi, k: int = k) -> tuple[np.ndarray, np.ndarray]:
            assert reads == list(range(k)), "chunks are read once, in order"
            reads.append(k)
            return toy.features[lo:hi], toy.targets[lo:hi]

        chunks.append(StreamedRows(hi - lo, read))
    streamed = build_streamed(chunks, reference)
    assert reads == [0, 1, 2, 3]
    assert all(c._features is None for c in chunks)  # each chunk dropped once binned
    np.testing.assert_array_equal(
        np.concatenate([c.targets for c in chunks if c.targets is not None]), toy.targets
    )
    whole = build_dataset(toy.features, reference)
    labels = np.ascontiguousarray(toy.targets[:, 0])
    for_target(streamed, labels)
    for_target(whole, labels)
    x = toy.features[:300].astype(np.float32)
    a = lgb.train(params, streamed, num_boost_round=5).predict(x)
    b = lgb.train(params, whole, num_boost_round=5).predict(x)
    np.testing.assert_array_equal(a, b)


def test_a_chunk_of_the_wrong_size_or_out_of_order_is_refused(toy: Toy) -> None:
    chunk = StreamedRows(10, lambda: (toy.features[:9], toy.targets[:9]))
    with pytest.raises(ValueError, match="expected 10"):
        chunk[0:5]
    with pytest.raises(TypeError, match="in order"):
        StreamedRows(10, lambda: (toy.features[:10], toy.targets[:10]))[3]


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
