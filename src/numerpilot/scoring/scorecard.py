"""Everything about a set of prediction columns on one grouping of eras, in one call.

``score_columns`` takes aligned arrays (predictions, target, reference columns such as the
benchmark and the meta model, features) and returns one :class:`ColumnScores` per column:
per-era CORR, TB200, MMC, BMC, FNC, max feature exposure and churn, their summaries, the
correlation with the reference columns and a payout simulation. The feature pass, the
expensive part, runs once for all columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from numerpilot.scoring.eras import Eras, FloatArray
from numerpilot.scoring.exposure import feature_exposures, feature_neutral_corr, max_abs
from numerpilot.scoring.metrics import correlation_contribution, numerai_corr, rank_correlation
from numerpilot.scoring.summary import PayoutSimulation, ScoreSummary, simulate_payout, summarize

# TB200: CORR of each era's 200 highest and 200 lowest predictions (what a fund trading only
# the extremes would earn), as numerblox reports it.
TB = 200

StepProgress = Callable[[str, int, int], None]
"""Called with (step description, done, total) as a long step goes."""


@dataclass(frozen=True)
class PayoutParams:
    """The payout formula's parameters; they change over time, so they are inputs."""

    corr_multiplier: float = 0.5
    mmc_multiplier: float = 2.0
    payout_factor: float = 1.0
    clip: float = 0.05


