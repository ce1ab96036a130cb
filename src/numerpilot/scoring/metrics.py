"""Numerai's per-era metrics, all eras and prediction columns at once.

Each function mirrors its namesake in numerai-tools (``numerai_tools/scoring.py``) applied era
by era, and matches it to floating-point rounding; the parity tests hold them to 1e-9.
Inputs are arrays per row in any order, plus the era of each row (an :class:`Eras` or codes);
results are one row per era, in ascending era order (``Eras.labels``), one column per
prediction column. A 1-D prediction array gives a 1-D result.

Where numerai-tools drops rows (a NaN target, a NaN meta model value) it does so before ranking,
so the ranks are among the rows actually scored; the same happens here. An era left with no
scored rows (a ``test`` era without targets) scores NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from numerpilot.errors import DataError
from numerpilot.scoring.eras import (
    Eras,
    FloatArray,
    IntArray,
    as_eras,
    gaussianize,
    pow_1_5,
    rank_gaussianize,
    segment_center,
    segment_pearson,
    segment_sort_order,
    segment_sum,
    tie_kept_rank,
)


def as_prediction_matrix(predictions: ArrayLike, n_rows: int | None = None) -> FloatArray:
    """Predictions as float64 (n, k); NaN or a wrong row count is a :class:`DataError`."""
    arr = np.asarray(predictions, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"predictions must be one column or a matrix, got shape {arr.shape}")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise DataError(f"predictions have {arr.shape[0]} rows but the eras cover {n_rows}")
    bad = np.isnan(arr)
    if bad.any():
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        raise DataError(
            f"predictions column {col} has {int(bad[:, col].sum())} NaN value(s); "
            "every row needs a prediction"
        )
    return arr


def _as_vector(values: ArrayLike, n_rows: int, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        raise DataError(f"{what} has shape {arr.shape} but the eras cover {n_rows} rows")
    return arr


def _prepare(predictions: ArrayLike, eras: Eras | ArrayLike) -> tuple[FloatArray, Eras, bool]:
    era_index = as_eras(eras)
    era_index.require_min_rows(2)
    matrix = as_prediction_matrix(predictions, era_index.n_rows)
    return matrix, era_index, np.ndim(predictions) == 1


def _spread(values: FloatArray, sub: Eras, parent: Eras) -> FloatArray:
    """Per-era ``values`` of the eras in ``sub`` placed among all of ``parent``'s eras."""
    out = np.full((parent.n_eras, *values.shape[1:]), np.nan)
    out[sub.positions_in(parent)] = values
    return out


def _finish(values: FloatArray, one_column: bool) -> FloatArray:
    return values[:, 0] if one_column else values


def _top_bottom_rows(order: IntArray, eras: Eras, top_bottom: int) -> NDArray[np.bool_]:
    """Mask of era-sorted rows among the ``top_bottom`` lowest or highest of their era.

    ``order`` sorts the rows by (era, value) with ties by position, as numerai-tools'
    stable argsort does (it sorts rows by id first, so pass rows in id order within an era
    for the same tie-breaking). If an era has fewer than ``2 * top_bottom`` rows, all count.
    """
    position = np.arange(order.size) - np.repeat(eras.starts, eras.counts)
    count = np.repeat(eras.counts, eras.counts)
    chosen = (position < top_bottom) | (position >= count - top_bottom)
    mask = np.empty(order.size, dtype=bool)
    mask[order] = chosen
    return mask


def _numerai_corr_sorted(
    preds: FloatArray,
    target: FloatArray,
    eras: Eras,
    top_bottom: int | None,
    target_pow15: bool,
) -> FloatArray:
    """numerai_corr on era-sorted rows (``eras`` is a sorted view); NaN targets dropped."""
    keep = ~np.isnan(target)
    sub = eras if keep.all() else eras.select(keep)
    p = preds[keep] if not keep.all() else preds
    t = segment_center(target[keep], sub)
    if target_pow15:
        t = pow_1_5(t)
    scores = np.empty((sub.n_eras, p.shape[1]))
    for j in range(p.shape[1]):
        column = np.ascontiguousarray(p[:, j])
        g = pow_1_5(gaussianize(tie_kept_rank(column, sub)))
        if top_bottom:
            rows = _top_bottom_rows(segment_sort_order(column, sub), sub, top_bottom)
            chosen = sub.select(rows)
            scores[:, j] = _spread(
                segment_pearson(g[rows][:, None], t[rows], chosen)[:, 0], chosen, sub
            )
        else:
            scores[:, j] = segment_pearson(g[:, None], t, sub)[:, 0]
    return _spread(scores, sub, eras)


def numerai_corr(
    predictions: ArrayLike,
    target: ArrayLike,
    eras: Eras | ArrayLike,
    *,
    top_bottom: int | None = None,
    target_pow15: bool = True,
) -> FloatArray:
    """Numerai's CORR per era: centred target, tie-kept rank, gaussianise, power 1.5 both sides.

    ``top_bottom``: score only each era's ``top_bottom`` highest and lowest predictions.
    """
    matrix, era_index, one = _prepare(predictions, eras)
    t = _as_vector(target, era_index.n_rows, "target")
    view = era_index.sorted_view()
    scores = _numerai_corr_sorted(
        era_index.sort(matrix), era_index.sort(t), view, top_bottom, target_pow15
    )
    return _finish(scores, one)


