"""What the dashboard shows, as typed values: built from the ledger by ``pipeline.dashboard``,
drawn by ``report.dashboard``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# How a model took part in a round, in the order a person reads them.
SUBMISSION_STATES = ("confirmed", "fallback", "pending", "missed", "failed", "none")


@dataclass(frozen=True)
class RoundView:
    """One model in one round."""

    number: int
    submission: str  # one of SUBMISSION_STATES
    corr: float | None = None
    mmc: float | None = None
    payout: Decimal | None = None
    percentile: float | None = None  # of CORR among all models, 0..1
    resolved: bool = False
    day: int | None = None  # the latest scoring day
    note: str = ""  # why a fallback or a failure happened


@dataclass(frozen=True)
class StakeView:
    at: datetime
    round_number: int | None
    action: str
    amount: Decimal
    stake_after: Decimal
    reason: str
    mode: str  # done | dry run | failed


@dataclass(frozen=True)
class ModelView:
    name: str
    rounds: list[RoundView]  # one per round of DashboardView.round_numbers, oldest first
    stakes: list[StakeView]  # oldest first
    next_action: str


@dataclass(frozen=True)
class CurrentRound:
    number: int
    state: str  # upcoming | open | closed
    close_time: datetime
    seconds_to_close: float


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class DashboardView:
    generated_at: datetime
    round_numbers: list[int]  # the x axis of every per-round chart, oldest first
    models: list[ModelView]
    current: CurrentRound | None
    agent: str  # what the autopilot's heartbeat says
    links: list[Link]
    records: int  # ledger records the view was made from

    @property
    def empty(self) -> bool:
        return self.records == 0


__all__ = [
    "SUBMISSION_STATES",
    "CurrentRound",
    "DashboardView",
    "Link",
    "ModelView",
    "RoundView",
    "StakeView",
]
