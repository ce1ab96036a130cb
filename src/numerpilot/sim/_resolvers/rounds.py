"""Rounds and dataset files: ``rounds``, ``listDatasets``, ``dataset``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from numerpilot.data import version_spec
from numerpilot.sim._accounts import CLASSIC_TOURNAMENT
from numerpilot.sim._actions import UserError
from numerpilot.sim._livedata import ROUND_FILES
from numerpilot.sim._resolvers.context import Info, RequestContext, context
from numerpilot.sim._resolvers.serialize import Obj, round_obj, upcoming_round_obj
from numerpilot.sim._resolvers.types import query
from numerpilot.sim._store import Round
from numerpilot.sim._world import current_round

NO_OPEN_ROUND = "Current round not open for submissions"
_ROUND_LIVE = re.compile(r"^live_(\d+)\.parquet$")


def _status(r: Round, ctx: RequestContext) -> str:
    if r.resolved:
        return "RESOLVED"
    return "OPEN" if ctx.now < r.close_time else "RESOLVING"


@query.field("rounds")
def resolve_rounds(
    _: Any,
    info: Info,
    tournament: int | None = None,
    number: int | None = None,
    target: str | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[Obj]:
    ctx = context(info)
    if tournament not in (None, CLASSIC_TOURNAMENT):
        return []
    s = ctx.session
    if number == 0:
        r = current_round(s)
        if r is None:
            raise UserError(NO_OPEN_ROUND)
        return [round_obj(r, ctx.config)]
    rounds: list[Obj] = []
    if status == "UPCOMING":
        last = s.scalar(select(func.max(Round.number))) or 0
        rounds.append(upcoming_round_obj(ctx.world.times(last + 1), ctx.config))
    else:
        stmt = select(Round).order_by(Round.number.desc())
        if number is not None:
            stmt = stmt.where(Round.number == number)
        rounds = [
            round_obj(r, ctx.config)
            for r in s.scalars(stmt)
            if status is None or _status(r, ctx) == status
        ]
    if target is not None:
        rounds = [r for r in rounds if r["target"] == target]
    return rounds[:limit] if limit is not None and limit >= 0 else rounds


def _round_number(ctx: RequestContext, requested: int | None) -> int:
    s = ctx.session
    if not requested:
        r = current_round(s)
        if r is None:
            raise UserError(NO_OPEN_ROUND)
        return r.number
    if s.get(Round, requested) is None:
        raise UserError(f"Round {requested} has no data yet")
    return requested


@query.field("listDatasets")
def resolve_list_datasets(
    _: Any, info: Info, round: int | None = None, tournament: int | None = None
) -> list[str]:
    ctx = context(info)
    number = _round_number(ctx, round)
    names = []
    for version in ctx.config.data.versions:
        folder = ctx.datasets_dir / version
        names += [
            f"{version}/{name}"
            for name in version_spec(version).files
            if name in ROUND_FILES or (folder / name).exists()
        ]
        names.append(f"{version}/live_{number}.parquet")
    return names


@query.field("dataset")
def resolve_dataset(
    _: Any,
    info: Info,
    filename: str,
    round: int | None = None,
    tournament: int | None = None,
) -> str:
    ctx = context(info)
    version, _sep, name = filename.partition("/")
    if version not in ctx.config.data.versions or not name:
        raise UserError(f"Dataset {filename} not found")
    if m := _ROUND_LIVE.match(name):
        number = _round_number(ctx, int(m.group(1)))
        return f"{ctx.base_url}/data/rounds/{number}/{version}/live.parquet"
    if name in ROUND_FILES:
        number = _round_number(ctx, round)
        return f"{ctx.base_url}/data/rounds/{number}/{version}/{name}"
    if name not in version_spec(version).files or not (ctx.datasets_dir / version / name).exists():
        raise UserError(f"Dataset {filename} not found")
    return f"{ctx.base_url}/data/{version}/{name}"


__all__ = ["NO_OPEN_ROUND", "resolve_dataset", "resolve_list_datasets", "resolve_rounds"]
