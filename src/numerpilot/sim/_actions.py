"""What a participant can do: uploads, submissions, stake changes, hosted models.

Each function takes the request's session and ``now`` and raises ``UserError`` (or
``Rejection`` for bad predictions) with the message the API returns. Checks come before
writes, so a refused request changes nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from numerpilot.fsutil import atomic_path
from numerpilot.sim._store import (
    Account,
    Model,
    Pickle,
    PickleRun,
    StakeRequest,
    Submission,
    Upload,
)
from numerpilot.sim._validation import Rejection, parse_submission
from numerpilot.sim._world import World, current_round, new_run

DOCKER_IMAGES = tuple(f"numerai_predict_py_3_{minor}" for minor in (10, 11, 12, 13))
DEFAULT_DOCKER_IMAGE = "numerai_predict_py_3_11"
_NAMESPACE = uuid.UUID("0f6b7f58-9a39-4f0e-a6e4-5c1d2b3a4e77")


class UserError(Exception):
    """A request the tournament refuses; the message is what the API answers."""


def choice_id(kind: str, name: str) -> str:
    """Stable ids of data versions and docker images, as Numerai lists them."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def resolve_choice(kind: str, given: str | None, names: tuple[str, ...], default: str) -> str:
    if given in (None, ""):
        return default
    for name in names:
        if given in (name, choice_id(kind, name)):
            return name
    raise UserError(f"Unknown {kind} {given!r}; choose one of {', '.join(names)}")


def owned_model(session: Session, account: Account, model_id: str | None) -> Model:
    """The account's model ``model_id`` (or its only model); another account's is 'not found'."""
    if not model_id:
        models = list(session.scalars(select(Model).where(Model.account_id == account.id)))
        if len(models) != 1:
            raise UserError("modelId is required for an account with more than one model")
        return models[0]
    model = session.get(Model, model_id)
    if model is None or model.account_id != account.id:
        raise UserError(f"Model {model_id} not found")
    return model


