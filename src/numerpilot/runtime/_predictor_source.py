"""The prediction code of a portable model pickle, kept as SOURCE TEXT inside the pickle.

This module is never imported from a pickle. ``_builder.py`` compiles its text in a runtime
image's environment, calls ``build(payload)`` and pickles the resulting function by value
(the default pickle); ``_portable.py`` stores the text itself, compiled when the pickle loads
(the no-bytecode form). Either way the pickle needs nothing from numerpilot at load time: only
numpy, pandas and lightgbm, which every Numerai runtime image has.

Rules for this file: import only numpy, pandas and lightgbm; use only their long-stable APIs
(they differ between runtime images); define ``build``. The arithmetic mirrors
``numerpilot.models.ensemble.predict_frame`` operation for operation (seeds averaged per target,
``(rank - 0.5) / n`` per era, weighted mean, rank again, optional neutralisation and a final
rank), so the pickle's output equals in-process prediction exactly; a test holds them together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

# Imported by name: when a function that reads ``np.linalg`` is pickled by value, every loaded
# ``numpy.*.linalg`` module is stored with it, among them numpy 2's deprecated
# ``numpy.linalg.linalg``, whose import warns at load time.
from numpy.linalg import lstsq

if TYPE_CHECKING:  # annotations only: they stay strings, and numpy.typing varies by image
    from numpy.typing import NDArray

FORMAT = 1


def era_codes(eras: NDArray[Any]) -> NDArray[np.intp]:
    _, inverse = np.unique(np.asarray(eras), return_inverse=True)
    codes: NDArray[np.intp] = inverse.reshape(-1).astype(np.intp)
    return codes


def rank_per_era(values: NDArray[np.float64], codes: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per era: average rank of ties, as ``(rank - 0.5) / n``."""
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.float64)
    order = np.lexsort((values, codes))
    v, c = values[order], codes[order]
    new_era = np.ones(n, dtype=bool)
    new_era[1:] = c[1:] != c[:-1]
    new_tie = new_era.copy()
    new_tie[1:] |= v[1:] != v[:-1]
    era_start = np.flatnonzero(new_era)
    era_size = np.diff(np.append(era_start, n))
    era_of_row = np.cumsum(new_era) - 1
    tie_start = np.flatnonzero(new_tie)
    tie_end = np.append(tie_start[1:], n)
    tie_of_row = np.cumsum(new_tie) - 1
    mean_pos = (tie_start + tie_end - 1)[tie_of_row] / 2.0 - era_start[era_of_row]
    ranked = np.empty(n, dtype=np.float64)
    ranked[order] = (mean_pos + 0.5) / era_size[era_of_row]
    return ranked


def neutralize_per_era(
    values: NDArray[np.float64],
    features: NDArray[Any],
    codes: NDArray[np.intp],
    proportion: float,
) -> NDArray[np.float64]:
    """Subtract ``proportion`` of each era's least-squares fit on the features (plus a
    constant), as numerai-tools' ``neutralize`` does."""
    out = np.empty_like(values)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for rows in np.split(order, bounds):
        x = np.hstack([features[rows].astype(np.float64), np.ones((len(rows), 1))])
        y = values[rows]
        fit = x @ lstsq(x, y, rcond=1e-6)[0]
        out[rows] = y - proportion * fit
    return out


def ensemble_predict(
    boosters: list[tuple[str, Any]],
    weights: dict[str, float],
    proportion: float,
    x: NDArray[Any],
    eras: NDArray[Any],
) -> NDArray[np.float64]:
    codes = era_codes(eras)
    targets = list(dict.fromkeys(t for t, _ in boosters))
    sums = np.zeros((x.shape[0], len(targets)), dtype=np.float64)
    counts = np.zeros(len(targets))
    for target, booster in boosters:
        j = targets.index(target)
        sums[:, j] += booster.predict(x)
        counts[j] += 1
    raw = sums / counts
    w = np.asarray([weights[t] for t in targets], dtype=np.float64)
    mean = np.zeros(x.shape[0], dtype=np.float64)
    for j in range(raw.shape[1]):
        mean += w[j] * rank_per_era(raw[:, j], codes)
    result = rank_per_era(mean / w.sum(), codes)
    if proportion > 0:
        result = rank_per_era(neutralize_per_era(result, x, codes, proportion), codes)
    return result


def build(payload: dict[str, Any]) -> Any:
    """The ``predict(live_features, live_benchmark_models)`` function Numerai's runtime calls."""
    if payload.get("format") != FORMAT:
        raise ValueError(f"model payload format {payload.get('format')!r}; expected {FORMAT}")
    features = [str(f) for f in payload["features"]]
    boosters = [(str(t), lgb.Booster(model_str=text)) for t, text in payload["boosters"]]
    weights = {str(t): float(w) for t, w in payload["weights"].items()}
    proportion = float(payload["neutralize_proportion"])
    era_column = str(payload.get("era_column", "era"))
    # A benchmark model fed in as a last input: its live predictions, binned per era like a
    # feature (numerpilot.models.benchmark_input.quantile_bins), 2 where it has none.
    benchmark = payload.get("benchmark_input")

    def predict(
        live_features: pd.DataFrame, live_benchmark_models: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        missing = [f for f in features if f not in live_features.columns]
        if missing:
            raise KeyError(
                f"live data lacks {len(missing)} of the model's {len(features)} features, "
                f"e.g. {missing[:3]}"
            )
        x = np.ascontiguousarray(live_features[features].to_numpy(), dtype=np.float32)
        if era_column in live_features.columns:
            eras = live_features[era_column].astype(str).to_numpy()
        else:
            eras = np.full(len(live_features), "X", dtype=object)
        if benchmark is not None:
            if live_benchmark_models is None or benchmark not in live_benchmark_models.columns:
                raise KeyError(f"the live benchmark models lack the model's input {benchmark}")
            joined = live_benchmark_models[benchmark].reindex(live_features.index)
            bench = joined.to_numpy(dtype=np.float64)
            column = np.full(len(bench), 2.0, dtype=np.float32)
            known = np.isfinite(bench)
            if known.any():
                ranks = rank_per_era(bench[known], era_codes(eras)[known])
                column[known] = np.minimum(np.floor(ranks * 5), 4)
            x = np.ascontiguousarray(np.column_stack([x, column]), dtype=np.float32)
        values = ensemble_predict(boosters, weights, proportion, x, eras)
        return pd.DataFrame({"prediction": values}, index=live_features.index.rename("id"))

    predict.__doc__ = f"numerpilot model {payload.get('name', '')!s}: {len(boosters)} boosters"
    return predict
