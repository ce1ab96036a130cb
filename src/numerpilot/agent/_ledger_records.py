"""What the ledger hands out: frozen records, detached from the database and its sessions."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

R = TypeVar("R")


def from_row(cls: type[R], row: object) -> R:
    """The record ``cls`` filled from the table row's attributes of the same names."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    return cls(**{name: getattr(row, name) for name in names})


@dataclass(frozen=True)
class RoundRecord:
    number: int
    open_time: datetime
    close_time: datetime
    resolve_time: datetime | None
    resolved: bool


@dataclass(frozen=True)
class ModelVersion:
    name: str
    path: str
    sha256: str
    data_version: str | None
    metrics: dict[str, Any]
    created_at: datetime
    promoted_at: datetime | None


@dataclass(frozen=True)
class Submission:
    id: int
    round_number: int
    model: str
    model_version: str | None
    mode: str  # csv | upload
    file_sha256: str
    server_id: str | None
    status: str  # pending | confirmed | failed | rejected
    attempted_at: datetime
    confirmed_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class SubmissionStart:
    """What ``begin_submission`` found: a new intent (``created``) or the live one to honour."""

    submission: Submission
    created: bool


@dataclass(frozen=True)
class Score:
    round_number: int
    model: str
    day: int
    resolved: bool
    corr: float | None
    mmc: float | None
    payout: Decimal | None
    recorded_at: datetime
    percentile: float | None = None


@dataclass(frozen=True)
class StakeAction:
    id: int
    at: datetime
    model: str
    round_number: int | None
    action: str
    code: str
    amount: Decimal
    stake_before: Decimal
    stake_after: Decimal
    as_of_round: int | None
    reason: str
    dry_run: bool
    server_response: str | None
    error: str | None


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    kind: str
    model: str | None
    round_number: int | None
    message: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Heartbeat:
    agent: str
    at: datetime
    started_at: datetime
    pid: int
    state: str
    beats: int


__all__ = [
    "Event",
    "Heartbeat",
    "ModelVersion",
    "RoundRecord",
    "Score",
    "StakeAction",
    "Submission",
    "SubmissionStart",
    "from_row",
]
