"""Summaries of per-era scores, and what they would have paid.

Eras scored NaN (no targets yet) are left out of every statistic.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from numerpilot.errors import DataError

if TYPE_CHECKING:
    # Annotations only: the era module imports scipy (0.6 s), which the dashboard that
    # ``status`` renders from these summaries does not need.
    from numerpilot.scoring.eras import FloatArray


def _scores(per_era: ArrayLike) -> FloatArray:
    values = np.asarray(per_era, dtype=np.float64)
    if values.ndim != 1:
        raise DataError(f"per-era scores must be one-dimensional, got shape {values.shape}")
    known: FloatArray = values[~np.isnan(values)]
    return known


def sharpe(per_era: ArrayLike) -> float:
    """Mean over standard deviation (ddof 0) of the per-era scores; NaN if they never vary."""
    values = _scores(per_era)
    # A constant series has no Sharpe; its float std may be 1e-18 rather than 0, hence ptp.
    if values.size == 0 or np.ptp(values) == 0:
        return float("nan")
    return float(values.mean()) / float(values.std())


def drawdown(per_era: ArrayLike) -> FloatArray:
    """How far the cumulative score is below its running peak after each era (>= 0).

    The peak starts at the first era's cumulative score, as in Numerai's example notebooks.
    """
    cumulative = np.cumsum(_scores(per_era))
    return np.maximum.accumulate(cumulative) - cumulative if cumulative.size else cumulative


def max_drawdown(per_era: ArrayLike) -> float:
    """The largest fall of the cumulative per-era score from a previous peak (>= 0)."""
    dd = drawdown(per_era)
    return float(dd.max()) if dd.size else float("nan")


def autocorrelation(per_era: ArrayLike, lag: int = 1) -> float:
    """Pearson correlation of the per-era scores with themselves ``lag`` eras later.

    High values mean good and bad eras come in runs, so the Sharpe ratio overstates safety.
    """
    values = _scores(per_era)
    if values.size <= lag + 1:
        return float("nan")
    a, b = values[:-lag], values[lag:]
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def smart_sharpe(per_era: ArrayLike) -> float:
    """Sharpe (sample std, ddof 1) divided by the autocorrelation penalty of the series.

    As numerblox and the Numerai forum define it: with lag-1 autocorrelation ``p`` (absolute)
    over ``n`` eras, the penalty is ``sqrt(1 + 2 * sum((n - i) / n * p**i, i = 1..n-1))``, so
    runs of good eras count for less than the same scores spread out.
    """
    values = _scores(per_era)
    if values.size < 3 or np.ptp(values) == 0:
        return float("nan")
    rho = autocorrelation(values)
    p = abs(rho) if math.isfinite(rho) else 0.0
    n = values.size
    i = np.arange(1, n)
    penalty = math.sqrt(1.0 + 2.0 * float(np.sum((n - i) / n * p**i)))
    return float(values.mean()) / (float(values.std(ddof=1)) * penalty)


def apy(returns: ArrayLike, *, periods_per_year: int = 52, compounding_lag: int = 4) -> float:
    """Annual percentage yield of per-round returns (shares of the stake), compounded.

    As numerblox: ``prod(1 + r) ** ((periods_per_year - compounding_lag) / n) - 1``; the lag
    is how many rounds pass before a payout joins the stake (a round resolves a month after
    it opens). A fraction: 0.12 is 12 %. A stake wiped out is -1.
    """
    values = _scores(returns)
    if values.size == 0:
        return float("nan")
    if periods_per_year <= compounding_lag:
        raise DataError(
            f"apy needs periods_per_year > compounding_lag, got {periods_per_year} "
            f"and {compounding_lag}"
        )
    growth = float(np.prod(1.0 + values))
    if growth <= 0:
        return -1.0
    return float(growth ** ((periods_per_year - compounding_lag) / values.size) - 1.0)


def calmar_ratio(
    returns: ArrayLike, *, periods_per_year: int = 52, compounding_lag: int = 4
) -> float:
    """APY over the largest drawdown of the cumulative returns; NaN without a drawdown."""
    worst = max_drawdown(returns)
    if not math.isfinite(worst) or worst == 0:
        return float("nan")
    return apy(returns, periods_per_year=periods_per_year, compounding_lag=compounding_lag) / worst


@dataclass(frozen=True)
class ScoreSummary:
    """The usual statistics of one per-era score series."""

    mean: float
    std: float
    sharpe: float
    max_drawdown: float
    positive_eras: float  # share of eras with a score above zero
    autocorrelation: float
    eras: int
    smart_sharpe: float = float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(per_era: ArrayLike) -> ScoreSummary:
    values = _scores(per_era)
    if values.size == 0:
        nan = float("nan")
        return ScoreSummary(nan, nan, nan, nan, nan, nan, 0)
    return ScoreSummary(
        mean=float(values.mean()),
        std=float(values.std()),
        sharpe=sharpe(values),
        max_drawdown=max_drawdown(values),
        positive_eras=float((values > 0).mean()),
        autocorrelation=autocorrelation(values),
        eras=int(values.size),
        smart_sharpe=smart_sharpe(values),
    )


@dataclass(frozen=True)
class PayoutSimulation:
    """What staking ``stake`` on every era would have paid, round by round.

    ``per_era`` is each era's payout as a share of the stake (NaN where not scored);
    ``final_stake`` compounds those with payouts added to the stake, the way an
    auto-compounded stake grows; ``total`` is the plain sum of shares.
    """

    per_era: FloatArray
    mean: float
    total: float
    sharpe: float
    max_drawdown: float
    worst: float
    best: float
    final_stake: float
    eras: int
    apy: float = float("nan")  # weekly eras: 52 a year, a payout compounds 4 eras later
    calmar: float = float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return {k: v for k, v in asdict(self).items() if k != "per_era"}


def simulate_payout(
    corr: ArrayLike,
    mmc: ArrayLike | None = None,
    *,
    corr_multiplier: float,
    mmc_multiplier: float,
    payout_factor: float = 1.0,
    clip: float = 0.05,
    stake: float = 1.0,
) -> PayoutSimulation:
    """Numerai's payout per era: ``stake * clip(factor * (cm * CORR + mm * MMC), -clip, clip)``.

    The multipliers and the payout factor change over time: pass the ones to study. Eras
    where CORR is NaN, or MMC is NaN while ``mmc_multiplier`` is not zero, pay nothing and
    are not counted.
    """
    if clip <= 0 or payout_factor < 0 or stake < 0:
        raise DataError(
            f"payout simulation needs clip > 0, payout_factor >= 0 and stake >= 0; got "
            f"clip={clip}, payout_factor={payout_factor}, stake={stake}"
        )
    c = np.asarray(corr, dtype=np.float64)
    m = np.zeros_like(c) if mmc is None else np.asarray(mmc, dtype=np.float64)
    if m.shape != c.shape or c.ndim != 1:
        raise DataError(f"CORR has shape {c.shape} but MMC has shape {m.shape}")
    mmc_term = mmc_multiplier * m if mmc_multiplier != 0 else np.zeros_like(c)
    raw = payout_factor * (corr_multiplier * c + mmc_term)
    shares = np.clip(raw, -clip, clip)
    paid = shares[~np.isnan(shares)]
    if paid.size == 0:
        nan = float("nan")
        return PayoutSimulation(shares, nan, nan, nan, nan, nan, nan, stake, 0)
    return PayoutSimulation(
        per_era=shares,
        mean=float(paid.mean()),
        total=float(paid.sum()),
        sharpe=sharpe(paid),
        max_drawdown=max_drawdown(paid),
        worst=float(paid.min()),
        best=float(paid.max()),
        final_stake=float(stake * np.prod(1.0 + paid)),
        eras=int(paid.size),
        apy=apy(paid),
        calmar=calmar_ratio(paid),
    )


__all__ = [
    "PayoutSimulation",
    "ScoreSummary",
    "apy",
    "autocorrelation",
    "calmar_ratio",
    "drawdown",
    "max_drawdown",
    "sharpe",
    "simulate_payout",
    "smart_sharpe",
    "summarize",
]
