"""Research commands: ``experiment new|run|status|show|promote``.

Heavy modules (dask, optuna, lightgbm, the ledger) are imported inside the commands, so that
``numerpilot --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from numerpilot.cli._common import JsonOption, err, out, print_json, state
from numerpilot.errors import ConfigError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from numerpilot.research import ExperimentSummary, TrialRecord

experiment_app = typer.Typer(
    help="Search for a better model: experiments as files, trials on Dask, honest scores.",
    no_args_is_help=True,
)

NameArg = Annotated[str, typer.Argument(help="The experiment: experiments/NAME.toml.")]


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


class _RichProgress:
    """Steps as lines; one bar with an ETA per phase of trials; booster bars while promoting."""

    def __init__(self, bars: Progress):
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}
        self.booster: TaskID | None = None

    def step(self, message: str) -> None:
        self.bars.console.print(f"[dim]{message}[/]", highlight=False)

    def trial(self, phase: str, done: int, total: int, record: TrialRecord) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.bars.add_task(f"{phase} trials", total=total)
        self.bars.update(self.tasks[phase], completed=done, total=total)
        status = _num(record.objective) if record.status == "done" else f"failed: {record.error}"
        self.step(
            f"{phase} #{record.number} {record.config.describe()}: {status} "
            f"({record.wall_seconds:.1f} s)"
        )

    def rows(self, done: int, total: int) -> None:
        pass

    def start(self, target: str, seed: int, total: int) -> None:
        self.booster = self.bars.add_task(f"{target} seed {seed}", total=total)

    def advance(self, done: int) -> None:
        if self.booster is not None:
            self.bars.update(self.booster, completed=done)

    def finish(self) -> None:
        if self.booster is not None:
            task = self.bars.tasks[self.booster]
            self.bars.update(self.booster, total=task.completed)


def _bars() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


def new(
    ctx: typer.Context,
    name: NameArg,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
    json: JsonOption = False,
) -> None:
    """Write a commented starting experiment (experiments/NAME.toml) that runs as it is."""
    from numerpilot.fsutil import write_text_atomic
    from numerpilot.research import experiment_path, starter_experiment

    settings = state(ctx).settings()
    path = experiment_path(settings.project_dir, name)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; edit it, or pass --force to start it afresh")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, starter_experiment(name))
    if json:
        print_json({"kind": "experiment_new", "name": name, "path": path})
        return
    out.print(str(path), highlight=False)
    err.print(f"edit it, then: numerpilot experiment run {name}")


def _summary(ctx: typer.Context, name: str) -> tuple[ExperimentSummary, Any]:
    from numerpilot.agent import Ledger, ResearchLedger
    from numerpilot.clock import SystemClock
    from numerpilot.research import experiment_summary

    settings = state(ctx).settings()
    with Ledger.open(settings, SystemClock()) as ledger:
        store = ResearchLedger(ledger)
        record = store.experiment(name)
        if record is None:
            raise ConfigError(
                f"experiment {name!r} has not run yet; run 'numerpilot experiment run {name}'"
            )
        return experiment_summary(store, record), settings


def _write_report(summary: ExperimentSummary, settings: Any) -> Any:
    from numerpilot.research import write_experiment_report

    facts = [
        ("experiment", summary.record.name),
        ("status", summary.record.status),
        ("scouts", f"{len(summary.scouts)} ({summary.failed} failed)"),
        ("trial time", f"{summary.wall_seconds:.0f} s"),
        ("payout multipliers", _multipliers(summary)),
    ]
    return write_experiment_report(summary, facts, settings.reports_path)


def run(
    ctx: typer.Context,
    name: NameArg,
    scheduler: Annotated[
        str | None,
        typer.Option(help="tcp://HOST:PORT of an existing Dask cluster (default: a local one)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Workers of the local cluster (default: sized).")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Run (or resume) an experiment: scouts, the best at full scale, the final holdout."""
    from numerpilot.agent import Ledger, ResearchLedger
    from numerpilot.clock import SystemClock
    from numerpilot.research import plan_experiment, run_experiment, scheduler_address

    settings = state(ctx).settings()
    # Planned before the ledger is opened: a bad file or plan leaves nothing behind.
    plan = plan_experiment(
        settings, name, workers=workers, scheduler=scheduler_address(settings, scheduler)
    )
    with Ledger.open(settings, SystemClock()) as ledger, _bars() as bars:
        report = run_experiment(
            settings,
            plan,
            ResearchLedger(ledger),
            progress=_RichProgress(bars),
            scheduler=scheduler,
        )
    summary, settings = _summary(ctx, name)
    path = _write_report(summary, settings)
    if json:
        from numerpilot.research import summary_json

        print_json(
            {
                "kind": "experiment_run",
                **summary_json(summary),
                "ran": report.ran,
                "reused": report.reused,
                "seconds": report.seconds,
                "workers": report.cluster.workers,
                "lightgbm_threads": report.cluster.lightgbm_threads,
                "dashboard": report.cluster.dashboard,
                "report": path,
            }
        )
        return
    if report.reused:
        err.print(f"resumed: {report.reused} trial(s) were already finished")
    _render(summary)
    out.print(f"report: {path}", highlight=False)