def parse_amount(value: str | None) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise UserError(f"Invalid NMR amount {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise UserError("Stake change amount must be a positive number of NMR")
    return amount


# --- presigned uploads ------------------------------------------------------------------------


def create_upload(
    session: Session,
    account: Account,
    model: Model | None,
    purpose: str,
    filename: str,
    now: datetime,
    ttl_seconds: float,
) -> Upload:
    name = os.path.basename(filename) or "upload"
    upload = Upload(
        token=secrets.token_urlsafe(24),
        purpose=purpose,
        account_id=account.id,
        model_id=None if model is None else model.id,
        filename=f"{purpose}/{uuid.uuid4()}/{name}",
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(upload)
    return upload


def receive_upload(
    session: Session, uploads_dir: Path, token: str, data: bytes, now: datetime, *, drop: bool
) -> str | None:
    """Store a PUT's bytes; the refusal message (S3 would answer 403), or None when accepted."""
    upload = session.get(Upload, token)
    if upload is None:
        return "The presigned URL is not valid"
    if upload.used:
        return "The presigned URL was already used"
    if now >= upload.expires_at:
        return "Request has expired"
    upload.used = True
    if not drop:
        with atomic_path(uploads_dir / token) as tmp:
            tmp.write_bytes(data)
        upload.stored = True
    return None


def take_upload(
    session: Session,
    uploads_dir: Path,
    account: Account,
    filename: str,
    purpose: str,
    model: Model | None,
) -> tuple[Upload, bytes]:
    """The stored bytes behind an upload ``filename``; marks the upload used up."""
    upload = session.scalar(select(Upload).where(Upload.filename == filename))
    if upload is None or upload.account_id != account.id or upload.purpose != purpose:
        raise UserError(f"Upload {filename!r} not found: request an upload URL first")
    if model is not None and upload.model_id not in (None, model.id):
        raise UserError(f"Upload {filename!r} was authorised for another model")
    if upload.consumed:
        raise UserError(f"Upload {filename!r} was already used")
    if not upload.stored:
        raise UserError(f"File {filename!r} was not uploaded: PUT it to the upload URL first")
    upload.consumed = True
    return upload, (uploads_dir / upload.token).read_bytes()


# --- submissions ------------------------------------------------------------------------------


def submit(
    world: World,
    session: Session,
    model: Model,
    data: bytes,
    now: datetime,
    *,
    filename: str,
    source: str,
    trigger_id: str | None = None,
) -> Submission:
    """Validate ``data`` for the current round and record it as the model's submission."""
    r = current_round(session)
    if r is None or now >= r.close_time or now < r.open_time:
        raise Rejection("round_closed", "Current round not open for submissions")
    predictions = parse_submission(data, world.live.live_ids(r.number))
    on_time = now < r.close_staking_time
    previous = list(
        session.scalars(
            select(Submission).where(
                Submission.model_id == model.id,
                Submission.round_number == r.number,
                Submission.selected.is_(True),
            )
        )
    )
    if not on_time and any(p.on_time for p in previous):
        raise Rejection(
            "staking_closed",
            f"Round {r.number} is closed for staking; this model's on-time submission stands",
        )
    submission = Submission(
        id=str(uuid.uuid4()),
        model_id=model.id,
        round_number=r.number,
        filename=os.path.basename(filename),
        inserted_at=now,
        source=source,
        trigger_id=trigger_id,
        on_time=on_time,
        selected=True,
    )
    csv_path, npy_path = world.submission_paths(submission.id)
    with atomic_path(csv_path) as tmp:
        tmp.write_bytes(data)
    with atomic_path(npy_path) as tmp, tmp.open("wb") as f:
        np.save(f, predictions.to_numpy(dtype=np.float64))
    for p in previous:
        p.selected = False
    session.add(submission)
    return submission


# --- stakes -----------------------------------------------------------------------------------


def change_stake(
    world: World,
    session: Session,
    account: Account,
    model: Model,
    kind: str,
    amount: Decimal,
    now: datetime,
    *,
    drain: bool = False,
) -> StakeRequest:
    if kind not in ("increase", "decrease"):
        raise UserError(f"Stake change type must be 'increase' or 'decrease', not {kind!r}")
    pending = list(
        session.scalars(
            select(StakeRequest).where(
                StakeRequest.model_id == model.id, StakeRequest.status == "pending"
            )
        )
    )
    if kind == "increase":
        if account.available_nmr < amount:
            raise UserError(
                f"Insufficient NMR balance: {account.available_nmr} available, {amount} requested"
            )
        account.available_nmr -= amount
    elif not drain:
        after = model.stake + sum(
            (p.amount if p.type == "increase" else -p.amount for p in pending if not p.drain),
            Decimal(0),
        )
        if amount > after:
            raise UserError(f"Cannot decrease the stake by {amount} NMR: it holds {after} NMR")
    request = StakeRequest(
        id=str(uuid.uuid4()),
        model_id=model.id,
        type=kind,
        amount=amount,
        drain=drain,
        requested_at=now,
        due_date=world.next_boundary(now),
        status="pending",
    )
    session.add(request)
    return request


# --- hosted models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    """One hosted-model run to do: the seam's three paths and where the result goes."""

    run_id: str
    model_id: str
    round_number: int
    pickle_path: Path
    live_path: Path
    benchmark_path: Path


def create_pickle(
    world: World,
    session: Session,
    model: Model,
    upload: Upload,
    uploads_dir: Path,
    pickles_dir: Path,
    data_version: str,
    docker_image: str,
    now: datetime,
) -> Pickle:
    """Record a model upload; it runs at every round open (and now, if the round is open)."""
    for old in session.scalars(
        select(Pickle).where(Pickle.model_id == model.id, Pickle.active.is_(True))
    ):
        old.active = False
    pickle = Pickle(
        id=str(uuid.uuid4()),
        model_id=model.id,
        filename=os.path.basename(upload.filename),
        data_version=data_version,
        docker_image=docker_image,
        inserted_at=now,
        updated_at=now,
        active=True,
        validation_status="pending",
        trigger_status=None,
    )
    with atomic_path(pickles_dir / f"{pickle.id}.pkl") as tmp:
        shutil.copyfile(uploads_dir / upload.token, tmp)
    session.add(pickle)
    r = current_round(session)
    if r is not None and r.open_time <= now < r.close_time:
        session.add(new_run(pickle.id, r.number, now))
    return pickle


def pending_runs(world: World, session: Session, pickles_dir: Path) -> list[RunJob]:
    jobs = []
    runs = session.scalars(
        select(PickleRun).where(PickleRun.status == "pending").order_by(PickleRun.inserted_at)
    )
    for run in runs:
        pickle = session.get_one(Pickle, run.pickle_id)
        version = pickle.data_version
        jobs.append(
            RunJob(
                run_id=run.id,
                model_id=pickle.model_id,
                round_number=run.round_number,
                pickle_path=pickles_dir / f"{pickle.id}.pkl",
                live_path=world.live.path(run.round_number, version, "live.parquet"),
                benchmark_path=world.live.path(
                    run.round_number, version, "live_benchmark_models.parquet"
                ),
            )
        )
    return jobs


def finish_run(
    world: World,
    session: Session,
    job: RunJob,
    csv: bytes | None,
    error: str | None,
    now: datetime,
) -> PickleRun:
    """Record a run's outcome: its output becomes the model's submission, or the failure."""
    run = session.get_one(PickleRun, job.run_id)
    pickle = session.get_one(Pickle, run.pickle_id)
    current = current_round(session)
    if error is None and (current is None or current.number != run.round_number):
        error = f"Round {run.round_number} closed before the model's predictions arrived"
    if csv is not None and error is None:
        try:
            model = session.get_one(Model, pickle.model_id)
            submission = submit(
                world,
                session,
                model,
                csv,
                now,
                filename="predictions.csv",
                source="compute",
                trigger_id=run.id,
            )
            run.submission_id = submission.id
        except Rejection as e:
            error = e.message
    run.status = "failed" if error else "submission_succeeded"
    run.description = error
    run.updated_at = now
    pickle.trigger_status = run.status
    if pickle.validation_status == "pending":
        pickle.validation_status = "failed" if error else "validated"
    pickle.updated_at = now
    return run


__all__ = [
    "DEFAULT_DOCKER_IMAGE",
    "DOCKER_IMAGES",
    "RunJob",
    "UserError",
    "change_stake",
    "choice_id",
    "create_pickle",
    "create_upload",
    "finish_run",
    "owned_model",
    "parse_amount",
    "pending_runs",
    "receive_upload",
    "resolve_choice",
    "submit",
    "take_upload",
]
