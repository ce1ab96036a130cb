"""Rows grouped by era, and the per-era transforms every metric is built from.

Numerai scores each era on its own. Looping over eras (a pandas groupby) costs a Python call
per era and metric; instead rows are sorted by era once (stably) and every per-era quantity
becomes a segment operation over the sorted rows: ``np.add.reduceat`` for sums, one sort on
(era, value) for ranks. That does all eras, and each prediction column, in a few numpy calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from numerpilot.errors import DataError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
ArrayT = TypeVar("ArrayT", bound=np.ndarray[Any, Any])


@dataclass(frozen=True, eq=False)
class Eras:
    """Which era each row is in, with the rows' stable sort order by era computed once.

    ``codes`` are per row in the caller's order. Segments are the eras present, in ascending
    code order: ``starts``/``counts`` index rows after sorting by ``order`` (``None`` when the
    rows are already grouped by ascending era, the usual case for Numerai's files).
    ``labels`` holds one label per segment (the era names when known, else the codes).
    """

    codes: NDArray[np.int64]
    order: IntArray | None
    starts: IntArray
    counts: IntArray
    segment_codes: NDArray[np.int64]
    labels: NDArray[np.object_]

    @classmethod
    def from_codes(cls, codes: ArrayLike, labels: ArrayLike | None = None) -> Eras:
        """Group rows by integer era ``codes``; ``labels[code]`` names an era (optional)."""
        code_arr = np.asarray(codes)
        if code_arr.ndim != 1:
            raise DataError(f"era codes must be one-dimensional, got shape {code_arr.shape}")
        if code_arr.size and not np.issubdtype(code_arr.dtype, np.integer):
            raise DataError(f"era codes must be integers, got {code_arr.dtype}")
        code_arr = code_arr.astype(np.int64, copy=False)
        order: IntArray | None = None
        if code_arr.size > 1 and bool(np.any(code_arr[1:] < code_arr[:-1])):
            order = np.argsort(code_arr, kind="stable")
        sorted_codes = code_arr if order is None else code_arr[order]
        if sorted_codes.size:
            boundary = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
            starts = np.concatenate(([0], boundary)).astype(np.intp)
        else:
            starts = np.zeros(0, dtype=np.intp)
        counts = np.diff(np.append(starts, sorted_codes.size)).astype(np.intp)
        segment_codes = sorted_codes[starts]
        if labels is None:
            seg_labels = segment_codes.astype(object)
        else:
            label_arr = np.asarray(labels, dtype=object)
            if segment_codes.size and (
                segment_codes.min() < 0 or segment_codes.max() >= label_arr.size
            ):
                raise DataError(
                    f"era codes run from {segment_codes.min()} to {segment_codes.max()} "
                    f"but only {label_arr.size} era labels were given"
                )
            seg_labels = label_arr[segment_codes]
        return cls(code_arr, order, starts, counts, segment_codes, seg_labels)

    @classmethod
    def from_labels(cls, labels: ArrayLike) -> Eras:
        """Group rows by era labels such as ``"0575"`` (sorted as the labels sort)."""
        unique, codes = np.unique(np.asarray(labels), return_inverse=True)
        return cls.from_codes(codes.reshape(-1), unique)

    @property
    def n_rows(self) -> int:
        return int(self.codes.size)

    @property
    def n_eras(self) -> int:
        return int(self.starts.size)

    def sort(self, values: ArrayT) -> ArrayT:
        """``values`` (rows first) in era order; no copy when rows are already grouped."""
        return values if self.order is None else values[self.order]  # type: ignore[return-value]

    def unsort(self, values: ArrayT) -> ArrayT:
        """Inverse of :meth:`sort`: rows back in the caller's order."""
        if self.order is None:
            return values
        out: ArrayT = np.empty_like(values)
        out[self.order] = values
        return out

    def sorted_view(self) -> Eras:
        """The same eras for rows already put in era order by :meth:`sort`."""
        if self.order is None:
            return self
        codes = np.repeat(self.segment_codes, self.counts)
        return Eras(codes, None, self.starts, self.counts, self.segment_codes, self.labels)

    def segment_of_sorted_rows(self) -> IntArray:
        """The segment number of each row in era order."""
        return np.repeat(np.arange(self.n_eras, dtype=np.intp), self.counts)

    def select(self, mask: NDArray[np.bool_]) -> Eras:
        """The rows where ``mask`` holds (in the caller's order); eras left empty vanish."""
        labels = dict(zip(self.segment_codes.tolist(), self.labels.tolist(), strict=True))
        sub = Eras.from_codes(self.codes[mask])
        sub_labels = np.array([labels[c] for c in sub.segment_codes.tolist()], dtype=object)
        return Eras(sub.codes, sub.order, sub.starts, sub.counts, sub.segment_codes, sub_labels)

    def positions_in(self, parent: Eras) -> IntArray:
        """Where each of this grouping's eras sits among ``parent``'s eras."""
        return np.searchsorted(parent.segment_codes, self.segment_codes).astype(np.intp)

    def require_min_rows(self, minimum: int = 2) -> None:
        """Per-era correlation needs two rows; a lone row usually means a broken era column."""
        small = np.flatnonzero(self.counts < minimum)
        if small.size:
            first = small[0]
            raise DataError(
                f"era {self.labels[first]} has {self.counts[first]} row(s); per-era scores "
                f"need at least {minimum} ({small.size} era(s) affected)",
                column="era",
            )


def as_eras(eras: Eras | ArrayLike) -> Eras:
    """Accept a prepared :class:`Eras` or anything per row: integer codes or era labels."""
    if isinstance(eras, Eras):
        return eras
    arr = np.asarray(eras)
    if np.issubdtype(arr.dtype, np.integer):
        return Eras.from_codes(arr)
    return Eras.from_labels(arr)


def segment_sum(values: FloatArray, eras: Eras) -> FloatArray:
    """Per-era sums of era-sorted ``values`` (rows first); shape ``(n_eras, *rest)``."""
    if eras.n_eras == 0:
        return np.zeros((0, *values.shape[1:]))
    return np.add.reduceat(values, eras.starts, axis=0)


def segment_mean(values: FloatArray, eras: Eras) -> FloatArray:
    sums = segment_sum(values, eras)
    counts = eras.counts.reshape((-1,) + (1,) * (values.ndim - 1))
    return sums / counts


def segment_center(values: FloatArray, eras: Eras) -> FloatArray:
    """Era-sorted ``values`` minus their era mean."""
    return values - np.repeat(segment_mean(values, eras), eras.counts, axis=0)


def segment_pearson(x: FloatArray, y: FloatArray, eras: Eras) -> FloatArray:
    """Pearson correlation per era of each column of era-sorted ``x`` (n, k) with ``y`` (n,).

    A constant column in an era gives NaN there, as ``np.corrcoef`` does (without its warning).
    """
    xc = segment_center(x, eras)
    yc = segment_center(y, eras)
    sxy = segment_sum(xc * yc[:, None], eras)
    sxx = segment_sum(xc * xc, eras)
    syy = segment_sum(yc * yc, eras)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = sxy / np.sqrt(sxx * syy[:, None])
    clipped: FloatArray = np.clip(corr, -1.0, 1.0)
    return clipped


def segment_sort_order(values: FloatArray, eras: Eras, *, stable: bool = True) -> IntArray:
    """Permutation of era-sorted ``values`` ordering them by (era, value).

    With ``stable``, ties keep their row order (numerai-tools' top/bottom selection needs
    that); ranking does not care. Each era's rows are contiguous, so each is sorted on its
    own: a loop of numpy sorts over cache-sized slices. Measured on 4.1M rows in 660 eras,
    that takes 0.1-0.3 s against 1.5-2.3 s for ``np.lexsort`` on (value, era) and 0.5-0.9 s
    for a global argsort followed by a stable radix sort on the era.
    """
    kind: Literal["stable", "quicksort"] = "stable" if stable else "quicksort"
    order = np.empty(values.size, dtype=np.intp)
    for start, count in zip(eras.starts.tolist(), eras.counts.tolist(), strict=True):
        stop = start + count
        order[start:stop] = np.argsort(values[start:stop], kind=kind)
        order[start:stop] += start
    return order


def tie_kept_rank(values: FloatArray, eras: Eras) -> FloatArray:
    """Per-era percentile rank of era-sorted ``values`` (n,) with ties averaged.

    Equals numerai-tools' ``tie_kept_rank``: ``(rank(method="average") - 0.5) / count``.
    A NaN (numerai-tools drops those rows first) ranks after every number, NaNs in row order.
    """
    n = values.size
    # Ties get one rank whatever their order; NaNs are not ties, so their order must be fixed.
    order = segment_sort_order(values, eras, stable=bool(np.isnan(values).any()))
    sorted_values = values[order]
    segment = eras.segment_of_sorted_rows()
    new_group = np.ones(n, dtype=bool)
    if n > 1:
        new_group[1:] = sorted_values[1:] != sorted_values[:-1]
        # A segment boundary starts a new tie group even if the values happen to be equal.
        new_group[eras.starts] = True
    group_start = np.flatnonzero(new_group)
    group_len = np.diff(np.append(group_start, n))
    start_in_era = group_start - eras.starts[segment[group_start]]
    # 1-based ranks first..last of a tie group average to their midpoint, exactly.
    average = start_in_era + (group_len - 1) / 2.0 + 1.0
    ranks = np.empty(n)
    ranks[order] = (np.repeat(average, group_len) - 0.5) / eras.counts[segment]
    return ranks


def tie_kept_rank_per_era(values: ArrayLike, eras: Eras | ArrayLike) -> FloatArray:
    """:func:`tie_kept_rank` of ``values`` (n,) in any row order, returned in that order.

    NaN ranks after every number, each NaN on its own. The one per-era ranking of the house:
    the ensemble ranks with it, and the hosted pickle's copy
    (``runtime/predictor_source.py``) is held to it by a parity test.
    """
    era_index = as_eras(eras)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (era_index.n_rows,):
        raise DataError(f"values have shape {v.shape} but the eras cover {era_index.n_rows} rows")
    return era_index.unsort(tie_kept_rank(era_index.sort(v), era_index.sorted_view()))


def gaussianize(ranks: FloatArray) -> FloatArray:
    """The normal quantile of percentile ranks (``scipy.stats.norm.ppf`` is ``ndtri``)."""
    return np.asarray(ndtri(ranks), dtype=np.float64)


def pow_1_5(values: FloatArray) -> FloatArray:
    """Signed power 1.5: ``sign(x) * |x| ** 1.5``, as numerai-tools applies it."""
    return np.sign(values) * np.abs(values) ** 1.5


def rank_gaussianize(values: FloatArray, eras: Eras) -> FloatArray:
    """Per-era tie-kept rank then gaussianise each column of era-sorted ``values`` (n, k)."""
    out = np.empty(values.shape)
    for j in range(values.shape[1]):
        out[:, j] = gaussianize(tie_kept_rank(np.ascontiguousarray(values[:, j]), eras))
    return out


__all__ = [
    "Eras",
    "as_eras",
    "gaussianize",
    "pow_1_5",
    "rank_gaussianize",
    "segment_center",
    "segment_mean",
    "segment_pearson",
    "segment_sort_order",
    "segment_sum",
    "tie_kept_rank",
    "tie_kept_rank_per_era",
]
