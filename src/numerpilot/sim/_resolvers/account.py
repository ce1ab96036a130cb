"""The caller's account, models, uploads and hosted models (queries; auth where Numerai asks)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy import select

from numerpilot.sim._actions import (
    DEFAULT_DOCKER_IMAGE,
    DOCKER_IMAGES,
    UserError,
    choice_id,
    create_upload,
    owned_model,
)
from numerpilot.sim._resolvers.context import Info, RequestContext, context
from numerpilot.sim._resolvers.serialize import (
    Obj,
    account_obj,
    model_obj,
    pickle_obj,
    submission_obj,
)
from numerpilot.sim._resolvers.types import query
from numerpilot.sim._store import Diagnostics, Model, Pickle, Submission


def download_signature(key: bytes, submission_id: str) -> str:
    return hmac.new(key, submission_id.encode(), hashlib.sha256).hexdigest()


@query.field("account")
def resolve_account(_: Any, info: Info) -> Obj:
    ctx = context(info)
    return account_obj(ctx.session, ctx.account(), ctx.config)


@query.field("model")
def resolve_model(_: Any, info: Info, modelId: str | None = None) -> Obj:
    ctx = context(info)
    return model_obj(ctx.session, owned_model(ctx.session, ctx.account(), modelId), ctx.config)


@query.field("v3UserProfile")
def resolve_user_profile(
    _: Any,
    info: Info,
    model_name: str | None = None,
    modelName: str | None = None,
    tournament: int | None = None,
) -> Obj:
    ctx = context(info)
    name = model_name or modelName
    model = ctx.session.scalar(select(Model).where(Model.name == name))
    if model is None:
        raise UserError(f"Model {name} not found")
    stake = model.stake if model.stake > 0 else None
    return {
        "id": model.id,
        "username": model.name,
        "startDate": model.inserted_at,
        "bio": None,
        "nmrStaked": stake,
        "stakeValue": stake,
    }


def _upload_auth(info: Info, purpose: str, filename: str, model_id: str | None) -> Obj:
    ctx = context(info)
    account = ctx.account()
    model = owned_model(ctx.session, account, model_id)
    upload = create_upload(
        ctx.session, account, model, purpose, filename, ctx.now, ctx.config.upload_url_ttl_seconds
    )
    return {"filename": upload.filename, "url": f"{ctx.base_url}/uploads/{upload.token}"}


@query.field("submission_upload_auth")
def resolve_submission_upload_auth(
    _: Any,
    info: Info,
    filename: str,
    tournament: int | None = None,
    modelId: str | None = None,
) -> Obj:
    return _upload_auth(info, "submission", filename, modelId)


@query.field("diagnosticsUploadAuth")
def resolve_diagnostics_upload_auth(
    _: Any,
    info: Info,
    filename: str,
    tournament: int | None = None,
    modelId: str | None = None,
) -> Obj:
    return _upload_auth(info, "diagnostics", filename, modelId)


@query.field("computePickleUploadAuth")
def resolve_pickle_upload_auth(
    _: Any, info: Info, filename: str, modelId: str | None = None
) -> Obj:
    return _upload_auth(info, "pickle", filename, modelId)


def _own_submission(ctx: RequestContext, submission_id: str | None) -> Submission:
    sub = None if not submission_id else ctx.session.get(Submission, submission_id)
    account = ctx.account()
    if sub is None or ctx.session.get_one(Model, sub.model_id).account_id != account.id:
        raise UserError(f"Submission {submission_id} not found")
    return sub


@query.field("submissionDownloadAuth")
def resolve_submission_download_auth(_: Any, info: Info, id: str | None = None) -> Obj:
    ctx = context(info)
    sub = _own_submission(ctx, id)
    signature = download_signature(ctx.download_key, sub.id)
    return {
        "filename": sub.filename,
        "url": f"{ctx.base_url}/submissions/{sub.id}?signature={signature}",
    }


def _account_models(ctx: RequestContext, model_id: str | None) -> list[Model]:
    account = ctx.account()
    if model_id:
        return [owned_model(ctx.session, account, model_id)]
    return list(ctx.session.scalars(select(Model).where(Model.account_id == account.id)))


@query.field("submissions")
def resolve_submissions(_: Any, info: Info, modelId: str | None = None) -> list[Obj]:
    ctx = context(info)
    ids = [m.id for m in _account_models(ctx, modelId)]
    subs = ctx.session.scalars(
        select(Submission).where(Submission.model_id.in_(ids)).order_by(Submission.inserted_at)
    )
    return [submission_obj(ctx.session, s, ctx.config) for s in subs]


@query.field("diagnostics")
def resolve_diagnostics(
    _: Any, info: Info, id: str | None = None, modelId: str | None = None
) -> list[Obj]:
    ctx = context(info)
    ids = [m.id for m in _account_models(ctx, modelId)]
    stmt = select(Diagnostics).where(Diagnostics.model_id.in_(ids))
    if id:
        stmt = stmt.where(Diagnostics.id == id)
    rows = ctx.session.scalars(stmt.order_by(Diagnostics.inserted_at.desc()))
    return [diagnostics_obj(d) for d in rows]


def diagnostics_obj(d: Diagnostics) -> Obj:
    result: Obj = json.loads(d.result_json) if d.result_json else {}
    return {
        **result,
        "id": d.id,
        "filename": d.filename,
        "status": d.status,
        "message": d.message,
        "trainedOnVal": False,
        "insertedAt": d.inserted_at,
        "updatedAt": d.updated_at,
    }


@query.field("computePickleDataVersions")
def resolve_data_versions(_: Any, info: Info) -> list[Obj]:
    ctx = context(info)
    ctx.account()
    primary = ctx.config.primary_version
    return [
        {"id": choice_id("data version", v), "name": v, "default": v == primary}
        for v in ctx.config.data.versions
    ]


@query.field("computePickleDockerImages")
def resolve_docker_images(_: Any, info: Info) -> list[Obj]:
    context(info).account()
    return [
        {
            "id": choice_id("docker image", name),
            "name": name,
            "image": f"ghcr.io/numerai/{name}:stable",
            "default": name == DEFAULT_DOCKER_IMAGE,
        }
        for name in DOCKER_IMAGES
    ]


@query.field("computePickles")
def resolve_pickles(
    _: Any,
    info: Info,
    id: str | None = None,
    modelId: str | None = None,
    unassigned: bool | None = None,
) -> list[Obj]:
    ctx = context(info)
    ids = [m.id for m in _account_models(ctx, modelId)]
    stmt = select(Pickle).where(Pickle.model_id.in_(ids))
    if id:
        stmt = stmt.where(Pickle.id == id)
    if unassigned is False:
        stmt = stmt.where(Pickle.active.is_(True))
    pickles = ctx.session.scalars(stmt.order_by(Pickle.inserted_at.desc()))
    return [pickle_obj(ctx.session, p) for p in pickles]


__all__ = ["diagnostics_obj", "download_signature"]
