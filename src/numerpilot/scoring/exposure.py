"""Metrics against the features: exposure, neutralisation, feature-neutral correlation.

Features arrive as the int8 (n, f) matrix ``numerpilot.data.load`` produces, several GB for the
full validation set. Nothing here copies it whole: each era's rows are read in blocks of
``BLOCK_ROWS`` rows, converted to float64 in a buffer that stays in the CPU cache, and
multiplied there (measured: as fast as float32, and exact to float64 rounding). Extra memory
is a few MB whatever the input size.

Those products are small (256 rows by a few columns), too small for BLAS threads to pay: on a
busy two-core machine they made the exposure pass 10x slower, so it runs on one BLAS thread.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from numerpilot.errors import DataError
from numerpilot.scoring.eras import Eras, FloatArray, as_eras, rank_gaussianize, segment_center
from numerpilot.scoring.metrics import _numerai_corr_sorted, _prepare

BLOCK_ROWS = 256
GEMV_COLUMNS = 8

Progress = Callable[[int, int], None]
"""Called with (eras done, eras in all) as a long computation goes."""


def _check_features(features: NDArray[np.generic], n_rows: int) -> None:
    if features.ndim != 2 or features.shape[1] == 0:
        raise DataError(f"features must be a (rows, features) matrix, got shape {features.shape}")
    if features.shape[0] != n_rows:
        raise DataError(f"features have {features.shape[0]} rows but the eras cover {n_rows}")
    if np.issubdtype(features.dtype, np.floating) and np.isnan(features).any():
        raise DataError("features contain NaN; v5 features never do (fill or drop the column)")


class _FeatureRows:
    """Reads one era's feature rows in blocks, without copying the matrix as a whole.

    ``feature_rows`` maps each scored row to its row of ``features`` (scoring a subset of a
    loaded dataset, e.g. without its test eras). Eras whose rows are consecutive in
    ``features`` (the usual case) are read as views.
    """

    def __init__(
        self,
        features: NDArray[np.generic],
        eras: Eras,
        feature_rows: ArrayLike | None,
    ):
        if feature_rows is None:
            _check_features(features, eras.n_rows)
            mapping = None
        else:
            mapping = np.asarray(feature_rows, dtype=np.intp)
            if mapping.shape != (eras.n_rows,):
                raise DataError(
                    f"feature_rows has shape {mapping.shape} but the eras cover {eras.n_rows} rows"
                )
            _check_features(features, features.shape[0])
            if mapping.size and (mapping.min() < 0 or mapping.max() >= features.shape[0]):
                raise DataError("feature_rows points outside the feature matrix")
        if mapping is None and eras.order is None:
            self.rows: NDArray[np.intp] | None = None
            self.contiguous: NDArray[np.bool_] = np.ones(eras.n_eras, dtype=bool)
        else:
            base = np.arange(eras.n_rows, dtype=np.intp) if mapping is None else mapping
            self.rows = eras.sort(base)
            step_one = np.append(np.diff(self.rows) == 1, True)
            # An era is one slice when every step inside it is +1 (its last step is ignored).
            last = eras.starts + eras.counts - 1
            step_one[last] = True
            self.contiguous = (
                np.logical_and.reduceat(step_one, eras.starts)
                if eras.n_eras
                else np.ones(0, dtype=bool)
            )
        self.features = features
        self.eras = eras

    def block(self, era: int, lo: int, hi: int) -> NDArray[np.generic]:
        """Rows ``lo:hi`` (in era order) of era ``era``."""
        start = int(self.eras.starts[era])
        if self.rows is None:
            return self.features[start + lo : start + hi]
        if self.contiguous[era]:
            first = int(self.rows[start + lo])
            return self.features[first : first + hi - lo]
        return self.features[self.rows[start + lo : start + hi]]


def feature_exposures(
    predictions: ArrayLike,
    features: NDArray[np.generic],
    eras: Eras | ArrayLike,
    *,
    feature_rows: ArrayLike | None = None,
    progress: Progress | None = None,
) -> FloatArray:
    """Pearson correlation per era of each prediction column with each feature: (eras, k, f).

    A feature constant within an era (for instance one missing there, set to 2) gives NaN,
    as in numerai-tools' ``max_feature_correlation`` which then skips it. ``feature_rows``
    (optional) gives the row of ``features`` for each prediction row.
    """
    matrix, era_index, _ = _prepare(predictions, eras)
    reader = _FeatureRows(features, era_index, feature_rows)
    ordered = era_index.sort(matrix)
    preds = segment_center(ordered, era_index.sorted_view())
    out = np.empty((era_index.n_eras, matrix.shape[1], features.shape[1]))
    with threadpool_limits(limits=1, user_api="blas"):
        _exposure_pass(reader, preds, out, progress)
    # Predictions constant in an era are exposed to nothing (numerai-tools gives ~0); their
    # centring leaves a rounding residue whose correlation would read as +-1.
    out[_constant_in_era(ordered, era_index.starts)] = 0.0
    return out


def _constant_in_era(ordered: FloatArray, starts: NDArray[np.intp]) -> NDArray[np.bool_]:
    """(eras, k): whether prediction column k takes a single value in the era."""
    at = np.asarray(starts, dtype=np.intp)
    if at.size == 0:
        return np.zeros((0, ordered.shape[1]), dtype=bool)
    return np.asarray(
        np.maximum.reduceat(ordered, at, axis=0) == np.minimum.reduceat(ordered, at, axis=0)
    )


def _exposure_pass(
    reader: _FeatureRows, preds: FloatArray, out: FloatArray, progress: Progress | None
) -> None:
    eras = reader.eras
    k, f = preds.shape[1], reader.features.shape[1]
    buffer = np.empty((BLOCK_ROWS, f))
    ones = np.ones(BLOCK_ROWS)
    for era in range(eras.n_eras):
        start, count = int(eras.starts[era]), int(eras.counts[era])
        sum_x, sum_xx, sum_xp = np.zeros(f), np.zeros(f), np.zeros((k, f))
        for lo in range(0, count, BLOCK_ROWS):
            hi = min(lo + BLOCK_ROWS, count)
            block = buffer[: hi - lo]
            np.copyto(block, reader.block(era, lo, hi), casting="unsafe")
            p = preds[start + lo : start + hi]
            # Matrix-vector products: OpenBLAS multiplies a block by one vector several times
            # faster than by a thin (rows, 2) matrix; a matrix pays only for many columns.
            if k <= GEMV_COLUMNS:
                for j in range(k):
                    sum_xp[j] += p[:, j] @ block
            else:
                sum_xp += p.T @ block
            sum_x += ones[: hi - lo] @ block
            sum_xx += np.einsum("ij,ij->j", block, block)
        # For integer features both sums are exact, so a constant feature gets exactly 0.
        sxx = sum_xx - sum_x**2 / count
        spp = np.sum(preds[start : start + count] ** 2, axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = sum_xp / np.sqrt(np.outer(spp, np.where(sxx > 0, sxx, np.nan)))
        out[era] = np.clip(corr, -1.0, 1.0)
        if progress is not None:
            progress(era + 1, eras.n_eras)


def max_feature_exposure(
    predictions: ArrayLike,
    features: NDArray[np.generic],
    eras: Eras | ArrayLike,
    *,
    feature_rows: ArrayLike | None = None,
    progress: Progress | None = None,
) -> FloatArray:
    """Per era, the largest absolute correlation of the predictions with any feature."""
    exposures = feature_exposures(
        predictions, features, eras, feature_rows=feature_rows, progress=progress
    )
    result = max_abs(exposures)
    return result[:, 0] if np.ndim(predictions) == 1 else result


def max_abs(exposures: FloatArray) -> FloatArray:
    """Largest |value| over the last axis, skipping NaN; NaN where all are NaN."""
    magnitude = np.where(np.isnan(exposures), -np.inf, np.abs(exposures))
    best = magnitude.max(axis=-1)
    return np.where(np.isneginf(best), np.nan, best)


def _neutralize_sorted(
    values: FloatArray,
    reader: _FeatureRows,
    proportion: float,
    progress: Progress | None,
    *,
    variance_normalize: bool = False,
    blank_constant: bool = True,
) -> FloatArray:
    """numerai-tools' ``neutralize`` per era on era-sorted ``values``: least squares on the
    features plus a constant (``rcond=1e-6``), minus ``proportion`` of the fit; then, if
    asked, divided by the era's standard deviation (ddof 0). The one neutralisation of the
    house (the hosted pickle keeps a copy, held to it by a parity test)."""
    eras = reader.eras
    out = np.empty_like(values)
    for era in range(eras.n_eras):
        start, count = int(eras.starts[era]), int(eras.counts[era])
        v = values[start : start + count]
        design = np.empty((count, reader.features.shape[1] + 1))
        design[:, :-1] = reader.block(era, 0, count)
        design[:, -1] = 1.0
        fit = design @ np.linalg.lstsq(design, v, rcond=1e-6)[0]
        result = v - proportion * fit
        if blank_constant:
            # numerai-tools blanks columns without variance before fitting: they stay NaN.
            result[:, np.std(v, axis=0) == 0] = np.nan
        if variance_normalize:
            # No effect on the ranks FNC takes next, except in the last bit: the division can
            # make two nearly equal values equal, so do it exactly as numerai-tools does.
            with np.errstate(invalid="ignore", divide="ignore"):
                result = result / np.std(result, axis=0)
        out[start : start + count] = result
        if progress is not None:
            progress(era + 1, eras.n_eras)
    return out


def neutralize(
    values: ArrayLike,
    neutralizers: NDArray[np.generic],
    eras: Eras | ArrayLike,
    *,
    proportion: float = 1.0,
    feature_rows: ArrayLike | None = None,
    progress: Progress | None = None,
) -> FloatArray:
    """Remove ``proportion`` of each column's linear exposure to ``neutralizers``, per era.

    Returns the neutralised values per row in the caller's row order, shape as ``values``.
    """
    if not 0.0 <= proportion <= 1.0:
        raise DataError(f"neutralisation proportion must be within [0, 1], got {proportion}")
    matrix, era_index, one = _prepare(values, eras)
    reader = _FeatureRows(neutralizers, era_index, feature_rows)
    result = _neutralize_sorted(era_index.sort(matrix), reader, proportion, progress)
    unsorted = era_index.unsort(result)
    return unsorted[:, 0] if one else unsorted


def neutralize_per_era(
    values: ArrayLike,
    features: NDArray[np.generic],
    eras: Eras | ArrayLike,
    proportion: float,
) -> FloatArray:
    """Subtract ``proportion`` of each era's least-squares fit of ``values`` (n,) on the
    features plus a constant, in the caller's row order: a model's own neutralisation.

    Unlike :func:`neutralize` it keeps an era whose values are constant (a one-row live era)
    and accepts eras of any size, so every row of a live file gets a prediction.
    """
    era_index = as_eras(eras)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (era_index.n_rows,):
        raise DataError(f"values have shape {v.shape} but the eras cover {era_index.n_rows} rows")
    reader = _FeatureRows(features, era_index, None)
    # One column as an (n, 1) matrix: numpy solves and multiplies it exactly as a vector.
    result = _neutralize_sorted(
        era_index.sort(v[:, None]), reader, proportion, None, blank_constant=False
    )
    return era_index.unsort(result)[:, 0]


def feature_neutral_corr(
    predictions: ArrayLike,
    features: NDArray[np.generic],
    target: ArrayLike,
    eras: Eras | ArrayLike,
    *,
    top_bottom: int | None = None,
    feature_rows: ArrayLike | None = None,
    progress: Progress | None = None,
) -> FloatArray:
    """FNC per era: numerai_corr of the predictions fully neutralised to the features.

    As numerai-tools: rank and gaussianise over all of the era's rows, neutralise, then
    numerai_corr (which drops NaN targets and ranks again). Least squares per era on every
    feature: expensive on the full validation set (about half a second per era for 780).
    """
    matrix, era_index, one = _prepare(predictions, eras)
    reader = _FeatureRows(features, era_index, feature_rows)
    t = np.asarray(target, dtype=np.float64)
    if t.shape != (era_index.n_rows,):
        raise DataError(f"target has shape {t.shape} but the eras cover {era_index.n_rows} rows")
    view = era_index.sorted_view()
    gauss = rank_gaussianize(era_index.sort(matrix), view)
    neutral = _neutralize_sorted(gauss, reader, 1.0, progress, variance_normalize=True)
    sorted_target = era_index.sort(t)
    scores = np.full((era_index.n_eras, matrix.shape[1]), np.nan)
    # Columns blanked as constant in an era cannot be scored there; the others can.
    blank = np.isnan(neutral[era_index.starts])
    for j in range(matrix.shape[1]):
        eras_ok = ~blank[:, j]
        if not eras_ok.any():
            continue
        rows = np.repeat(eras_ok, era_index.counts)
        sub = view.select(rows)
        corr = _numerai_corr_sorted(
            neutral[rows, j : j + 1], sorted_target[rows], sub, top_bottom, True
        )
        scores[sub.positions_in(view), j] = corr[:, 0]
    return scores[:, 0] if one else scores


__all__ = [
    "BLOCK_ROWS",
    "Progress",
    "feature_exposures",
    "feature_neutral_corr",
    "max_abs",
    "max_feature_exposure",
    "neutralize",
    "neutralize_per_era",
]
