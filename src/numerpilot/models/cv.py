"""Era-aware splits: a holdout of the last eras behind an embargo, and walk-forward folds.

Numerai's targets span several weekly eras (20 days: 4 eras, 60 days: 12), so the targets of
neighbouring eras share part of their future. A model validated on eras right after its
training eras sees some of that shared future and looks better than it is. Every split here
leaves a gap (the embargo) of at least the target's horizon between training and testing, and
no split ever puts part of an era on each side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from numerpilot.data import target_span_eras
from numerpilot.errors import ConfigError, DataError

IntArray = npt.NDArray[np.int64]


def embargo_eras(targets: Iterable[str], override: int | None = None) -> int:
    """Eras to drop between training and testing: the longest span among ``targets``
    (4 eras for 20-day targets, 12 for 60-day), unless ``override`` is set."""
    if override is not None:
        return override
    spans = []
    for target in targets:
        try:
            spans.append(target_span_eras(target))
        except ValueError:
            raise ConfigError(
                f"setting 'train.embargo_eras': cannot tell the horizon of target {target!r}; "
                "set the embargo explicitly"
            ) from None
    return max(spans)


def era_numbers(eras: npt.NDArray[np.str_] | npt.NDArray[np.object_]) -> IntArray:
    """``"0001"`` -> 1, vectorised over the unique labels."""
    labels, inverse = np.unique(np.asarray(eras), return_inverse=True)
    try:
        numbers = np.array([int(label) for label in labels], dtype=np.int64)
    except ValueError:
        bad = next(str(label) for label in labels if not str(label).isdigit())
        raise DataError(
            f"era {bad!r} is not numbered; training needs numbered eras", column="era"
        ) from None
    per_row: IntArray = numbers[inverse.reshape(-1)]
    return per_row


@dataclass(frozen=True)
class Split:
    """Row indices (sorted) of one training part and the part it is tested on."""

    train: IntArray
    test: IntArray
    train_eras: tuple[int, int]  # first and last era number trained on
    test_eras: tuple[int, int]  # first and last era number tested on

    def describe(self) -> str:
        gap = self.test_eras[0] - self.train_eras[1] - 1
        return (
            f"train eras {self.train_eras[0]}-{self.train_eras[1]} ({len(self.train)} rows), "
            f"test eras {self.test_eras[0]}-{self.test_eras[1]} ({len(self.test)} rows), "
            f"{gap} eras apart"
        )


def _split(eras: IntArray, last_train: int, first_test: int, last_test: int) -> Split:
    train = np.flatnonzero(eras <= last_train)
    test = np.flatnonzero((eras >= first_test) & (eras <= last_test))
    if len(train) == 0:
        raise ConfigError(
            f"no eras left to train on before era {first_test} with this embargo; "
            "lower 'train.holdout_eras', 'train.embargo_eras' or 'train.cv_folds'"
        )
    return Split(
        train=train,
        test=test,
        train_eras=(int(eras[train].min()), int(eras[train].max())),
        test_eras=(int(eras[test].min()), int(eras[test].max())),
    )


def holdout_split(eras: IntArray, holdout_eras: int, embargo: int) -> Split | None:
    """Train on all but the last ``holdout_eras`` eras minus ``embargo``; test on the last ones.

    Era numbers count calendar eras, so with era sampling the holdout still spans
    ``holdout_eras`` weeks. ``None`` when ``holdout_eras`` is 0.
    """
    if holdout_eras == 0 or len(eras) == 0:
        return None
    last = int(eras.max())
    first_test = last - holdout_eras + 1
    return _split(eras, first_test - embargo - 1, first_test, last)


def walk_forward(eras: IntArray, folds: int, embargo: int) -> list[Split]:
    """``folds`` consecutive test blocks after a first training-only block.

    The eras present are cut into ``folds + 1`` contiguous blocks of about equal size; fold k
    tests on block k and trains on every era more than ``embargo`` eras before it. Each row
    is tested exactly once outside the first block: out-of-fold predictions.
    """
    present = np.unique(eras)
    if folds < 1:
        return []
    if len(present) < folds + 1:
        raise ConfigError(
            f"'train.cv_folds' = {folds} needs at least {folds + 1} eras, the data has "
            f"{len(present)}"
        )
    blocks = np.array_split(present, folds + 1)
    return [_split(eras, int(b[0]) - embargo - 1, int(b[0]), int(b[-1])) for b in blocks[1:]]


__all__ = [
    "Split",
    "embargo_eras",
    "era_numbers",
    "holdout_split",
    "walk_forward",
]
