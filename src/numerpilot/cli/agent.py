"""Autopilot commands: ``run`` (the worker), ``status`` and ``demo``."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from numerpilot.agent import PassReport, StatusResult, Worker
    from numerpilot.demo import DemoResult

# The demo's defaults (numerpilot.demo's DEMO_DAYS and SPEED; a test keeps them equal):
# spelled out here because importing the demo for its --help would load the whole tournament.
DEMO_DAYS = 28.0
DEMO_SPEED = 80_000.0

# The worker checks for a stop at least this often while it waits.
NAP = timedelta(seconds=5)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:+.4f}"


def _render(result: StatusResult) -> None:
    from rich.table import Table

    from numerpilot.agent import EMPTY_MESSAGE

    report = result.report
    if report.empty:
        out.print(EMPTY_MESSAGE)
        return
    models = Table(
        "model",
        "confirmed",
        "missed",
        "failed",
        "resolved",
        "mean corr",
        "mean mmc",
        "payout NMR",
        "last stake decision",
        title="Models",
    )
    for m in report.models:
        stake = "–"
        if m.last_stake is not None:
            mode = "dry run" if m.last_stake.dry_run else "done"
            stake = f"{m.last_stake.action} {m.last_stake.amount} ({mode}): {m.last_stake.reason}"
        models.add_row(
            m.model,
            str(m.confirmed),
            str(m.missed),
            str(m.failed),
            str(m.resolved_rounds),
            _num(m.mean_corr),
            _num(m.mean_mmc),
            f"{m.total_payout:+.4f}",
            stake,
        )
    out.print(models)
    names = [m.model for m in report.models]
    rounds = Table("round", "state", "closes (UTC)", *names, title="Recent rounds")
    style = {
        "confirmed": "green",
        "pending": "yellow",
        "missed": "red",
        "failed": "red",
        "rejected": "red",
        "none": "dim",
    }
    for r in report.rounds:
        cells = []
        for name in names:
            c = r.models[name]
            text = f"[{style.get(c.submission, '')}]{c.submission}[/]"
            if c.corr is not None or c.payout is not None:
                text += f" corr {_num(c.corr)} mmc {_num(c.mmc)}"
            if c.payout is not None:
                text += f" payout {c.payout:+.4f}"
            cells.append(text)
        rounds.add_row(str(r.number), r.state, r.close_time.strftime("%Y-%m-%d %H:%M"), *cells)
    out.print(rounds)
    if report.stakes:
        stakes = Table(
            "time (UTC)",
            "model",
            "action",
            "amount",
            "stake after",
            "mode",
            "reason",
            title="Stake decisions",
        )
        for s in report.stakes:
            mode = "dry run" if s.dry_run else ("failed" if s.error else "done")
            stakes.add_row(
                s.at.strftime("%Y-%m-%d %H:%M"),
                s.model,
                s.action,
                str(s.amount),
                str(s.stake_after),
                mode,
                s.reason,
            )
        out.print(stakes)


def status(
    ctx: typer.Context,
    json: JsonOption = False,
    rounds: Annotated[int, typer.Option(min=1, help="How many recent rounds to show.")] = 10,
) -> None:
    """Rounds, submissions, scores, payouts and stakes from the ledger; writes the dashboard."""
    from numerpilot.agent import status as collect
    from numerpilot.pipeline import tournament_clock

    settings = state(ctx).settings()
    result = collect(settings, tournament_clock(settings), recent_rounds=rounds)
    if json:
        print_json(
            {
                "kind": "status",
                **result.report.as_dict(),
                "dashboard": result.dashboard,
                "ledger": result.ledger,
                "ledger_found": result.ledger_found,
            }
        )
        return  # the document says all of it; no console is needed (nor rich's import)
    _render(result)
    if not result.ledger_found:
        err.print(f"no ledger at {result.ledger} yet")
    err.print(f"dashboard: {result.dashboard}")


def _render_pass(report: PassReport) -> None:
    from rich.table import Table

    table = Table("model", "outcome", title=f"Round {report.round.number}" if report.round else "")
    for model, outcome in report.outcomes.items():
        table.add_row(model, outcome.value)
    if report.outcomes:
        out.print(table)
    elif report.round is None:
        out.print("no round has opened yet")
    else:
        out.print(f"round {report.round.number} is not open; nothing to submit")
    for note in report.notes:
        err.print(note)
    for error in report.errors:
        err.print(f"[yellow]{error}[/]")
    waiting = _waiting(report)
    if waiting is not None:
        hint(waiting)


def _waiting(report: PassReport) -> str | None:
    """What the autopilot waits for after a pass, and until when (None: nothing announced)."""
    if report.next_pass is None:
        return None
    until = f"{report.next_pass:%Y-%m-%d %H:%M} UTC"
    rnd = report.round
    if rnd is None:
        why = "no round has opened yet"
    elif not rnd.is_open(report.at):
        why = f"round {rnd.number} is closed; waiting for the next to open"
    elif report.errors:
        why = f"round {rnd.number}: retrying what failed"
    else:
        why = f"round {rnd.number}: done for now"
    return f"{why}; next pass at {until}"


def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="One pass (settle, submit if a round is open, scores, stakes), then exit: "
            "0 done, 6 something to retry, 7 rejected.",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Take part in every round, unattended: submit each configured model before the close,
    retrain on the cadence, pull scores and payouts, apply the stake policy.

    Everything goes to the ledger; a restart (even after kill -9) resumes without a duplicate
    or a missing submission. SIGTERM or Ctrl-C stops it between steps."""
    from numerpilot.agent import Ledger, TournamentServices, Worker, notifier_from_settings
    from numerpilot.credentials import install_redaction, require_credentials
    from numerpilot.tournament import TournamentClient

    settings = state(ctx).settings()
    credentials = require_credentials()
    install_redaction(credentials)
    logging.getLogger("numerpilot.agent").setLevel(logging.INFO)
    # The client's clock: real time, or the local tournament's own when it runs at another
    # speed, so round windows and naps follow the tournament's time.
    client = TournamentClient.from_settings(settings, credentials=credentials)
    clock = client.clock
    with client, Ledger.open(settings, clock) as ledger:
        client.sync_clock()  # before anything reads the time
        notifier = notifier_from_settings(settings, clock, secrets=credentials.secrets)
        services = TournamentServices(settings, client, clock)
        worker_type = Worker if once else _saying_what_next(Worker)
        worker = worker_type(settings, ledger, notifier, services, clock, nap=NAP)
        if once:
            report = worker.run_once()
            if json:
                print_json({"kind": "run_pass", **report.as_dict()})
            else:
                _render_pass(report)
            raise typer.Exit(int(report.exit_code()))

        def stop(_signum: int, _frame: FrameType | None) -> None:
            err.print("stopping after the current step")
            worker.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        models = ", ".join(m.name for m in settings.tournament.models)
        err.print(f"numerpilot is running for {models}; ledger {settings.ledger_path}")
        try:
            worker.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        err.print(f"stopped after {worker.passes} passes")


