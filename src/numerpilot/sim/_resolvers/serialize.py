"""Store rows as the API's objects: dicts keyed by the schema's field names."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from numerpilot.data import MAIN_TARGET
from numerpilot.sim._accounts import CLASSIC_TOURNAMENT
from numerpilot.sim._calendar import RoundTimes
from numerpilot.sim._config import SimConfig
from numerpilot.sim._scoring import CORR_NAME, MMC_NAME
from numerpilot.sim._store import (
    Account,
    Model,
    Pickle,
    PickleRun,
    Round,
    StakeRequest,
    Submission,
)
from numerpilot.sim._world import score_dates

Obj = dict[str, Any]
_NAMESPACE = uuid.UUID("4a8f6d2e-77c1-4f3b-8e0a-93b1c5d7e2f4")
SCORE_VERSIONS = {CORR_NAME: "v2", MMC_NAME: "v1"}


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def multipliers(config: SimConfig) -> dict[str, float]:
    return {CORR_NAME: config.payout.corr_multiplier, MMC_NAME: config.payout.mmc_multiplier}


def score_configs(
    number: int, dates: list[datetime], factor: Decimal | None, config: SimConfig
) -> list[Obj]:
    cal, pay = config.calendar, config.payout
    return [
        {
            "id": stable_id("round-score-config", number, name),
            "scoreConfigId": stable_id("score-config", name),
            "roundNumberStart": None,
            "roundNumberEnd": None,
            "name": name,
            "version": SCORE_VERSIONS[name],
            "displayName": name,
            "totalScoreDays": cal.score_days,
            "returnsLagDays": 0,
            "dataDelayDays": cal.score_delay_days,
            "universe": "classic",
            "isCanonScore": True,
            "isPayout": True,
            "scoringStart": dates[0],
            "scoringEnd": dates[-1],
            "minMultiplier": multiplier,
            "maxMultiplier": multiplier,
            "defaultMultiplier": multiplier,
            "clipThreshold": pay.clip,
            "stakeThreshold": pay.stake_threshold,
            "payoutFactor": None if factor is None else float(factor),
        }
        for name, multiplier in multipliers(config).items()
    ]


def _round_obj(
    number: int,
    times: tuple[datetime, datetime, datetime],
    dates: list[datetime],
    resolved: bool,
    factor: Decimal | None,
    config: SimConfig,
) -> Obj:
    opens, close_staking, close = times
    return {
        "id": stable_id("round", number),
        "tournament": CLASSIC_TOURNAMENT,
        "number": number,
        "target": MAIN_TARGET,
        "openTime": opens,
        "closeTime": close,
        "closeStakingTime": close_staking,
        "scoreTime": dates[0],
        "resolveTime": dates[-1],
        "resolvedGeneral": resolved,
        "resolvedStaking": resolved,
        "payoutFactor": factor,
        "stakeThreshold": config.payout.stake_threshold,
        "dataDatestamp": int(opens.strftime("%Y%m%d")),
        "isDaily": opens.weekday() != config.calendar.open_weekdays[-1],
        "roundScoreConfigs": score_configs(number, dates, factor, config),
    }


def round_obj(r: Round, config: SimConfig) -> Obj:
    return _round_obj(
        r.number,
        (r.open_time, r.close_staking_time, r.close_time),
        score_dates(r),
        r.resolved,
        r.payout_factor,
        config,
    )


def upcoming_round_obj(times: RoundTimes, config: SimConfig) -> Obj:
    return _round_obj(
        times.number,
        (times.open_time, times.close_staking_time, times.close_time),
        list(times.score_dates),
        False,
        None,
        config,
    )


def submission_obj(session: Session, sub: Submission, config: SimConfig) -> Obj:
    r = session.get_one(Round, sub.round_number)
    return {
        "id": sub.id,
        "filename": sub.filename,
        "insertedAt": sub.inserted_at,
        "round": round_obj(r, config),
        "selected": sub.selected,
        "status": "on_time" if sub.on_time else "late",
        "triggerId": sub.trigger_id,
        "sourcePlatform": sub.source,
    }


def stake_request_obj(request: StakeRequest) -> Obj:
    return {
        "id": request.id,
        "dueDate": request.due_date,
        "requestedAmount": request.amount,
        "status": request.status,
        "type": request.type,
        "drain": request.drain,
    }


def pickle_obj(session: Session, pickle: Pickle) -> Obj:
    runs = session.scalars(
        select(PickleRun).where(PickleRun.pickle_id == pickle.id).order_by(PickleRun.inserted_at)
    )
    model = session.get_one(Model, pickle.model_id)
    return {
        "id": pickle.id,
        "filename": pickle.filename,
        "modelId": pickle.model_id,
        "assignedModelSlots": [model.name] if pickle.active else [],
        "dataVersion": pickle.data_version,
        "dockerImage": pickle.docker_image,
        "validationStatus": pickle.validation_status,
        "triggerStatus": pickle.trigger_status,
        "diagnosticsStatus": None,
        "insertedAt": pickle.inserted_at,
        "updatedAt": pickle.updated_at,
        "triggers": [
            {
                "id": run.id,
                "computePickleUploadId": pickle.id,
                "roundId": stable_id("round", run.round_number),
                "status": run.status,
                "statuses": [
                    {
                        "status": run.status,
                        "description": run.description,
                        "insertedAt": run.updated_at,
                    }
                ],
                "submissionId": run.submission_id,
                "insertedAt": run.inserted_at,
                "updatedAt": run.updated_at,
            }
            for run in runs
        ],
    }


def model_obj(session: Session, model: Model, config: SimConfig) -> Obj:
    subs = session.scalars(
        select(Submission).where(Submission.model_id == model.id).order_by(Submission.inserted_at)
    )
    pending = session.scalar(
        select(StakeRequest)
        .where(StakeRequest.model_id == model.id, StakeRequest.status == "pending")
        .order_by(StakeRequest.requested_at.desc())
    )
    pickle = session.scalar(
        select(Pickle).where(Pickle.model_id == model.id, Pickle.active.is_(True))
    )
    return {
        "id": model.id,
        "name": model.name,
        "username": model.name,
        "tournament": model.tournament,
        "insertedAt": model.inserted_at,
        "submissions": [submission_obj(session, s, config) for s in subs],
        "v2Stake": {
            "status": "confirmed" if model.stake > 0 else None,
            "txHash": None,
            "stakeValue": model.stake,
            "latestValue": model.stake,
            "pendingV2ChangeStakeRequest": None if pending is None else stake_request_obj(pending),
        },
        "submissionWebhook": model.submission_webhook,
        "computePickleUpload": None if pickle is None else pickle_obj(session, pickle),
    }


def account_obj(session: Session, account: Account, config: SimConfig) -> Obj:
    models = session.scalars(
        select(Model).where(Model.account_id == account.id).order_by(Model.name)
    )
    wallet = "0x" + hashlib.sha256(account.id.encode()).hexdigest()[:40]
    return {
        "id": account.id,
        "username": account.username,
        "walletAddress": wallet,
        "availableNmr": account.available_nmr,
        "email": account.email,
        "mfaEnabled": False,
        "status": "VERIFIED",
        "insertedAt": account.inserted_at,
        "models": [model_obj(session, m, config) for m in models],
        "apiTokens": [
            {
                "name": "numerpilot-sim",
                "public_id": account.public_id,
                "publicId": account.public_id,
                "scopes": ["upload_submission", "stake", "read_submission_info", "read_user_info"],
            }
        ],
        "walletTxns": wallet_txns(session, account, wallet),
    }


def wallet_txns(session: Session, account: Account, wallet: str) -> list[Obj]:
    """The wallet's movements, newest first: each stake change, from the wallet to the
    model's stake (an increase) or back (a decrease), pending until the round it applies at."""
    requests = session.scalars(
        select(StakeRequest)
        .join(Model, Model.id == StakeRequest.model_id)
        .where(Model.account_id == account.id)
        .order_by(StakeRequest.requested_at.desc())
    )
    txns = []
    for r in requests:
        stake = "0x" + hashlib.sha256(f"stake:{r.model_id}".encode()).hexdigest()[:40]
        applied = r.status == "applied"
        amount = r.applied_amount if applied and r.applied_amount is not None else r.amount
        increase = r.type == "increase"
        txns.append(
            {
                "amount": amount,
                "from": wallet if increase else stake,
                "to": stake if increase else wallet,
                "status": "confirmed" if applied else "pending",
                "time": r.due_date if applied else r.requested_at,
                "tournament": CLASSIC_TOURNAMENT,
                "txHash": "0x" + hashlib.sha256(f"tx:{r.id}".encode()).hexdigest(),
                "type": "stake" if increase else "unstake",
            }
        )
    return txns


__all__ = [
    "SCORE_VERSIONS",
    "Obj",
    "account_obj",
    "model_obj",
    "multipliers",
    "pickle_obj",
    "round_obj",
    "stable_id",
    "stake_request_obj",
    "submission_obj",
    "upcoming_round_obj",
]