def _scaled_centred_target(target: FloatArray, eras: Eras) -> FloatArray:
    """numerai-tools' contribution target: times 4 when within [0, 1], then centred, per era."""
    low = np.minimum.reduceat(target, eras.starts) if eras.n_eras else np.zeros(0)
    high = np.maximum.reduceat(target, eras.starts) if eras.n_eras else np.zeros(0)
    unit = np.repeat((low >= 0) & (high <= 1), eras.counts)
    return segment_center(np.where(unit, target * 4, target), eras)


def correlation_contribution(
    predictions: ArrayLike,
    meta_model: ArrayLike,
    target: ArrayLike,
    eras: Eras | ArrayLike,
    *,
    top_bottom: int | None = None,
) -> FloatArray:
    """MMC (against the meta model) or BMC (against a benchmark) per era.

    Predictions and the meta model are ranked and gaussianised per era, the predictions
    orthogonalised to the meta model, and their covariance with the (scaled, centred) target
    taken. Rows where the target or the meta model is NaN are not scored.
    """
    matrix, era_index, one = _prepare(predictions, eras)
    n = era_index.n_rows
    t = era_index.sort(_as_vector(target, n, "target"))
    m = era_index.sort(_as_vector(meta_model, n, "meta model"))
    p = era_index.sort(matrix)
    view = era_index.sorted_view()
    keep = ~np.isnan(t) & ~np.isnan(m)
    sub = view if keep.all() else view.select(keep)
    if not keep.all():
        p, m, t = p[keep], m[keep], t[keep]
    g = rank_gaussianize(p, sub)
    gm = gaussianize(tie_kept_rank(m, sub))
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = segment_sum(g * gm[:, None], sub) / segment_sum(gm * gm, sub)[:, None]
    neutral = g - gm[:, None] * np.repeat(beta, sub.counts, axis=0)
    tc = _scaled_centred_target(t, sub)
    scores: FloatArray
    if top_bottom:
        scores = np.empty((sub.n_eras, g.shape[1]))
        for j in range(g.shape[1]):
            column = np.ascontiguousarray(neutral[:, j])
            rows = _top_bottom_rows(segment_sort_order(column, sub), sub, top_bottom)
            picked = np.where(rows, tc * column, 0.0)
            scores[:, j] = segment_sum(picked, sub) / (2 * top_bottom)
    else:
        scores = segment_sum(tc[:, None] * neutral, sub) / sub.counts[:, None]
    return _finish(_spread(scores, sub, view), one)


def rank_correlation(
    predictions: ArrayLike, other: ArrayLike, eras: Eras | ArrayLike
) -> FloatArray:
    """Spearman correlation per era of each prediction column with ``other`` (e.g. a benchmark).

    Rows where ``other`` is NaN are left out before ranking.
    """
    matrix, era_index, one = _prepare(predictions, eras)
    o = era_index.sort(_as_vector(other, era_index.n_rows, "comparison column"))
    p = era_index.sort(matrix)
    view = era_index.sorted_view()
    keep = ~np.isnan(o)
    sub = view if keep.all() else view.select(keep)
    if not keep.all():
        p, o = p[keep], o[keep]
    ranks = np.column_stack([tie_kept_rank(np.ascontiguousarray(c), sub) for c in p.T])
    scores = segment_pearson(ranks, tie_kept_rank(o, sub), sub)
    return _finish(_spread(scores, sub, view), one)


def churn(
    previous: pd.Series,
    current: pd.Series,
    *,
    top_bottom: int | None = None,
    max_filtered_ratio: float = 0.2,
) -> float:
    """How much a ranking changed between two rounds: 1 - Spearman correlation on shared ids.

    As ``numerai_tools.signals.churn``; with ``top_bottom``, 1 - the mean share of ids that
    stay among the top and among the bottom ``top_bottom``. Numerai applies it to Signals,
    whose tickers persist from week to week. Classic ids are new every era, live ones
    included, so on Classic data it only compares prediction sets over the same era's ids.
    """
    a = previous.astype(np.float64).dropna()
    b = current.astype(np.float64).dropna()
    if top_bottom:

        def ends(s: pd.Series) -> tuple[set[object], set[object]]:
            order = np.argsort(s.to_numpy(), kind="stable")
            return set(s.index[order[-top_bottom:]]), set(s.index[order[:top_bottom]])

        (a_top, a_bottom), (b_top, b_bottom) = ends(a), ends(b)
        overlap = (len(a_top & b_top) + len(a_bottom & b_bottom)) / (2 * top_bottom)
        return 1.0 - overlap
    shared = a.index.intersection(b.index)
    for name, s in (("previous", a), ("current", b)):
        if len(s) == 0 or len(shared) / len(s) < 1 - max_filtered_ratio:
            raise DataError(
                f"churn: only {len(shared)} of {len(s)} {name} ids are shared; "
                f"at least {1 - max_filtered_ratio:.0%} must overlap"
            )
    x = np.asarray(a.loc[shared], dtype=np.float64)
    y = np.asarray(b.loc[shared], dtype=np.float64)
    if x.std() == 0 or y.std() == 0:
        raise DataError("churn: a constant ranking has no churn; predictions must vary")
    one = Eras.from_codes(np.zeros(x.size, dtype=np.int64))
    rho = segment_pearson(tie_kept_rank(x, one)[:, None], tie_kept_rank(y, one), one)
    return float(1.0 - rho[0, 0])


__all__ = [
    "as_prediction_matrix",
    "churn",
    "correlation_contribution",
    "numerai_corr",
    "rank_correlation",
]
