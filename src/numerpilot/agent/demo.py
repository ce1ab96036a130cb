"""``numerpilot demo``: the pipeline's demo world (``pipeline.demo``), then the autopilot's
month in it: the upload-mode model's pickle pre-flighted and uploaded, every round entered by
both models, scores and payouts pulled, stakes decided; then the ledger's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from numerpilot.agent.dashboard import status
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import notifier_from_settings
from numerpilot.agent.retrain import adopt
from numerpilot.agent.round_step import PICKLE_EVENT
from numerpilot.agent.services import TournamentServices
from numerpilot.agent.worker import Worker
from numerpilot.clock import monotonic
from numerpilot.pipeline.demo import (
    DEMO_DAYS,
    SIM_START,
    SPEED,
    DemoProgress,
    demo_world,
    train_and_validate,
)
from numerpilot.pipeline.status import StatusReport


@dataclass(frozen=True)
class DemoResult:
    project: Path
    report: StatusReport
    dashboard: Path
    validation_report: Path | None
    ledger: Path
    notifications: Path | None
    model: str
    validation_corr: float | None
    rounds: int
    confirmed: int
    sim_days: float
    seconds: float
    phases: dict[str, float]  # real seconds of each part

    def as_dict(self) -> dict[str, object]:
        return {
            "project": self.project,
            "model": self.model,
            "validation_corr": self.validation_corr,
            "rounds": self.rounds,
            "confirmed_submissions": self.confirmed,
            "simulated_days": self.sim_days,
            "seconds": self.seconds,
            "phases": self.phases,
            "validation_report": self.validation_report,
            "dashboard": self.dashboard,
            "ledger": self.ledger,
            "notifications": self.notifications,
            "status": self.report.as_dict(),
        }


def _summary(ledger: Ledger) -> str:
    confirmed = [s for s in ledger.submissions(limit=200) if s.status == "confirmed"]
    latest = max((s.round_number for s in confirmed), default=None)
    resolved = len(ledger.scores(resolved_only=True))
    where = f"round {latest}" if latest is not None else "before the first round"
    return f"{where}, {len(confirmed)} submissions confirmed, {resolved} round scores resolved"


def run_demo(
    project: Path,
    *,
    progress: DemoProgress | None = None,
    days: float = DEMO_DAYS,
    speed: float = SPEED,
) -> DemoResult:
    """The whole demo in ``project`` (an empty folder or a previous demo's)."""
    started = monotonic()
    phases: dict[str, float] = {}
    with demo_world(project, progress, days=days, speed=speed) as world:
        phases["tournament start"] = monotonic() - started
        trained = train_and_validate(world)
        phases["data, training, validation"] = monotonic() - started - sum(phases.values())
        settings, clock = world.settings, world.clock
        services = TournamentServices(settings, world.client, clock)
        with Ledger.open(settings, clock) as ledger:
            adopt(ledger, services, trained.model)
            for entry in settings.tournament.models:
                if entry.mode != "upload":
                    continue
                world.step(
                    f"building {entry.name}'s pickle, pre-flighting it in the runtime "
                    "emulator (1 CPU, 4 GB, no network) and uploading it"
                )
                done = services.upload_pickle(entry, trained.model)
                phases["pickle pre-flight and upload"] = (
                    monotonic() - started - sum(phases.values())
                )
                ledger.record_event(
                    PICKLE_EVENT,
                    f"{entry.name}: uploaded the pickle of {done.model_version}",
                    model=entry.name,
                    details={
                        "model_version": done.model_version,
                        "upload_id": done.upload_id,
                        "sha256": done.sha256,
                    },
                )
            world.step(
                f"the autopilot takes part for {days:g} simulated days "
                f"({speed:,.0f}x real time while it waits)"
            )
            clock.status = lambda: _summary(ledger)
            worker = Worker(
                settings, ledger, notifier_from_settings(settings, clock), services, clock
            )
            worker.run(until=SIM_START + timedelta(days=days))
            worker.run_once()  # the month's last scores and payouts
            confirmed = [s for s in ledger.submissions() if s.status == "confirmed"]
            phases["simulated month"] = monotonic() - started - sum(phases.values())
        shown = status(settings, clock, recent_rounds=8)
        sim_days = (clock.now() - SIM_START).total_seconds() / 86400
    notify_log = settings.agent.notify_log
    notified = settings.path(notify_log) if notify_log is not None else None
    return DemoResult(
        project=project,
        report=shown.report,
        dashboard=shown.dashboard,
        validation_report=trained.report,
        ledger=settings.ledger_path,
        # None when nothing needed a person's attention (heartbeats are not notifications).
        notifications=notified if notified is not None and notified.exists() else None,
        model=trained.model,
        validation_corr=trained.validation_corr,
        rounds=len({s.round_number for s in confirmed}),
        confirmed=len(confirmed),
        sim_days=sim_days,
        seconds=monotonic() - started,
        phases=phases,
    )


__all__ = ["DemoResult", "run_demo"]
