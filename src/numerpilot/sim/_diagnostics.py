"""Diagnostics: per-era scores of uploaded validation predictions, as Numerai reports them.

Predictions (``id,prediction`` over any part of validation) are scored era by era against the
newest version's validation ``target``: CORR, MMC against ``meta_model.parquet``, BMC against
the first benchmark model and the rank correlation with the example predictions.
"""

from __future__ import annotations

import io
import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from numerpilot.data import ERA_COLUMN, MAIN_TARGET, META_MODEL_COLUMN, version_spec
from numerpilot.scoring import correlation_contribution, numerai_corr, rank_correlation, summarize
from numerpilot.sim._validation import EXPECTED_HEADER, Rejection


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _mean(values: NDArray[np.float64]) -> float:
    """Mean of the non-NaN values (NaN when there are none), without numpy's warning."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def _corr(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    keep = ~np.isnan(a) & ~np.isnan(b)
    if keep.sum() < 2 or a[keep].std() == 0 or b[keep].std() == 0:
        return float("nan")
    return float(np.corrcoef(a[keep], b[keep])[0, 1])


class DiagnosticsEngine:
    """Scores validation predictions; the validation columns it needs are read once."""

    def __init__(self, datasets_dir: Path, version: str):
        self.dir = datasets_dir / version
        self.version = version
        self._frame: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def _reference(self) -> pd.DataFrame:
        """Per validation id: era, target, meta model, benchmark, example predictions."""
        with self._lock:
            if self._frame is None:
                frame = pd.read_parquet(
                    self.dir / "validation.parquet", columns=[ERA_COLUMN, MAIN_TARGET]
                )
                frame = frame[frame[MAIN_TARGET].notna()]
                spec = version_spec(self.version)
                bench_col = spec.benchmark_columns[0]
                bench = pd.read_parquet(
                    self.dir / "validation_benchmark_models.parquet", columns=[bench_col]
                )
                frame["benchmark"] = bench[bench_col].reindex(frame.index)
                example = pd.read_parquet(self.dir / "validation_example_preds.parquet")
                frame["example"] = example.iloc[:, -1].reindex(frame.index)
                meta_path = self.dir / "meta_model.parquet"
                if spec.has_meta_model and meta_path.exists():
                    meta = pd.read_parquet(meta_path, columns=[META_MODEL_COLUMN])
                    frame["meta"] = meta[META_MODEL_COLUMN].reindex(frame.index)
                else:
                    frame["meta"] = np.nan
                self._frame = frame
            return self._frame

    def run(self, data: bytes) -> dict[str, object]:
        """The diagnostics fields (camelCase, as the API names them); ``Rejection`` if unusable."""
        header = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig", "replace").strip()
        if header != EXPECTED_HEADER:
            raise Rejection("header", f"Invalid diagnostics header {header[:80]!r}")
        preds = pd.read_csv(io.BytesIO(data), dtype={"id": str}).set_index("id")["prediction"]
        preds = pd.to_numeric(preds, errors="coerce")
        if preds.isna().any() or (preds < 0).any() or (preds > 1).any():
            raise Rejection("range", "Predictions must be numbers between 0 and 1, without NaN")
        ref = self._reference()
        rows = ref.join(preds.rename("prediction"), how="inner")
        if rows.empty:
            raise Rejection("no_validation_ids", "No validation ids found in the predictions")
        eras = rows[ERA_COLUMN].astype(str).to_numpy()
        p = rows["prediction"].to_numpy(np.float64)
        target = rows[MAIN_TARGET].to_numpy(np.float64)
        corr = numerai_corr(p, target, eras)
        labels = np.unique(eras)
        mmc = correlation_contribution(p, rows["meta"].to_numpy(np.float64), target, eras)
        bmc = correlation_contribution(p, rows["benchmark"].to_numpy(np.float64), target, eras)
        example = rank_correlation(p, rows["example"].to_numpy(np.float64), eras)
        c, m = summarize(corr), summarize(mmc[~np.isnan(mmc)])
        both = summarize(corr + np.nan_to_num(mmc))
        per_era = [
            {
                "era": str(label),
                "validationCorr": _finite(float(corr[i])),
                "validationMmc": _finite(float(mmc[i])),
                "validationBmc": _finite(float(bmc[i])),
                "examplePredsCorr": _finite(float(example[i])),
            }
            for i, label in enumerate(labels)
        ]
        return {
            "erasAcceptedCount": len(labels),
            "examplePredsCorrMean": _finite(_mean(example)),
            "validationCorrMean": _finite(c.mean),
            "validationCorrStd": _finite(c.std),
            "validationCorrSharpe": _finite(c.sharpe),
            "validationMaxDrawdown": _finite(c.max_drawdown),
            "validationCorrMaxDrawdown": _finite(c.max_drawdown),
            "validationAutocorr": _finite(c.autocorrelation),
            "validationMmcMean": _finite(m.mean),
            "validationMmcStd": _finite(m.std),
            "validationMmcSharpe": _finite(m.sharpe),
            "validationBmcMean": _finite(_mean(bmc)),
            "validationCorrPlusMmcMean": _finite(both.mean),
            "validationCorrPlusMmcStd": _finite(both.std),
            "validationCorrPlusMmcSharpe": _finite(both.sharpe),
            "validationCorrPlusMmcSharpeDiff": _finite(both.sharpe - c.sharpe),
            "validationCorrCorrWExamplePreds": _finite(_corr(corr, example)),
            "perEraDiagnostics": per_era,
        }


__all__ = ["DiagnosticsEngine"]
