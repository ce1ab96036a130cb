"""``numerpilot demo``: the demo world (``_world.py``), then the autopilot's month in it:
the upload-mode model's pickle pre-flighted and uploaded, every round entered by both models,
scores and payouts pulled, stakes decided; then the ledger's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from numerpilot.agent import (
    PICKLE_EVENT,
    Ledger,
    Notifier,
    ResearchLedger,
    TournamentServices,
    Worker,
    adopt,
    notifier_from_settings,
    promote_winner,
    status,
)
from numerpilot.clock import monotonic
from numerpilot.config import CONFIG_FILE
from numerpilot.demo._world import (
    DEMO_DAYS,
    EXPERIMENT,
    SIM_START,
    SPEED,
    DemoProgress,
    DemoWorld,
    demo_world,
    train_and_validate,
)
from numerpilot.fsutil import write_text_atomic
from numerpilot.pipeline import StatusReport
from numerpilot.research.plan import plan_experiment
from numerpilot.research.promote import train_winner
from numerpilot.research.results import experiment_summary
from numerpilot.research.runner import run_experiment
from numerpilot.research.store import TrialRecord


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
    experiment: dict[str, object]  # the demo experiment: trials, and the two models it gave
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
            "experiment": self.experiment,
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


class _TrialSteps:
    """The experiment's progress as the demo's steps."""

    def __init__(self, world: DemoWorld):
        self.world = world

    def step(self, message: str) -> None:
        self.world.step(message)

    def trial(self, phase: str, done: int, total: int, record: TrialRecord) -> None:
        score = "failed" if record.objective is None else f"{record.objective:.4f}"
        self.world.step(f"  {phase} trial {done}/{total}: {record.config.describe()}: {score}")


def _experiment(world: DemoWorld, ledger: Ledger, notifier: Notifier) -> dict[str, object]:
    """Run the demo experiment, promote its winner (demo_csv submits the promoted model) and
    pin demo_upload to the runner-up: two configurations from one experiment."""
    settings, clock = world.settings, world.clock
    world.step(f"experiment {EXPERIMENT!r}: a handful of trials as Dask tasks, scored out of fold")
    store = ResearchLedger(ledger)
    plan = plan_experiment(settings, EXPERIMENT)
    # Thread workers: the trials are small, and a process cluster's start costs seconds.
    run = run_experiment(settings, plan, store, progress=_TrialSteps(world), processes=False)
    promoted = promote_winner(
        ledger, notifier, settings, EXPERIMENT, clock, progress=world.progress
    )
    record = store.experiment(EXPERIMENT)
    assert record is not None  # it has just run
    finalists = experiment_summary(store, record).finalists
    runner_up = finalists[1] if len(finalists) > 1 else finalists[0]
    trained = train_winner(settings, EXPERIMENT, runner_up.config, clock=clock)
    second = trained.name
    config = settings.project_dir / CONFIG_FILE
    text = config.read_text(encoding="utf-8")
    for entry in settings.tournament.models:
        if entry.mode == "upload":
            entry.model = second
            text = text.replace(
                f'name = "{entry.name}"\nmode = "upload"\n',
                f'name = "{entry.name}"\nmode = "upload"\nmodel = "{second}"\n',
            )
    write_text_atomic(config, text)
    world.step(f"demo_csv submits the winner {promoted.model}; demo_upload the runner-up {second}")
    return {
        "trials": run.ran + run.reused,
        "winner": promoted.model,
        "runner_up": second,
        "winner_holdout_corr": promoted.winner_holdout_corr,
    }


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
            notifier = notifier_from_settings(settings, clock)
            research = _experiment(world, ledger, notifier)
            phases["experiment"] = monotonic() - started - sum(phases.values())
            for entry in settings.tournament.models:
                if entry.mode != "upload":
                    continue
                world.step(
                    f"building {entry.name}'s pickle, pre-flighting it in the runtime "
                    "emulator (1 CPU, 4 GB, no network) and uploading it"
                )
                done = services.upload_pickle(entry, entry.model or str(research["winner"]))
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
            worker = Worker(settings, ledger, notifier, services, clock)
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
        model=str(research["winner"]),
        validation_corr=trained.validation_corr,
        experiment=research,
        rounds=len({s.round_number for s in confirmed}),
        confirmed=len(confirmed),
        sim_days=sim_days,
        seconds=monotonic() - started,
        phases=phases,
    )


__all__ = ["DemoResult", "run_demo"]
