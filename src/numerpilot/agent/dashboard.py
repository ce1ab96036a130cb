"""The status use case and the dashboard's data: the ledger read (read-only for the live
dashboard), summarised by ``pipeline``, drawn by ``report``. ``status`` writes the static
copy of the dashboard: one self-contained file (inline SVG, CSS and script, nothing
fetched), so it opens anywhere, offline, and can be mailed as it is."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from numerpilot.agent._ledger_records import Event, Heartbeat, RoundRecord, Score, StakeAction
from numerpilot.agent._ledger_records import Submission as SubmissionRecord
from numerpilot.agent._ledger_snapshot import LedgerSnapshot
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.fsutil import write_text_atomic
from numerpilot.pipeline import StatusReport, build_dashboard, build_status, report_links
from numerpilot.report import EMPTY_MESSAGE, DashboardView, Link, render_dashboard

DASHBOARD_FILE = "dashboard.html"


class LedgerReads(Protocol):
    """What status and the dashboard read: ``Ledger``, or a ``LedgerSnapshot`` of it."""

    def rounds(self) -> list[RoundRecord]: ...
    def submissions(self) -> list[SubmissionRecord]: ...
    def scores(self) -> list[Score]: ...
    def stake_actions(self) -> list[StakeAction]: ...
    def events(self, kind: str) -> list[Event]: ...
    def last_heartbeat(self) -> Heartbeat | None: ...


@dataclass(frozen=True)
class StatusResult:
    report: StatusReport
    dashboard: Path
    ledger: Path
    ledger_found: bool


def collect_status(
    ledger: LedgerReads, now: datetime, models: Sequence[str] = (), recent_rounds: int = 20
) -> StatusReport:
    return build_status(
        ledger.rounds(),
        ledger.submissions(),
        ledger.scores(),
        ledger.stake_actions(),
        now=now,
        models=models,
        recent_rounds=recent_rounds,
    )


def collect_dashboard(
    ledger: LedgerReads | None,
    now: datetime,
    models: Sequence[str],
    links: Sequence[Link] = (),
    upload_models: Collection[str] = (),
) -> DashboardView:
    """The dashboard's content (``None``: no ledger yet, an empty dashboard)."""
    if ledger is None:
        return build_dashboard(
            [],
            [],
            [],
            [],
            [],
            None,
            now=now,
            models=models,
            upload_models=upload_models,
            links=links,
        )
    return build_dashboard(
        ledger.rounds(),
        ledger.submissions(),
        ledger.scores(),
        ledger.stake_actions(),
        ledger.events(kind="fallback"),
        ledger.last_heartbeat(),
        now=now,
        models=models,
        upload_models=upload_models,
        links=links,
    )


def _models(settings: Settings) -> tuple[list[str], set[str]]:
    """The configured models' names, and those Numerai runs from an uploaded pickle."""
    entries = settings.tournament.models
    return [m.name for m in entries], {m.name for m in entries if m.mode == "upload"}


def load_dashboard(settings: Settings, clock: Clock, *, link_prefix: str = "") -> DashboardView:
    """The dashboard from the ledger opened read-only: it never creates, migrates or writes
    it, so it can run beside the autopilot."""
    models, uploads = _models(settings)
    links = report_links(settings.reports_path, link_prefix)
    now = utc(clock.now())
    if not settings.ledger_path.exists():
        return collect_dashboard(None, now, models, links, uploads)
    snapshot = LedgerSnapshot.read(settings.ledger_path)
    if snapshot is not None:
        return collect_dashboard(snapshot, now, models, links, uploads)
    from numerpilot.agent.ledger import Ledger

    # Ledger says why it cannot be read (an older schema to upgrade, a newer one).
    with Ledger(settings.ledger_path, clock, read_only=True) as ledger:
        return collect_dashboard(ledger, now, models, links, uploads)


def status(settings: Settings, clock: Clock, *, recent_rounds: int = 20) -> StatusResult:
    """Summarise the ledger and write the dashboard's static copy. A missing ledger is read as
    an empty one (and is not created: looking must not change anything)."""
    models = [m.name for m in settings.tournament.models]
    path = settings.ledger_path
    now = utc(clock.now())
    links = report_links(settings.reports_path)
    uploads = _models(settings)[1]
    # A current ledger is read without SQLAlchemy (most of status's start-up); any other
    # goes through Ledger, which upgrades an older schema and refuses a newer one.
    snapshot = LedgerSnapshot.read(path) if path.exists() else None
    if snapshot is not None:
        report = collect_status(snapshot, now, models, recent_rounds)
        view = collect_dashboard(snapshot, now, models, links, uploads)
    elif path.exists():
        from numerpilot.agent.ledger import Ledger

        with Ledger(path, clock) as ledger:
            report = collect_status(ledger, now, models, recent_rounds)
            view = collect_dashboard(ledger, now, models, links, uploads)
    else:
        report = build_status([], [], [], [], now=now, models=models)
        view = collect_dashboard(None, now, models, links, uploads)
    target = settings.reports_path / DASHBOARD_FILE
    write_text_atomic(target, render_dashboard(view))
    return StatusResult(report, target, path, path.exists())


__all__ = [
    "DASHBOARD_FILE",
    "EMPTY_MESSAGE",
    "LedgerReads",
    "StatusResult",
    "collect_dashboard",
    "collect_status",
    "load_dashboard",
    "status",
]
