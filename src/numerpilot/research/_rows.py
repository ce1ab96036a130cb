"""A worker's training rows, read once.

A trial's walk-forward folds read the same eras again and again (each fold's bin sample, its
training eras and its test eras), and the trials of a grid over LightGBM parameters all read
the same rows: on the small world that was about a quarter of a trial's time. So a worker
reads a trial's eras once, keeps them while the memory plan allows, and hands every fold,
and the next trial on the same data, slices of what it holds. One entry per worker process:
a trial on other data replaces it (the old rows are dropped before the new ones are read).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from numerpilot.data.dataset import Dataset
from numerpilot.data.load import estimate_bytes
from numerpilot.models.rows import EraIndex, TrainingFile

Key = tuple[object, ...]
_held: list[tuple[Key, Dataset]] = []  # this process's rows: at most one entry


def _key(file: TrainingFile, eras: npt.NDArray[np.str_]) -> Key:
    extra = getattr(file, "source_key", None)  # e.g. the benchmark file joined in
    return (type(file).__name__, str(file.path), tuple(file.features), tuple(file.targets),
            extra, tuple(eras.tolist()))  # fmt: skip


def _rows(file: TrainingFile, eras: npt.NDArray[np.str_]) -> Dataset:
    key = _key(file, eras)
    if _held and _held[0][0] == key:
        return _held[0][1]
    _held.clear()  # the old rows go before the new ones are read
    rows = file.load(eras)
    _held.append((key, rows))
    return rows


class HeldRows(TrainingFile):
    """``file`` whose ``eras`` are read once per worker; loads of them are slices."""

    def __init__(self, file: TrainingFile, eras: npt.NDArray[np.str_]):
        super().__init__(file.path, file.features, file.targets, file.budget)
        self.file = file
        self.eras = eras

    def index(self, era_step: int) -> EraIndex:
        return self.file.index(era_step)

    def load(self, eras: npt.NDArray[np.str_]) -> Dataset:
        if not np.isin(eras, self.eras).all():
            return self.file.load(eras)
        return _rows(self.file, self.eras).select_eras(eras)


def held_if_it_fits(file: TrainingFile, index: EraIndex) -> TrainingFile:
    """``file`` with ``index``'s eras held in memory, if they fit the budget beside the
    largest fit's plan (binning every era of ``index``); else ``file`` itself, streamed."""
    rows = index.rows_of(index.labels)
    held = estimate_bytes(rows, len(file.features), len(file.targets))
    fit = file.plan_bytes(index, index.labels, np.array([], dtype=str))
    if held + fit > file.budget:
        _held.clear()
        return file
    return HeldRows(file, index.labels)


__all__ = ["HeldRows", "held_if_it_fits"]