@dataclass(frozen=True)
class References:
    """Columns to score against, aligned with the prediction rows (NaN where missing).

    ``benchmark`` is the main benchmark (BMC), ``meta_model`` the meta model (MMC);
    ``example`` and every entry of ``benchmarks`` are compared by rank correlation.
    """

    benchmark: FloatArray | None = None
    meta_model: FloatArray | None = None
    example: FloatArray | None = None
    benchmarks: dict[str, FloatArray] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnScores:
    """Every per-era series and summary of one scored prediction column."""

    name: str
    source: str
    eras: list[str]
    corr: FloatArray
    bmc: FloatArray | None
    mmc: FloatArray | None
    fnc: FloatArray | None
    tb200: FloatArray
    max_exposure: FloatArray
    churn: FloatArray
    corr_summary: ScoreSummary
    bmc_summary: ScoreSummary | None
    mmc_summary: ScoreSummary | None
    fnc_summary: ScoreSummary | None
    tb200_summary: ScoreSummary
    corr_with_example: float
    corr_with_benchmarks: dict[str, float]
    payout: PayoutSimulation

    @property
    def max_feature_exposure_mean(self) -> float:
        return _mean(self.max_exposure)

    @property
    def churn_mean(self) -> float:
        """numerblox's churn: the mean over eras of 1 - Spearman(predictions, target)."""
        return _mean(self.churn)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` view: flat summary keys, then per-era series (era -> value)."""
        c, b, m, f = self.corr_summary, self.bmc_summary, self.mmc_summary, self.fnc_summary
        nan = float("nan")
        finite_fe = self.max_exposure[np.isfinite(self.max_exposure)]
        out: dict[str, Any] = {
            "name": self.name,
            "source": self.source,
            "eras": c.eras,
            "corr_mean": c.mean,
            "corr_std": c.std,
            "corr_sharpe": c.sharpe,
            "corr_smart_sharpe": c.smart_sharpe,
            "max_drawdown": c.max_drawdown,
            "positive_eras": c.positive_eras,
            "corr_autocorrelation": c.autocorrelation,
            "bmc_mean": b.mean if b else nan,
            "bmc_std": b.std if b else nan,
            "bmc_sharpe": b.sharpe if b else nan,
            "mmc_mean": m.mean if m else nan,
            "mmc_std": m.std if m else nan,
            "mmc_sharpe": m.sharpe if m else nan,
            "mmc_eras": m.eras if m else 0,
            "fnc_mean": f.mean if f else nan,
            "fnc_sharpe": f.sharpe if f else nan,
            "tb200_mean": self.tb200_summary.mean,
            "tb200_sharpe": self.tb200_summary.sharpe,
            "max_feature_exposure_mean": self.max_feature_exposure_mean,
            "max_feature_exposure_max": float(finite_fe.max()) if finite_fe.size else nan,
            "churn_mean": self.churn_mean,
            "corr_with_example": self.corr_with_example,
            "corr_with_benchmarks": self.corr_with_benchmarks,
            "payout": self.payout.as_dict(),
            "per_era": _per_era(self.eras, self.corr),
        }
        for key, series in (("per_era_bmc", self.bmc), ("per_era_mmc", self.mmc)):
            if series is not None:
                out[key] = _per_era(self.eras, series)
        if self.fnc is not None:
            out["per_era_fnc"] = _per_era(self.eras, self.fnc)
        return out


def _per_era(eras: Sequence[str], values: FloatArray) -> dict[str, float | None]:
    return {e: (float(v) if np.isfinite(v) else None) for e, v in zip(eras, values, strict=True)}


def _mean(values: FloatArray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def score_columns(
    names: Sequence[str],
    predictions: ArrayLike,
    target: ArrayLike,
    eras: Eras,
    features: NDArray[np.generic],
    *,
    feature_rows: ArrayLike | None = None,
    references: References | None = None,
    fnc: bool = False,
    payout: PayoutParams | None = None,
    source: str = "",
    progress: StepProgress | None = None,
) -> list[ColumnScores]:
    """Score each column of ``predictions`` (n, k) named ``names`` on ``eras``.

    The payout simulation pairs CORR with MMC where the meta model covers an era, else (no
    meta model at all) with BMC.
    """
    refs = references or References()
    payout = payout or PayoutParams()
    matrix = np.asarray(predictions, dtype=np.float64).reshape(len(eras.codes), -1)
    t = np.asarray(target, dtype=np.float64)

    def step(name: str) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        label = f"{name} ({source})" if source else name
        return lambda done, total: progress(label, done, total)

    corr = numerai_corr(matrix, t, eras)
    tb200 = numerai_corr(matrix, t, eras, top_bottom=TB)
    # numerblox's "churn": numerai_tools.signals.churn(predictions, target) per era, that is
    # 1 - Spearman with the target (rows without a target left out), averaged over eras.
    churn = 1.0 - rank_correlation(matrix, t, eras)
    bmc = (
        None
        if refs.benchmark is None
        else correlation_contribution(matrix, refs.benchmark, t, eras)
    )
    mmc = (
        None
        if refs.meta_model is None
        else correlation_contribution(matrix, refs.meta_model, t, eras)
    )
    exposures = feature_exposures(
        matrix, features, eras, feature_rows=feature_rows, progress=step("feature exposure")
    )
    fnc_scores = (
        feature_neutral_corr(
            matrix, features, t, eras, feature_rows=feature_rows, progress=step("FNC")
        )
        if fnc
        else None
    )
    with_example = None if refs.example is None else rank_correlation(matrix, refs.example, eras)
    with_bench = {k: rank_correlation(matrix, v, eras) for k, v in refs.benchmarks.items()}
    contribution = mmc if mmc is not None and np.isfinite(mmc).any() else bmc
    labels = [str(e) for e in eras.labels]

    def pick(values: FloatArray | None, j: int) -> FloatArray | None:
        return None if values is None else values[:, j]

    results = []
    for j, name in enumerate(names):
        results.append(
            ColumnScores(
                name=name,
                source=source,
                eras=labels,
                corr=corr[:, j],
                bmc=pick(bmc, j),
                mmc=pick(mmc, j),
                fnc=pick(fnc_scores, j),
                tb200=tb200[:, j],
                max_exposure=max_abs(exposures[:, j, :]),
                churn=churn[:, j],
                corr_summary=summarize(corr[:, j]),
                bmc_summary=None if bmc is None else summarize(bmc[:, j]),
                mmc_summary=None if mmc is None else summarize(mmc[:, j]),
                fnc_summary=None if fnc_scores is None else summarize(fnc_scores[:, j]),
                tb200_summary=summarize(tb200[:, j]),
                corr_with_example=(
                    float("nan") if with_example is None else _mean(with_example[:, j])
                ),
                corr_with_benchmarks={k: _mean(v[:, j]) for k, v in with_bench.items()},
                payout=simulate_payout(
                    corr[:, j],
                    pick(contribution, j),
                    corr_multiplier=payout.corr_multiplier,
                    mmc_multiplier=payout.mmc_multiplier if contribution is not None else 0.0,
                    payout_factor=payout.payout_factor,
                    clip=payout.clip,
                ),
            )
        )
    return results


__all__ = [
    "TB",
    "ColumnScores",
    "PayoutParams",
    "References",
    "StepProgress",
    "score_columns",
]
