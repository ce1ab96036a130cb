"""Stake actions in the ledger: every decision of the stake policy, made or only dry-run."""

from __future__ import annotations

from sqlalchemy import select

from numerpilot.agent._ledger_base import LedgerBase
from numerpilot.agent._ledger_records import StakeAction, from_row
from numerpilot.agent._ledger_schema import StakeActionRow
from numerpilot.agent._policy import StakeDecision


class StakesLedger(LedgerBase):
    """Stake decisions and what the tournament answered to them."""

    def record_stake_action(
        self,
        model: str,
        decision: StakeDecision,
        *,
        round_number: int | None = None,
        server_response: str | None = None,
        error: str | None = None,
    ) -> StakeAction:
        row = StakeActionRow(
            at=self._now(),
            model=model,
            round_number=round_number,
            action=decision.action,
            code=decision.code,
            amount=decision.amount,
            stake_before=decision.stake_before,
            stake_after=decision.stake_after,
            as_of_round=decision.as_of_round,
            reason=decision.reason,
            dry_run=decision.dry_run,
            server_response=server_response,
            error=error,
        )
        with self._writing() as s:
            s.add(row)
            s.flush()
            return from_row(StakeAction, row)

    def stake_actions(
        self, model: str | None = None, limit: int | None = None
    ) -> list[StakeAction]:
        """Newest first."""
        query = select(StakeActionRow).order_by(StakeActionRow.id.desc()).limit(limit)
        if model is not None:
            query = query.where(StakeActionRow.model == model)
        with self._read() as s:
            return [from_row(StakeAction, r) for r in s.scalars(query)]

    def last_cut_round(self, model: str, *, dry_run: bool) -> int | None:
        """``as_of_round`` of the model's latest drawdown cut: the policy cuts once per drawdown."""
        query = (
            select(StakeActionRow.as_of_round)
            .where(
                StakeActionRow.model == model,
                StakeActionRow.code == "drawdown_cut",
                StakeActionRow.dry_run.is_(dry_run),
                StakeActionRow.error.is_(None),
            )
            .order_by(StakeActionRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            return s.scalar(query)


__all__ = ["StakesLedger"]
