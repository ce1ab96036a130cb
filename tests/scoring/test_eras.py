"""Era grouping and the per-era building blocks, on tiny exact data."""

from __future__ import annotations

import numpy as np
import pytest

from numerpilot.errors import DataError
from numerpilot.scoring.eras import (
    Eras,
    as_eras,
    segment_pearson,
    segment_sort_order,
    tie_kept_rank,
)


def test_grouped_rows_need_no_reordering() -> None:
    eras = Eras.from_codes([0, 0, 1, 1, 1, 4], labels=["0575", "0576", "x", "y", "0579"])
    assert eras.order is None
    assert eras.starts.tolist() == [0, 2, 5]
    assert eras.counts.tolist() == [2, 3, 1]
    assert eras.labels.tolist() == ["0575", "0576", "0579"]


def test_shuffled_rows_sort_stably_and_back() -> None:
    eras = Eras.from_codes([2, 0, 2, 1, 0])
    assert eras.order is not None
    assert eras.order.tolist() == [1, 4, 3, 0, 2]  # stable: rows 1 before 4, 0 before 2
    values = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    assert eras.sort(values).tolist() == [11.0, 14.0, 13.0, 10.0, 12.0]
    np.testing.assert_array_equal(eras.unsort(eras.sort(values)), values)


def test_labels_sort_as_strings() -> None:
    eras = as_eras(np.array(["0577", "0575", "0577"]))
    assert eras.labels.tolist() == ["0575", "0577"]
    assert eras.counts.tolist() == [1, 2]


def test_select_drops_emptied_eras_and_keeps_labels() -> None:
    eras = Eras.from_codes([0, 0, 1, 1, 2, 2], labels=["a", "b", "c"])
    sub = eras.select(np.array([True, True, False, False, True, False]))
    assert sub.labels.tolist() == ["a", "c"]
    assert sub.counts.tolist() == [2, 1]
    assert sub.positions_in(eras).tolist() == [0, 2]


def test_tie_kept_rank_averages_ties_per_era() -> None:
    # Era 0: 3, 1, 3, 2 -> ranks 3.5, 1, 3.5, 2 of 4; era 1: 5, 5 -> 1.5, 1.5 of 2.
    eras = Eras.from_codes([0, 0, 0, 0, 1, 1])
    ranks = tie_kept_rank(np.array([3.0, 1.0, 3.0, 2.0, 5.0, 5.0]), eras)
    assert ranks.tolist() == [0.75, 0.125, 0.75, 0.375, 0.5, 0.5]


def test_equal_values_in_different_eras_are_not_ties() -> None:
    eras = Eras.from_codes([0, 0, 1, 1])
    ranks = tie_kept_rank(np.array([1.0, 2.0, 2.0, 3.0]), eras)
    assert ranks.tolist() == [0.25, 0.75, 0.25, 0.75]


def test_stable_sort_order_keeps_row_order_of_ties() -> None:
    eras = Eras.from_codes([0, 0, 0, 1, 1])
    order = segment_sort_order(np.array([2.0, 1.0, 2.0, 9.0, 9.0]), eras)
    assert order.tolist() == [1, 0, 2, 3, 4]


def test_segment_pearson_is_nan_for_a_constant_era() -> None:
    eras = Eras.from_codes([0, 0, 0, 1, 1, 1])
    x = np.array([[1.0], [2.0], [3.0], [4.0], [4.0], [4.0]])
    y = np.array([1.0, 2.0, 4.0, 1.0, 2.0, 3.0])
    corr = segment_pearson(x, y, eras)
    assert corr[0, 0] == pytest.approx(np.corrcoef([1, 2, 3], [1, 2, 4])[0, 1], abs=1e-15)
    assert np.isnan(corr[1, 0])


def test_an_era_with_one_row_is_named() -> None:
    eras = Eras.from_codes([0, 0, 1], labels=["0575", "0576"])
    with pytest.raises(DataError, match="era 0576 has 1 row"):
        eras.require_min_rows(2)


def test_bad_codes_are_data_errors() -> None:
    with pytest.raises(DataError, match="integers"):
        Eras.from_codes(np.array([0.0, 1.0]))
    with pytest.raises(DataError, match="2 era labels"):
        Eras.from_codes([0, 3], labels=["a", "b"])
