"""The stake policy: a pure function from a model's record and stakes to one decision.

Rules, in order (the first that applies decides):

1. Drawdown: when the cumulative resolved score has fallen more than ``drawdown_cut`` below
   its peak, release ``cut_fraction`` of the stake, once per drawdown (a new peak starts a new
   one); until then, no increases.
2. No stake increase before ``min_resolved_rounds`` resolved rounds whose mean (the most
   recent ``min_resolved_rounds`` of them) is positive.
3. Increases are capped per model and round (``max_increase_per_round``, a pending increase
   counts against it) and in total: ``budget`` caps the NMR at stake now (all configured
   models together, payouts included, plus the changes already decided this round), not the
   sum of increases ever made; no increase goes past it, and a stake grown past it by payouts
   is held, not cut.

Decide one model at a time and add each decision's change to ``total_staked`` before the
next model's, so that models sharing the budget cannot both spend its last NMR.

With ``enabled = false`` the same decision is made and marked ``dry_run``: numerpilot then only
records what it would do. Amounts are exact decimals in NMR; an increase is rounded down and a
cut rounded up to ``STEP``, so rounding can never break a limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Literal

from numerpilot.config import StakeSettings

STEP = Decimal("0.01")
ZERO = Decimal(0)

Action = Literal["increase", "decrease", "hold"]


@dataclass(frozen=True)
class RoundScore:
    """A model's resolved score in one round (the score its payout follows)."""

    round_number: int
    score: float


@dataclass(frozen=True)
class StakeState:
    """What the policy sees of one model, all amounts in NMR."""

    scores: Sequence[RoundScore]
    current_stake: Decimal
    total_staked: Decimal  # all models together, including this one, pending changes included
    pending_change: Decimal = ZERO  # not yet applied; negative for a pending release
    last_cut_round: int | None = None  # ``as_of_round`` of the last drawdown cut


@dataclass(frozen=True)
class StakeDecision:
    action: Action
    code: str  # stable: drawdown_cut, drawdown_hold, no_history, non_positive_mean, ...
    amount: Decimal  # the change, >= 0
    stake_before: Decimal  # current stake plus pending change
    stake_after: Decimal
    as_of_round: int | None  # the latest resolved round the decision saw
    reason: str
    dry_run: bool
    drawdown: float


def _dec(value: float) -> Decimal:
    # Through str so that 0.1 becomes Decimal("0.1"), not its binary approximation.
    return Decimal(str(value))


def _drawdown(scores: Sequence[RoundScore]) -> tuple[float, int | None]:
    """Distance of the cumulative score below its peak (the start counts as 0), and the round
    of that peak (None when the peak is the start)."""
    cumulative, peak, peak_round = 0.0, 0.0, None
    for s in scores:
        cumulative += s.score
        if cumulative >= peak:
            peak, peak_round = cumulative, s.round_number
    return peak - cumulative, peak_round


def decide_stake(state: StakeState, settings: StakeSettings) -> StakeDecision:
    """The one stake decision for one model this round."""
    scores = sorted(
        (s for s in state.scores if math.isfinite(s.score)), key=lambda s: s.round_number
    )
    before = state.current_stake + state.pending_change
    as_of = scores[-1].round_number if scores else None
    drawdown, peak_round = _drawdown(scores)
    budget, cap = _dec(settings.budget), _dec(settings.max_increase_per_round)

    def decide(action: Action, code: str, amount: Decimal, reason: str) -> StakeDecision:
        after = before + amount if action == "increase" else before - amount
        return StakeDecision(
            action, code, amount, before, after, as_of, reason, not settings.enabled, drawdown
        )

    if drawdown > settings.drawdown_cut:
        where = f"cumulative score {drawdown:.4f} below its peak (limit {settings.drawdown_cut})"
        cut_this_drawdown = state.last_cut_round is not None and (
            peak_round is None or state.last_cut_round >= peak_round
        )
        if before > 0 and not cut_this_drawdown:
            fraction = _dec(settings.cut_fraction)
            amount = min(before, (before * fraction).quantize(STEP, rounding=ROUND_UP))
            return decide("decrease", "drawdown_cut", amount, f"{where}: release {fraction:%}")
        return decide("hold", "drawdown_hold", ZERO, f"{where}: no increase until a new peak")

    need = settings.min_resolved_rounds
    if len(scores) < need:
        return decide(
            "hold", "no_history", ZERO, f"{len(scores)} resolved rounds, {need} needed to stake"
        )
    mean = sum(s.score for s in scores[-need:]) / need
    if mean <= 0:
        return decide(
            "hold", "non_positive_mean", ZERO, f"mean score {mean:.4f} of the last {need} rounds"
        )
    room = budget - state.total_staked
    allowance = cap - max(state.pending_change, ZERO)
    if room <= 0:
        return decide(
            "hold", "budget_reached", ZERO, f"{state.total_staked} NMR staked, budget {budget}"
        )
    if allowance <= 0:
        return decide(
            "hold", "increase_pending", ZERO, f"a pending increase uses this round's cap {cap}"
        )
    amount = min(room, allowance).quantize(STEP, rounding=ROUND_DOWN)
    if amount <= 0:
        return decide("hold", "budget_reached", ZERO, f"less than {STEP} NMR left in the budget")
    return decide(
        "increase",
        "increase",
        amount,
        f"mean score {mean:.4f} over the last {need} resolved rounds; "
        f"budget left {room} NMR, cap {cap} per round",
    )


__all__ = ["STEP", "Action", "RoundScore", "StakeDecision", "StakeState", "decide_stake"]