def _multipliers(summary: ExperimentSummary) -> str:
    m = summary.multipliers
    if m is None or not m.multipliers_source:
        return "-"
    return f"{m.corr_multiplier:g} CORR + {m.mmc_multiplier:g} MMC, from {m.multipliers_source}"


def _render(summary: ExperimentSummary) -> None:
    from rich.table import Table

    table = Table(
        "#",
        "configuration",
        "CV corr",
        "CV payout",
        "holdout corr",
        "holdout payout",
        "drop",
        title=f"experiment {summary.record.name}: finalists (best CV first)",
    )
    rows = list(enumerate(summary.finalists, 1))
    for i, f in rows:
        table.add_row(
            str(i),
            f.config.describe(),
            _num(f.cv.corr_mean if f.cv else None),
            _num(f.cv.payout_mean if f.cv else None),
            _num(f.holdout.corr_mean if f.holdout else None),
            _num(f.holdout.payout_mean if f.holdout else None),
            _num(f.drop),
        )
    if summary.baseline is not None and summary.baseline.holdout is not None:
        b = summary.baseline
        table.add_row(
            "-",
            f"configured model: {b.config.describe()}",
            "-",
            "-",
            _num(b.holdout.corr_mean if b.holdout else None),
            _num(b.holdout.payout_mean if b.holdout else None),
            "-",
        )
    out.print(table)
    out.print(f"payout: {_multipliers(summary)}", highlight=False)


def status(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="One experiment (default: all).")] = None,
    json: JsonOption = False,
) -> None:
    """Experiments recorded in the ledger: status, trials done, the winner."""
    from numerpilot.agent import Ledger, ResearchLedger
    from numerpilot.clock import SystemClock

    settings = state(ctx).settings()
    with Ledger.open(settings, SystemClock()) as ledger:
        store = ResearchLedger(ledger)
        records = [r for r in store.experiments() if name is None or r.name == name]
        rows: list[dict[str, Any]] = []
        for r in records:
            trials = store.trials(r.name)
            rows.append(
                {
                    "name": r.name,
                    "status": r.status,
                    "trials_done": sum(1 for t in trials if t.status == "done"),
                    "trials_failed": sum(1 for t in trials if t.status == "failed"),
                    "pending": sum(len(store.pending(r.name, p)) for p in ("scout", "full")),
                    "winner": r.winner,
                    "promoted_model": r.promoted_model,
                    "started_at": r.started_at,
                }
            )
    if json:
        print_json({"kind": "experiment_status", "experiments": rows})
        return
    if not rows:
        out.print("no experiments have run; start with 'numerpilot experiment new NAME'")
        return
    from rich.table import Table

    table = Table("name", "status", "done", "failed", "pending", "winner", "promoted")
    for row in rows:
        table.add_row(
            row["name"],
            row["status"],
            str(row["trials_done"]),
            str(row["trials_failed"]),
            str(row["pending"]),
            row["winner"] or "-",
            row["promoted_model"] or "-",
        )
    out.print(table)


def show(ctx: typer.Context, name: NameArg, json: JsonOption = False) -> None:
    """Finalists with CV beside holdout, the configured model, and the HTML report."""
    from numerpilot.research import summary_json

    summary, settings = _summary(ctx, name)
    path = _write_report(summary, settings)
    if json:
        print_json({"kind": "experiment_show", **summary_json(summary), "report": path})
        return
    _render(summary)
    out.print(f"report: {path}", highlight=False)


def promote(
    ctx: typer.Context,
    name: NameArg,
    if_better: Annotated[
        bool,
        typer.Option(
            "--if-better",
            help="Only if the winner beats the current model on the holdout by "
            "agent.promote_margin (what the autopilot does).",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Train the winner on all eras it may use and make it the model the tournament gets."""
    from numerpilot.agent import Ledger, notifier_from_settings, promote_winner
    from numerpilot.clock import SystemClock

    settings = state(ctx).settings()
    clock = SystemClock()
    with Ledger.open(settings, clock) as ledger, _bars() as bars:
        outcome = promote_winner(
            ledger,
            notifier_from_settings(settings, clock),
            settings,
            name,
            clock,
            margin=settings.agent.promote_margin if if_better else None,
            progress=_RichProgress(bars),
        )
    if json:
        print_json(
            {
                "kind": "experiment_promote",
                "experiment": outcome.experiment,
                "promoted": outcome.promoted,
                "model": outcome.model,
                "reason": outcome.reason,
                "winner_holdout_corr": outcome.winner_holdout_corr,
                "current_model": outcome.current_model,
                "current_holdout_corr": outcome.current_holdout_corr,
            }
        )
        return
    if outcome.promoted:
        out.print(f"promoted {outcome.model}: {outcome.reason}", highlight=False)
    else:
        out.print(f"kept {outcome.current_model}: {outcome.reason}", highlight=False)


experiment_app.command()(new)
experiment_app.command()(run)
experiment_app.command()(status)
experiment_app.command()(show)
experiment_app.command()(promote)


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