def _saying_what_next(base: type[Worker]) -> type[Worker]:
    """The worker, telling after each pass what it waits for and until when (stderr)."""

    class Talking(base):  # type: ignore[misc, valid-type]
        def run_pass(self) -> PassReport:
            report: PassReport = super().run_pass()
            waiting = _waiting(report)
            if waiting is not None:
                err.print(f"[dim]{waiting}[/]", highlight=False)
            return report

    return Talking


class _DemoProgress:
    """Steps as lines; downloads, training and the month as bars."""

    def __init__(self, bars: Progress):
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}
        self.booster: TaskID | None = None

    def _task(self, key: str, description: str, total: float | None) -> TaskID:
        if key not in self.tasks:
            self.tasks[key] = self.bars.add_task(description, total=total)
        return self.tasks[key]

    def step(self, message: str) -> None:
        self.bars.console.print(f"[bold]·[/] {message}", highlight=False)

    def download(self, name: str, done: int, total: int | None) -> None:
        task = self._task(f"file {name}", f"  {name}", total)
        self.bars.update(task, completed=done, total=total)

    def rows(self, done: int, total: int) -> None:
        self.bars.update(self._task("rows", "  loading rows", total), completed=done)

    def start(self, target: str, seed: int, total: int) -> None:
        self.booster = self.bars.add_task(f"  {target} (seed {seed})", total=total)

    def advance(self, done: int) -> None:
        if self.booster is not None:
            self.bars.update(self.booster, completed=done)

    def finish(self) -> None:
        if self.booster is not None:  # early stopping ends a booster before its total
            self.bars.update(self.booster, total=self.bars.tasks[self.booster].completed)

    def month(self, day: float, days: float, summary: str) -> None:
        task = self._task("month", "  simulated days", days)
        self.bars.update(task, completed=day, description=f"  day {day:4.1f}: {summary}")


def _render_demo(result: DemoResult) -> None:
    from rich.table import Table

    from numerpilot.agent import StatusResult

    _render(StatusResult(result.report, result.dashboard, result.ledger, True))
    corr = "–" if result.validation_corr is None else f"{result.validation_corr:+.4f}"
    out.print(
        f"{result.rounds} rounds, {result.confirmed} confirmed submissions in "
        f"{result.sim_days:.0f} simulated days; model {result.model} (validation corr {corr}); "
        f"{result.seconds:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in result.phases.items())
        + ")"
    )
    paths = Table("what", "where", title="Reports", show_header=False)
    if result.validation_report is not None:
        paths.add_row("validation report", str(result.validation_report))
    paths.add_row("dashboard", str(result.dashboard))
    paths.add_row("ledger", str(result.ledger))
    if result.notifications is not None:
        paths.add_row("notifications", str(result.notifications))
    out.print(paths)


def demo(
    ctx: typer.Context,
    days: Annotated[
        float, typer.Option(min=0.1, help="Simulated days the autopilot takes part.")
    ] = DEMO_DAYS,
    speed: Annotated[
        float, typer.Option(min=1.0, help="Simulated seconds per real second while it waits.")
    ] = DEMO_SPEED,
    json: JsonOption = False,
) -> None:
    """numerpilot's whole job on the built-in local tournament, in a few minutes, offline:
    data, training, validation, a CSV model and an uploaded model taking part in a simulated
    month of rounds, scores, payouts and stakes. Needs no credentials and no network."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from numerpilot.demo import run_demo

    project = state(ctx).project_dir
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    with bars:
        result = run_demo(project, progress=_DemoProgress(bars), days=days, speed=speed)
    if json:
        print_json({"kind": "demo", **result.as_dict()})
    else:
        _render_demo(result)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
    app.command()(demo)
