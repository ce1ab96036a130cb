"""From the typed config to LightGBM's native parameter names.

One mapping, used by training, by the stored manifest and by the benchmark's recipe side, so
that "the same parameters" means the same thing everywhere.
"""

from __future__ import annotations

from typing import Any

from numerpilot.config import LightGBMParams

# Parameters that shape the binned Dataset. They must be identical when the Dataset is built
# and when a booster trains on it, or LightGBM refuses to reuse the Dataset.
DATASET_PARAMS: dict[str, Any] = {
    # Features are integers 0..4, so every feature has at most 5 bins; a cap of 15 keeps
    # LightGBM's 4-bit bin storage (half a byte per value) whatever the data holds.
    "max_bin": 15,
    # Off so that min_data_in_leaf may differ between boosters trained on the same Dataset.
    "feature_pre_filter": False,
    "verbosity": -1,
}


def booster_params(p: LightGBMParams, *, seed: int) -> dict[str, Any]:
    """Native ``lightgbm.train`` parameters for one booster (``num_boost_round`` aside)."""
    params: dict[str, Any] = {
        **DATASET_PARAMS,
        "objective": "regression",
        "learning_rate": p.learning_rate,
        "max_depth": p.max_depth,
        "num_leaves": p.num_leaves,
        "feature_fraction": p.colsample_bytree,
        "min_data_in_leaf": p.min_child_samples,
        # Histograms per feature column reuse the Dataset's own bins. The row-wise layout,
        # which LightGBM may otherwise pick, builds a second copy of the whole binned matrix.
        "force_col_wise": True,
        "seed": seed,
        "deterministic": True,
        # Early stopping uses numerpilot's per-era correlation, not a built-in metric.
        "metric": "None",
    }
    if p.bagging_fraction < 1.0:
        params["bagging_fraction"] = p.bagging_fraction
        params["bagging_freq"] = 1
    if p.num_threads > 0:
        params["num_threads"] = p.num_threads
    return params


__all__ = ["DATASET_PARAMS", "booster_params"]
