"""After the rounds: scores and payouts into the ledger, then one stake decision per round.

Scores are pulled from the tournament and written to the ledger only where they changed (a
new scoring day, a resolution, a payout). The stake policy (``policy.decide_stake``) then
decides once per model and round from the resolved payout scores; the decision, its reason
and, when staking is enabled, the tournament's answer go to the ledger and the notifications.

With ``stake.enabled = false`` nothing is sent: the decisions are made against a virtual
stake (the previous dry-run decision's ``stake_after``), so the ledger shows what the policy
would have done over time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol

from numerpilot.agent._policy import ZERO, RoundScore, StakeDecision, StakeState, decide_stake
from numerpilot.agent.ledger import Ledger, Score
from numerpilot.agent.notify import Kind, Notifier
from numerpilot.config import Settings
from numerpilot.errors import TournamentError
from numerpilot.tournament import RoundPerformance

log = logging.getLogger(__name__)


class ResultsSource(Protocol):
    def performances(self, model: str) -> list[RoundPerformance]:
        """Every round the model took part in, with its latest scores and payout."""
        ...

    def stake(self, model: str) -> Decimal:
        """The model's stake on the tournament, in NMR."""
        ...

    def change_stake(self, model: str, action: str, amount: Decimal) -> str:
        """Ask for a stake change; a description of the tournament's answer."""
        ...


def _changed(p: RoundPerformance, known: Score | None) -> bool:
    if known is None:
        return True
    return (known.day, known.resolved, known.corr, known.mmc, known.payout, known.percentile) != (
        p.day,
        p.resolved,
        p.corr,
        p.mmc,
        p.payout,
        p.percentile,
    )


def record_performances(
    ledger: Ledger, model: str, performances: Sequence[RoundPerformance]
) -> int:
    """Write new or changed scores; mark resolved rounds. Returns how many were written."""
    known = {s.round_number: s for s in ledger.scores(model)}
    written = 0
    for p in performances:
        if p.day <= 0 or not _changed(p, known.get(p.round_number)):
            continue
        ledger.record_score(
            p.round_number,
            model,
            day=p.day,
            resolved=p.resolved,
            corr=p.corr,
            mmc=p.mmc,
            payout=p.payout,
            percentile=p.percentile,
        )
        written += 1
        if p.resolved:
            r = ledger.round(p.round_number)
            if r is not None and not r.resolved:
                ledger.mark_round_resolved(p.round_number)
    return written


def resolved_scores(performances: Sequence[RoundPerformance]) -> list[RoundScore]:
    return [
        RoundScore(p.round_number, score)
        for p in performances
        if p.resolved and (score := p.payout_score) is not None
    ]


def _virtual_stake(ledger: Ledger, model: str) -> Decimal:
    for action in ledger.stake_actions(model):
        if action.dry_run and action.error is None:
            return action.stake_after
    return ZERO


def decided_in(ledger: Ledger, model: str, round_number: int) -> bool:
    return any(a.round_number == round_number for a in ledger.stake_actions(model, limit=50))


def decide_stakes(
    ledger: Ledger,
    notifier: Notifier,
    source: ResultsSource,
    settings: Settings,
    round_number: int,
    performances: Mapping[str, Sequence[RoundPerformance]],
) -> list[StakeDecision]:
    """One decision per model for ``round_number`` (models already decided are skipped).

    Models are decided one after another, each decision's change counted in the total before
    the next, so models sharing the budget cannot both spend its last NMR.
    """
    enabled = settings.stake.enabled
    models = [m for m in performances if not decided_in(ledger, m, round_number)]
    if not models:
        return []
    stakes = {m: source.stake(m) if enabled else _virtual_stake(ledger, m) for m in performances}
    total = sum(stakes.values(), ZERO)
    decisions = []
    for model in models:
        state = StakeState(
            scores=resolved_scores(performances[model]),
            current_stake=stakes[model],
            total_staked=total,
            pending_change=ZERO,  # decided once per round: earlier changes applied at its open
            last_cut_round=ledger.last_cut_round(model, dry_run=not enabled),
        )
        decision = decide_stake(state, settings.stake)
        answer, error = None, None
        if decision.action != "hold" and not decision.dry_run:
            try:
                answer = source.change_stake(model, decision.action, decision.amount)
            except TournamentError as e:
                error = str(e)
                log.warning("stake %s of %s failed: %s", decision.action, model, e)
        ledger.record_stake_action(
            model, decision, round_number=round_number, server_response=answer, error=error
        )
        if error is None:
            total += decision.stake_after - decision.stake_before
        _notify(notifier, model, round_number, decision, error)
        decisions.append(decision)
    return decisions


def _notify(
    notifier: Notifier,
    model: str,
    round_number: int,
    decision: StakeDecision,
    error: str | None,
) -> None:
    mode = "would " if decision.dry_run else ""
    details = {
        "action": decision.action,
        "code": decision.code,
        "amount": str(decision.amount),
        "stake_after": str(decision.stake_after),
        "dry_run": decision.dry_run,
        "error": error,
    }
    if decision.code == "drawdown_cut":
        notifier.notify(
            Kind.DRAWDOWN,
            f"{model}: drawdown: {mode}release {decision.amount} NMR ({decision.reason})",
            model=model,
            round_number=round_number,
            details=details,
        )
    elif decision.action != "hold" or error:
        failed = f" – failed: {error}" if error else ""
        notifier.notify(
            Kind.STAKE_ACTION,
            f"{model}: {mode}{decision.action} stake by {decision.amount} NMR "
            f"({decision.reason}){failed}",
            model=model,
            round_number=round_number,
            details=details,
        )


__all__ = [
    "ResultsSource",
    "decide_stakes",
    "decided_in",
    "record_performances",
    "resolved_scores",
]
