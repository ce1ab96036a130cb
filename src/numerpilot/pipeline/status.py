"""``numerpilot status``: what the autopilot has done, summarised from the ledger's records.

Pure: it receives the records (anything shaped like the ledger's, see the protocols below) and
the current time, and returns a ``StatusReport``; reading the ledger happens in ``agent``,
drawing the dashboard in ``report`` (its content comes from ``pipeline.dashboard``). A round
counts as missed for a model when it has closed without a confirmed submission of that model.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from numerpilot.clock import Clock
from numerpilot.config import Settings
from numerpilot.errors import TransientTournamentError

log = logging.getLogger(__name__)

RoundState = Literal["upcoming", "open", "closed", "resolved"]


class RoundLike(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def open_time(self) -> datetime: ...
    @property
    def close_time(self) -> datetime: ...
    @property
    def resolved(self) -> bool: ...


class SubmissionLike(Protocol):
    @property
    def round_number(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def server_id(self) -> str | None: ...
    @property
    def file_sha256(self) -> str: ...
    @property
    def attempted_at(self) -> datetime: ...
    @property
    def error(self) -> str | None: ...


class ScoreLike(Protocol):
    @property
    def round_number(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def day(self) -> int: ...
    @property
    def resolved(self) -> bool: ...
    @property
    def corr(self) -> float | None: ...
    @property
    def mmc(self) -> float | None: ...
    @property
    def payout(self) -> Decimal | None: ...


class StakeActionLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def model(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def stake_after(self) -> Decimal: ...
    @property
    def reason(self) -> str: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class Cell:
    """One model in one round: its submission and its latest score."""

    submission: str  # confirmed | pending | failed | rejected | missed | none
    server_id: str | None = None
    corr: float | None = None
    mmc: float | None = None
    payout: Decimal | None = None
    scored_day: int | None = None
    final: bool = False


@dataclass(frozen=True)
class RoundStatus:
    number: int
    open_time: datetime
    close_time: datetime
    state: RoundState
    models: dict[str, Cell]


@dataclass(frozen=True)
class CumulativePoint:
    round_number: int
    corr: float
    payout: float


@dataclass(frozen=True)
class StakeRow:
    at: datetime
    model: str
    action: str
    code: str
    amount: Decimal
    stake_after: Decimal
    reason: str
    dry_run: bool
    error: str | None


@dataclass(frozen=True)
class ModelSummary:
    model: str
    confirmed: int
    missed: int
    failed: int
    pending: int
    scored_rounds: int
    resolved_rounds: int
    mean_corr: float | None
    mean_mmc: float | None
    total_payout: Decimal
    last_stake: StakeRow | None
    cumulative: list[CumulativePoint] = field(default_factory=list)


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    models: list[ModelSummary]
    rounds: list[RoundStatus]  # newest first
    stakes: list[StakeRow]  # newest first
    records: int  # how many ledger records the report was made from

    @property
    def empty(self) -> bool:
        return self.records == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "empty": self.empty,
            "records": self.records,
            "models": [asdict(m) for m in self.models],
            "rounds": [asdict(r) for r in self.rounds],
            "stakes": [asdict(s) for s in self.stakes],
        }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _state(r: RoundLike, now: datetime) -> RoundState:
    if r.resolved:
        return "resolved"
    if now < r.open_time:
        return "upcoming"
    return "open" if now < r.close_time else "closed"


def _stake_row(a: StakeActionLike) -> StakeRow:
    return StakeRow(
        a.at, a.model, a.action, a.code, a.amount, a.stake_after, a.reason, a.dry_run, a.error
    )


def _latest_scores(scores: Iterable[ScoreLike]) -> dict[tuple[int, str], ScoreLike]:
    latest: dict[tuple[int, str], ScoreLike] = {}
    for s in scores:
        key = (s.round_number, s.model)
        if key not in latest or s.day >= latest[key].day:
            latest[key] = s
    return latest


def _cell(
    r: RoundLike, model: str, now: datetime, subs: list[SubmissionLike], score: ScoreLike | None
) -> Cell:
    # The live submission wins; failed attempts show only when nothing live exists.
    by_status = {s.status: s for s in subs}
    chosen = by_status.get("confirmed") or by_status.get("pending")
    if chosen is None and subs:
        chosen = subs[-1]
    status = chosen.status if chosen is not None else "none"
    if status != "confirmed" and now >= r.close_time:
        status = "missed" if status in ("none", "failed", "rejected") else status
    if score is None:
        return Cell(status, chosen.server_id if chosen else None)
    return Cell(
        status,
        chosen.server_id if chosen else None,
        score.corr,
        score.mmc,
        score.payout,
        score.day,
        score.resolved,
    )


def build_status(
    rounds: Iterable[RoundLike],
    submissions: Iterable[SubmissionLike],
    scores: Iterable[ScoreLike],
    stake_actions: Iterable[StakeActionLike],
    *,
    now: datetime,
    models: Sequence[str] = (),
    recent_rounds: int = 20,
    recent_stakes: int = 20,
) -> StatusReport:
    """The report of everything recorded; ``models`` (the configured ones) always appear."""
    rounds = sorted(rounds, key=lambda r: r.number)
    submissions = list(submissions)
    scores = list(scores)
    latest = _latest_scores(scores)
    stakes = sorted((_stake_row(a) for a in stake_actions), key=lambda a: a.at, reverse=True)
    names = list(dict.fromkeys([*models, *(s.model for s in submissions), *(m for _, m in latest)]))
    names += sorted({a.model for a in stakes} - set(names))

    subs_by: dict[tuple[int, str], list[SubmissionLike]] = defaultdict(list)
    for s in sorted(submissions, key=lambda s: s.attempted_at):
        subs_by[(s.round_number, s.model)].append(s)

    statuses = [
        RoundStatus(
            r.number,
            r.open_time,
            r.close_time,
            _state(r, now),
            {m: _cell(r, m, now, subs_by[(r.number, m)], latest.get((r.number, m))) for m in names},
        )
        for r in rounds
    ]
    summaries = []
    for m in names:
        cells = [rs.models[m] for rs in statuses]
        counts = Counter(c.submission for c in cells)
        failed = sum(1 for s in submissions if s.model == m and s.status in ("failed", "rejected"))
        model_scores = sorted(
            (sc for (_, name), sc in latest.items() if name == m), key=lambda sc: sc.round_number
        )
        points, corr_sum, payout_sum = [], 0.0, 0.0
        for sc in model_scores:
            corr_sum += sc.corr or 0.0
            payout_sum += float(sc.payout or 0)
            points.append(CumulativePoint(sc.round_number, corr_sum, payout_sum))
        summaries.append(
            ModelSummary(
                model=m,
                confirmed=counts["confirmed"],
                missed=counts["missed"],
                failed=failed,
                pending=counts["pending"],
                scored_rounds=len(model_scores),
                resolved_rounds=sum(1 for s in model_scores if s.resolved),
                mean_corr=_mean([s.corr for s in model_scores if s.corr is not None]),
                mean_mmc=_mean([s.mmc for s in model_scores if s.mmc is not None]),
                total_payout=sum((s.payout for s in model_scores if s.payout), Decimal(0)),
                last_stake=next((a for a in stakes if a.model == m), None),
                cumulative=points,
            )
        )
    return StatusReport(
        generated_at=now,
        models=summaries,
        rounds=statuses[::-1][:recent_rounds],
        stakes=stakes[:recent_stakes],
        records=len(rounds) + len(submissions) + len(scores) + len(stakes),
    )


def tournament_clock(settings: Settings) -> Clock:
    """The time rounds are judged by, as ``run`` and ``submit`` do: real time against Numerai;
    a local tournament's own (one quick ping, whose answer carries it) when it runs at another
    speed. If it does not answer, this machine's time, said in the log."""
    # Imported here: the rest of this module is a pure summary, read by the dashboard too.
    # The tournament's face loads only the transport (requests) for this, not numerapi.
    from numerpilot.clock import SystemClock
    from numerpilot.tournament import is_loopback, local_tournament_clock

    url = settings.tournament.api_url
    if url is None or not is_loopback(url):
        return SystemClock()  # Numerai's answers never carry a clock: nothing to ask
    try:
        return local_tournament_clock(url, settings.tournament.request_timeout_seconds)
    except TransientTournamentError as e:
        log.warning("judging rounds by this machine's clock: %s", e)
        return SystemClock()


__all__ = [
    "Cell",
    "CumulativePoint",
    "ModelSummary",
    "RoundLike",
    "RoundStatus",
    "ScoreLike",
    "StakeActionLike",
    "StakeRow",
    "StatusReport",
    "SubmissionLike",
    "build_status",
    "tournament_clock",
]
