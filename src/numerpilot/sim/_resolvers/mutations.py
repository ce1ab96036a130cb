"""Mutations: submissions, diagnostics, model uploads, stakes, webhooks (all need auth)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from numerpilot.sim._actions import (
    DEFAULT_DOCKER_IMAGE,
    DOCKER_IMAGES,
    UserError,
    change_stake,
    create_pickle,
    owned_model,
    parse_amount,
    resolve_choice,
    submit,
    take_upload,
)
from numerpilot.sim._resolvers.account import diagnostics_obj
from numerpilot.sim._resolvers.context import Info, context
from numerpilot.sim._resolvers.serialize import (
    Obj,
    pickle_obj,
    stake_request_obj,
    submission_obj,
)
from numerpilot.sim._resolvers.types import mutation
from numerpilot.sim._store import Diagnostics, StakeRequest
from numerpilot.sim._validation import Rejection


@mutation.field("create_submission")
def resolve_create_submission(
    _: Any,
    info: Info,
    filename: str,
    tournament: int | None = None,
    modelId: str | None = None,
    triggerId: str | None = None,
    source: str | None = None,
    dataDatestamp: int | None = None,
) -> Obj:
    ctx = context(info)
    model = owned_model(ctx.session, ctx.account(), modelId)
    if ctx.fault.drop:
        # The fault "acknowledged but never recorded": an id that leads nowhere.
        return {"id": str(uuid.uuid4()), "filename": filename, "selected": True}
    _upload, data = take_upload(
        ctx.session, ctx.uploads_dir, ctx.account(), filename, "submission", model
    )
    sub = submit(
        ctx.world,
        ctx.session,
        model,
        data,
        ctx.now,
        filename=filename,
        source=source or "api",
        trigger_id=triggerId,
    )
    ctx.session.flush()
    return submission_obj(ctx.session, sub, ctx.config)


@mutation.field("createDiagnostics")
def resolve_create_diagnostics(
    _: Any,
    info: Info,
    filename: str,
    tournament: int | None = None,
    modelId: str | None = None,
) -> Obj:
    ctx = context(info)
    model = owned_model(ctx.session, ctx.account(), modelId)
    _upload, data = take_upload(
        ctx.session, ctx.uploads_dir, ctx.account(), filename, "diagnostics", model
    )
    row = Diagnostics(
        id=str(uuid.uuid4()),
        model_id=model.id,
        filename=filename.rsplit("/", 1)[-1],
        inserted_at=ctx.now,
        updated_at=ctx.now,
        status="done",
    )
    try:
        row.result_json = json.dumps(ctx.diagnostics.run(data))
    except Rejection as e:
        row.status, row.message = "failed", e.message
    ctx.session.add(row)
    return diagnostics_obj(row)


@mutation.field("createComputePickleUpload")
def resolve_create_pickle(
    _: Any,
    info: Info,
    filename: str,
    tournament: int | None = None,
    modelId: str | None = None,
    dataVersionId: str | None = None,
    dockerImageId: str | None = None,
) -> Obj:
    ctx = context(info)
    model = owned_model(ctx.session, ctx.account(), modelId)
    versions = ctx.config.data.versions
    version = resolve_choice("data version", dataVersionId, versions, ctx.config.primary_version)
    image = resolve_choice("docker image", dockerImageId, DOCKER_IMAGES, DEFAULT_DOCKER_IMAGE)
    if ctx.fault.drop:
        return {
            "id": str(uuid.uuid4()),
            "filename": filename,
            "assignedModelSlots": [],
            "triggers": [],
        }
    upload, _data = take_upload(
        ctx.session, ctx.uploads_dir, ctx.account(), filename, "pickle", model
    )
    pickle = create_pickle(
        ctx.world,
        ctx.session,
        model,
        upload,
        ctx.uploads_dir,
        ctx.pickles_dir,
        version,
        image,
        ctx.now,
    )
    ctx.session.flush()
    return pickle_obj(ctx.session, pickle)


@mutation.field("v2ChangeStake")
def resolve_change_stake(
    _: Any,
    info: Info,
    value: str,
    type: str,
    modelId: str | None = None,
    tournamentNumber: int | None = None,
) -> Obj:
    ctx = context(info)
    account = ctx.account()
    model = owned_model(ctx.session, account, modelId)
    request = change_stake(
        ctx.world, ctx.session, account, model, type, parse_amount(value), ctx.now
    )
    return stake_request_obj(request)


@mutation.field("releaseStake")
def resolve_release_stake(
    _: Any,
    info: Info,
    drain: bool,
    modelId: str | None = None,
    amount: str | None = None,
) -> Obj:
    ctx = context(info)
    account = ctx.account()
    model = owned_model(ctx.session, account, modelId)
    if not drain:
        request = change_stake(
            ctx.world, ctx.session, account, model, "decrease", parse_amount(amount), ctx.now
        )
        return stake_request_obj(request)
    pending_increase = sum(
        (
            r.amount
            for r in ctx.session.scalars(
                select(StakeRequest).where(
                    StakeRequest.model_id == model.id,
                    StakeRequest.status == "pending",
                    StakeRequest.type == "increase",
                )
            )
        ),
        Decimal(0),
    )
    if model.stake + pending_increase <= 0:
        raise UserError("Nothing to release: the model has no stake")
    request = change_stake(
        ctx.world,
        ctx.session,
        account,
        model,
        "decrease",
        model.stake + pending_increase,
        ctx.now,
        drain=True,
    )
    return stake_request_obj(request)


@mutation.field("setSubmissionWebhook")
def resolve_set_webhook(
    _: Any, info: Info, modelId: str, newSubmissionWebhook: str | None = None
) -> str:
    ctx = context(info)
    model = owned_model(ctx.session, ctx.account(), modelId)
    if newSubmissionWebhook and not newSubmissionWebhook.startswith(("http://", "https://")):
        raise UserError("The webhook must be an http(s) URL")
    model.submission_webhook = newSubmissionWebhook or None
    return "true"


__all__ = [
    "resolve_change_stake",
    "resolve_create_diagnostics",
    "resolve_create_pickle",
    "resolve_create_submission",
    "resolve_release_stake",
    "resolve_set_webhook",
]
