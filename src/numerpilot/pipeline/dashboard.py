"""The dashboard's content from the ledger's records: per model and round, how it took part
(confirmed, fallback, missed, failed), its scores, payout and percentile; its stake
decisions; the current round and what the autopilot will do next; links to the reports.

Pure, like ``status``: records and the current time in, a ``DashboardView`` out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from numerpilot.pipeline.status import (
    RoundLike,
    RoundStatus,
    StakeActionLike,
    SubmissionLike,
    build_status,
)
from numerpilot.pipeline.status import ScoreLike as StatusScoreLike
from numerpilot.report import CurrentRound, DashboardView, Link, ModelView, RoundView, StakeView

EXPERIMENTS_DIR = "experiments"  # research/ writes its report folder here, under reports/
MAX_ROUNDS = 120  # the per-round charts show at most this many recent rounds
# A heartbeat older than this (plus the configured interval) means the autopilot is not running.
STALE = timedelta(hours=1)


class ScoreLike(StatusScoreLike, Protocol):
    """A score as the status reads it, with the round's percentile the dashboard draws."""

    @property
    def percentile(self) -> float | None: ...


class StakeLike(StakeActionLike, Protocol):
    @property
    def round_number(self) -> int | None: ...


class EventLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def round_number(self) -> int | None: ...
    @property
    def message(self) -> str: ...


class HeartbeatLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def state(self) -> str: ...


def report_links(reports: Path, prefix: str = "") -> list[Link]:
    """The validation and experiment reports found in ``reports`` (``validate-NAME.html``,
    ``experiment-NAME.html``), and an experiments folder's index page if there is one."""
    links = []
    if reports.is_dir():
        for kind, label in (("validate", "validation"), ("experiment", "experiment")):
            for path in sorted(reports.glob(f"{kind}-*.html")):
                name = path.stem.removeprefix(f"{kind}-")
                links.append(Link(f"{label}: {name}", prefix + path.name))
        index = reports / EXPERIMENTS_DIR / "index.html"
        if index.is_file():
            links.append(Link("experiments", f"{prefix}{EXPERIMENTS_DIR}/index.html"))
    return links


def _round_view(
    status: RoundStatus,
    model: str,
    failed: set[tuple[int, str]],
    fallbacks: dict[tuple[int, str], str],
    scores: dict[tuple[int, str], ScoreLike],
) -> RoundView:
    cell = status.models[model]
    key = (status.number, model)
    state, note = cell.submission, ""
    if state == "confirmed" and key in fallbacks:
        state, note = "fallback", fallbacks[key]
    elif state in ("missed", "failed", "rejected") and key in failed:
        state = "failed"  # attempted, and no attempt reached the server
    elif state == "rejected":
        state = "failed"
    score = scores.get(key)
    return RoundView(
        number=status.number,
        submission=state,
        corr=cell.corr,
        mmc=cell.mmc,
        payout=cell.payout,
        percentile=None if score is None else score.percentile,
        resolved=cell.final,
        day=cell.scored_day,
        note=note,
    )


def _stake_view(a: StakeLike) -> StakeView:
    mode = "dry run" if a.dry_run else ("failed" if a.error else "done")
    return StakeView(a.at, a.round_number, a.action, a.amount, a.stake_after, a.reason, mode)


def _current(statuses: Sequence[RoundStatus], now: datetime) -> CurrentRound | None:
    live = [r for r in statuses if r.state in ("open", "upcoming")]
    chosen = live[0] if live else (statuses[-1] if statuses else None)
    if chosen is None or chosen.state == "resolved":
        return None
    left = max((chosen.close_time - now).total_seconds(), 0.0)
    return CurrentRound(chosen.number, chosen.state, chosen.close_time, left)


def _when(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M UTC")


def _next_action(
    model: str, current: CurrentRound | None, statuses: Sequence[RoundStatus], upload: bool
) -> str:
    if current is None:
        return "waits for the next round to open"
    cell = next(r.models[model] for r in statuses if r.number == current.number)
    if current.state == "upcoming":
        if upload:
            return f"Numerai will run the uploaded model in round {current.number}"
        return f"will submit to round {current.number} once it opens"
    if current.state == "open":
        if upload and cell.submission != "confirmed":
            return (
                f"Numerai runs the uploaded model in round {current.number}; the autopilot "
                "records the submission its run makes"
            )
        if cell.submission == "confirmed":
            return (
                f"round {current.number} is submitted; next: collect scores, "
                f"then round {current.number + 1}"
            )
        return (
            f"will submit to round {current.number} before it closes at {_when(current.close_time)}"
        )
    return f"round {current.number} has closed; waits for the next round and collects scores"


def _agent_line(heartbeat: HeartbeatLike | None, now: datetime) -> str:
    if heartbeat is None:
        return "The autopilot has not run here yet (start it with 'numerpilot run')."
    age = now - heartbeat.at
    minutes = int(age.total_seconds() // 60)
    ago = f"{minutes // 60} h {minutes % 60:02d} min ago" if minutes >= 60 else f"{minutes} min ago"
    return f"Last heartbeat {ago} ({_when(heartbeat.at)}), state: {heartbeat.state}."


def build_dashboard(
    rounds: Iterable[RoundLike],
    submissions: Iterable[SubmissionLike],
    scores: Iterable[ScoreLike],
    stake_actions: Iterable[StakeLike],
    events: Iterable[EventLike],
    heartbeat: HeartbeatLike | None,
    *,
    now: datetime,
    models: Sequence[str] = (),
    upload_models: Collection[str] = (),
    links: Sequence[Link] = (),
) -> DashboardView:
    """The dashboard of everything recorded; ``models`` (the configured ones) always appear;
    ``upload_models``: those Numerai runs from an uploaded pickle."""
    rounds, submissions = list(rounds), list(submissions)
    scores, stakes = list(scores), list(stake_actions)
    report = build_status(
        rounds,
        submissions,
        scores,
        stakes,
        now=now,
        models=models,
        recent_rounds=MAX_ROUNDS,
        recent_stakes=len(stakes),
    )
    statuses = report.rounds[::-1]  # oldest first
    latest: dict[tuple[int, str], ScoreLike] = {}
    for s in scores:
        key = (s.round_number, s.model)
        if key not in latest or s.day >= latest[key].day:
            latest[key] = s
    failed = {(s.round_number, s.model) for s in submissions if s.status in ("failed", "rejected")}
    fallbacks: dict[tuple[int, str], str] = {}
    for e in events:
        if e.kind == "fallback" and e.model is not None and e.round_number is not None:
            fallbacks.setdefault((e.round_number, e.model), e.message)
    current = _current(statuses, now)
    views = []
    for summary in report.models:
        m = summary.model
        views.append(
            ModelView(
                name=m,
                rounds=[_round_view(r, m, failed, fallbacks, latest) for r in statuses],
                stakes=sorted((_stake_view(a) for a in stakes if a.model == m), key=lambda a: a.at),
                next_action=_next_action(m, current, statuses, m in upload_models),
            )
        )
    return DashboardView(
        generated_at=now,
        round_numbers=[r.number for r in statuses],
        models=views,
        current=current,
        agent=_agent_line(heartbeat, now),
        links=list(links),
        records=report.records,
    )


__all__ = ["EXPERIMENTS_DIR", "build_dashboard", "report_links"]
