"""Payouts, by Numerai's formula with the sim's configured weights.

``payout = stake * clip(payout_factor * (corr_mult * CORR + mmc_mult * MMC), -clip, +clip)``
with ``payout_factor = min(1, stake_threshold / total NMR at risk)``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from numerpilot.sim._config import PayoutConfig

NMR_QUANTUM = Decimal("0.000001")  # payouts are kept to a millionth of an NMR


def payout_factor(total_at_risk: Decimal, config: PayoutConfig) -> Decimal:
    if total_at_risk <= 0:
        return Decimal(1)
    factor = Decimal(repr(config.stake_threshold)) / total_at_risk
    return min(Decimal(1), factor).quantize(NMR_QUANTUM, rounding=ROUND_HALF_EVEN)


def payout_score(corr: float, mmc: float, factor: Decimal, config: PayoutConfig) -> float:
    """The clipped per-round return on the stake."""
    raw = float(factor) * (config.corr_multiplier * corr + config.mmc_multiplier * mmc)
    return max(-config.clip, min(config.clip, raw))


def payout(
    stake: Decimal, corr: float, mmc: float, factor: Decimal, config: PayoutConfig
) -> Decimal:
    amount = stake * Decimal(repr(payout_score(corr, mmc, factor, config)))
    return amount.quantize(NMR_QUANTUM, rounding=ROUND_HALF_EVEN)


__all__ = ["NMR_QUANTUM", "payout", "payout_factor", "payout_score"]
