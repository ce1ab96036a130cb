from __future__ import annotations

import numpy as np
import pytest

from numerpilot.errors import ConfigError, DataError
from numerpilot.models.cv import embargo_eras, era_numbers, holdout_split, walk_forward


def test_embargo_follows_the_longest_target_horizon() -> None:
    assert embargo_eras(["target"]) == 4
    assert embargo_eras(["target", "target_cyrusd_20"]) == 4
    assert embargo_eras(["target", "target_teager2b_60"]) == 12
    assert embargo_eras(["target_teager2b_60"], override=2) == 2


def test_embargo_of_an_unknown_horizon_asks_for_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"train\.embargo_eras"):
        embargo_eras(["my_label"])


def test_era_numbers_parse_labels_and_refuse_live_eras() -> None:
    assert era_numbers(np.array(["0003", "0001", "0003", "0120"])).tolist() == [3, 1, 3, 120]
    with pytest.raises(DataError, match="'X'"):
        era_numbers(np.array(["0001", "X"]))


def test_holdout_leaves_the_embargo_out() -> None:
    eras = np.repeat(np.arange(1, 21), 3)
    split = holdout_split(eras, holdout_eras=5, embargo=4)
    assert split is not None
    assert sorted(set(eras[split.train])) == list(range(1, 12))
    assert sorted(set(eras[split.test])) == list(range(16, 21))
    assert split.train_eras == (1, 11) and split.test_eras == (16, 20)
    assert "4 eras apart" in split.describe()


def test_holdout_counts_calendar_eras_when_eras_are_sampled() -> None:
    eras = np.arange(1, 21, 2)  # every 2nd era: 1, 3, ..., 19
    split = holdout_split(eras, holdout_eras=5, embargo=4)
    assert split is not None
    assert eras[split.test].tolist() == [15, 17, 19]
    assert eras[split.train].tolist() == [1, 3, 5, 7, 9]


def test_no_holdout_when_zero_and_an_error_when_nothing_is_left_to_train() -> None:
    eras = np.arange(1, 11)
    assert holdout_split(eras, 0, 4) is None
    with pytest.raises(ConfigError, match=r"train\.holdout_eras"):
        holdout_split(eras, holdout_eras=8, embargo=4)


def test_walk_forward_folds_never_split_an_era_and_keep_the_embargo() -> None:
    eras = np.repeat(np.arange(1, 13), 2)
    folds = walk_forward(eras, folds=3, embargo=1)
    assert [f.test_eras for f in folds] == [(4, 6), (7, 9), (10, 12)]
    assert [f.train_eras for f in folds] == [(1, 2), (1, 5), (1, 8)]
    tested = np.concatenate([f.test for f in folds])
    assert len(tested) == len(set(tested.tolist())) == 18  # each row tested once
    for fold in folds:
        train_eras, test_eras = set(eras[fold.train]), set(eras[fold.test])
        assert not train_eras & test_eras
        assert min(test_eras) - max(train_eras) > 1


def test_walk_forward_needs_enough_eras() -> None:
    assert walk_forward(np.arange(1, 5), folds=0, embargo=4) == []
    with pytest.raises(ConfigError, match=r"train\.cv_folds"):
        walk_forward(np.arange(1, 4), folds=3, embargo=0)
