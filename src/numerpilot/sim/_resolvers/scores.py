"""Scores and payouts: ``v2RoundModelPerformances``, ``submissionScores``,
``pendingModelPayouts``. Performances are public, as on Numerai's leaderboard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from numerpilot.data import MAIN_TARGET
from numerpilot.sim._actions import UserError
from numerpilot.sim._resolvers.context import Info, RequestContext, context
from numerpilot.sim._resolvers.serialize import SCORE_VERSIONS, Obj, multipliers, stable_id
from numerpilot.sim._resolvers.types import query
from numerpilot.sim._store import Model, Payout, Round, Score, Submission
from numerpilot.sim._world import score_dates

Scored = tuple[Submission, Round, list[Score], Payout | None]


def _model(session: Session, model_id: str) -> Model:
    model = session.get(Model, model_id)
    if model is None:
        raise UserError(f"Model {model_id} not found")
    return model


def _scored_rounds(session: Session, model: Model) -> list[Scored]:
    """The model's counted submission of each round (newest round first) with its scores."""
    subs = session.scalars(
        select(Submission)
        .where(Submission.model_id == model.id, Submission.selected.is_(True))
        .order_by(Submission.round_number.desc())
    )
    out = []
    for sub in subs:
        scores = list(
            session.scalars(
                select(Score)
                .where(Score.submission_id == sub.id)
                .order_by(Score.day, Score.display_name)
            )
        )
        r = session.get_one(Round, sub.round_number)
        out.append((sub, r, scores, session.get(Payout, sub.id)))
    return out


def _score_obj(sub: Submission, r: Round, score: Score, paid: Payout | None) -> Obj:
    return {
        "roundId": stable_id("round", r.number),
        "submissionId": sub.id,
        "roundNumber": r.number,
        "roundResolveTime": r.resolve_time,
        "roundScoreTime": score_dates(r)[0],
        "roundCloseStakingTime": r.close_staking_time,
        "value": score.value,
        "percentile": score.percentile,
        "displayName": score.display_name,
        "version": SCORE_VERSIONS.get(score.display_name),
        "date": score.date,
        "day": score.day,
        "resolveDate": r.resolve_time,
        "resolved": score.resolved,
        "payoutPending": score.payout_pending,
        "payoutSettled": None if paid is None else paid.amount,
    }


@query.field("v2RoundModelPerformances")
def resolve_performances(
    _: Any, info: Info, modelId: str, tournament: int | None = None
) -> list[Obj]:
    ctx = context(info)
    model = _model(ctx.session, modelId)
    out = []
    for sub, r, scores, paid in _scored_rounds(ctx.session, model):
        latest_day = max((s.day for s in scores), default=0)
        rows = [_score_obj(sub, r, s, paid) for s in scores]
        out.append(
            {
                "roundId": stable_id("round", r.number),
                "roundNumber": r.number,
                "roundOpenTime": r.open_time,
                "roundCloseStakingTime": r.close_staking_time,
                "roundScoreTime": score_dates(r)[0],
                "roundResolveTime": r.resolve_time,
                "roundResolved": r.resolved,
                "roundTarget": MAIN_TARGET,
                "roundPayoutFactor": r.payout_factor,
                "atRisk": sub.at_risk,
                "corrMultiplier": ctx.config.payout.corr_multiplier,
                "mmcMultiplier": ctx.config.payout.mmc_multiplier,
                "submissionId": sub.id,
                "payoutMultipliers": _payout_multipliers(ctx, r.number),
                "submissionScores": [
                    row for row, s in zip(rows, scores, strict=True) if s.day == latest_day
                ],
                "intraRoundSubmissionScores": rows,
            }
        )
    return out


def _payout_multipliers(ctx: RequestContext, number: int) -> list[Obj]:
    return [
        {
            "id": stable_id("round-score-config", number, name),
            "scoreConfigId": stable_id("score-config", name),
            "name": name,
            "version": SCORE_VERSIONS[name],
            "displayName": name,
            "multiplier": multiplier,
        }
        for name, multiplier in multipliers(ctx.config).items()
    ]


@query.field("submissionScores")
def resolve_submission_scores(
    _: Any,
    info: Info,
    modelId: str,
    displayName: str | None = None,
    version: str | None = None,
    day: int | None = None,
    resolved: bool | None = None,
    tournament: int | None = None,
    lastNRounds: int | None = None,
    distinctOnRound: bool | None = None,
) -> list[Obj]:
    ctx = context(info)
    model = _model(ctx.session, modelId)
    scored = [item for item in _scored_rounds(ctx.session, model) if item[2]]
    if lastNRounds is not None:
        scored = scored[: max(lastNRounds, 0)]
    out = []
    for sub, r, scores, paid in scored:
        rows = [
            s
            for s in scores
            if (displayName is None or s.display_name == displayName)
            and (version is None or SCORE_VERSIONS.get(s.display_name) == version)
            and (day is None or s.day == day)
            and (resolved is None or s.resolved == resolved)
        ]
        if distinctOnRound:
            latest: dict[str, Score] = {}
            for s in rows:
                latest[s.display_name] = s  # rows are in day order: the last one wins
            rows = list(latest.values())
        out += [_score_obj(sub, r, s, paid) for s in rows]
    return out


@query.field("pendingModelPayouts")
def resolve_pending_payouts(_: Any, info: Info, tournament: int | None = None) -> Obj:
    ctx = context(info)
    account = ctx.account()
    actual, pending = [], []
    models = ctx.session.scalars(select(Model).where(Model.account_id == account.id))
    for model in models:
        for sub, r, scores, paid in _scored_rounds(ctx.session, model):
            if not sub.at_risk:
                continue
            entry = {
                "roundId": stable_id("round", r.number),
                "roundNumber": r.number,
                "roundResolveTime": r.resolve_time,
                "modelId": model.id,
                "modelName": model.name,
                "modelDisplayName": model.name,
                "currencySymbol": "NMR",
            }
            if paid is not None:
                actual.append({**entry, "payoutNmr": paid.amount, "payoutValue": paid.amount})
            elif scores:
                amount = scores[-1].payout_pending or Decimal(0)
                pending.append({**entry, "payoutNmr": amount, "payoutValue": amount})
    return {"actual": actual, "pending": pending}


__all__ = ["resolve_pending_payouts", "resolve_performances", "resolve_submission_scores"]
