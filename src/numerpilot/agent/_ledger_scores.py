"""Scores and payouts in the ledger: one row per (round, model, scoring day); pulling twice
is safe."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from numerpilot.agent._ledger_base import LedgerBase
from numerpilot.agent._ledger_records import Score, from_row
from numerpilot.agent._ledger_schema import ScoreRow


class ScoresLedger(LedgerBase):
    """Scores, percentiles and payouts per scoring day."""

    def record_score(
        self,
        round_number: int,
        model: str,
        *,
        day: int,
        resolved: bool = False,
        corr: float | None = None,
        mmc: float | None = None,
        payout: Decimal | None = None,
        percentile: float | None = None,
    ) -> None:
        """Insert or update the scores of one scoring day of a round (pulling twice is safe)."""
        values = {
            "resolved": resolved,
            "corr": corr,
            "mmc": mmc,
            "payout": payout,
            "percentile": percentile,
            "recorded_at": self._now(),
        }
        statement = sqlite_insert(ScoreRow).values(
            round_number=round_number, model=model, day=day, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["round_number", "model", "day"], set_=values
        )
        with self._writing() as s:
            s.execute(statement)

    def scores(self, model: str | None = None, *, resolved_only: bool = False) -> list[Score]:
        """The latest scoring day of each (round, model), oldest round first."""
        latest = (
            select(ScoreRow.round_number, ScoreRow.model, func.max(ScoreRow.day).label("day"))
            .group_by(ScoreRow.round_number, ScoreRow.model)
            .subquery()
        )
        query = (
            select(ScoreRow)
            .join(
                latest,
                (ScoreRow.round_number == latest.c.round_number)
                & (ScoreRow.model == latest.c.model)
                & (ScoreRow.day == latest.c.day),
            )
            .order_by(ScoreRow.round_number, ScoreRow.model)
        )
        if model is not None:
            query = query.where(ScoreRow.model == model)
        if resolved_only:
            query = query.where(ScoreRow.resolved.is_(True))
        with self._read() as s:
            return [from_row(Score, r) for r in s.scalars(query)]


__all__ = ["ScoresLedger"]
