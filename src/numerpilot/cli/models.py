"""Model commands: ``train``, ``models``, ``predict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from numerpilot.config import Settings
    from numerpilot.models import ModelManifest


class _RichProgress:
    """Steps as lines, the train load as a bar, and one bar with an ETA per booster."""

    def __init__(self, bars: Progress):
        self.bars = bars
        self.load: TaskID | None = None
        self.booster: TaskID | None = None

    def step(self, message: str) -> None:
        self.bars.console.print(f"[dim]{message}[/]", highlight=False)

    def rows(self, done: int, total: int) -> None:
        if self.load is None:
            self.load = self.bars.add_task("binning rows", total=total)
        self.bars.update(self.load, completed=done)

    def start(self, target: str, seed: int, total: int) -> None:
        self.booster = self.bars.add_task(f"{target} seed {seed}", total=total)

    def advance(self, done: int) -> None:
        if self.booster is not None:
            self.bars.update(self.booster, completed=done)

    def finish(self) -> None:
        if self.booster is not None:
            # Early stopping ends a booster before its total: show it as complete.
            task = self.bars.tasks[self.booster]
            self.bars.update(self.booster, total=task.completed)


def _summary(m: ModelManifest) -> dict[str, Any]:
    ensemble = m.validation.get("ensemble")
    return {
        "name": m.name,
        "created": m.created,
        "version": m.data_version,
        "features": len(m.features),
        "targets": m.targets,
        "validation_corr_mean": ensemble.corr_mean if ensemble else None,
        "validation_corr_sharpe": ensemble.corr_sharpe if ensemble else None,
    }


def train(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option(help="Model name (default: VERSION-FEATURESET-DATE). Reuse it to resume."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Train the configured LightGBM ensemble, validate it per era and store it in models/.

    Interrupted? Run the same command again (same --name, or the same day for the default
    name): finished boosters are kept. A finished model is never overwritten, except by
    naming it with --name, which trains it again and replaces it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from numerpilot.clock import SystemClock
    from numerpilot.pipeline import train_model

    settings = state(ctx).settings()
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    with bars:
        report = train_model(settings, clock=SystemClock(), name=name, progress=_RichProgress(bars))
    m = report.manifest
    if json:
        print_json(
            {
                "kind": "train",
                **_summary(m),
                "path": report.path,
                "reused_boosters": report.reused,
                "seconds": report.seconds,
                "validation": {k: v.model_dump() for k, v in m.validation.items()},
                "holdout": {k: v.model_dump() for k, v in m.holdout.items()},
                "cv": None if m.cv is None else m.cv.model_dump(exclude={"per_era"}),
            }
        )
        return
    table = Table("column", "validation corr", "sharpe", "holdout corr", title=f"model {m.name}")
    for column, scores in m.validation.items():
        held = m.holdout.get(column)
        table.add_row(
            column,
            f"{scores.corr_mean:.4f}",
            f"{scores.corr_sharpe:.2f}",
            f"{held.corr_mean:.4f}" if held else "-",
        )
    out.print(table)
    for note in report.notes:
        err.print(f"[dim]{note}[/]", highlight=False)
    if m.cv is not None:
        err.print(
            f"walk-forward CV ({m.cv.folds} folds): corr {m.cv.corr_mean:.4f}, "
            f"sharpe {m.cv.corr_sharpe:.2f}"
        )
    if report.reused:
        err.print(f"resumed: {report.reused} booster(s) from the interrupted run")
    out.print(f"stored {report.path} ({report.seconds:.0f} s)")
    if settings.tournament.models:
        hint(f"'numerpilot validate {m.name}', then 'numerpilot submit --dry-run'")
    else:
        hint(
            f"'numerpilot validate {m.name}'; to take part, 'numerpilot init --model NAME' "
            "(NAME: your model on numer.ai)"
        )


def _promoted(settings: Settings) -> str | None:
    """The model the autopilot promoted last, if it ever ran here (read from its ledger)."""
    if not settings.ledger_path.exists():
        return None
    from numerpilot.agent import Ledger
    from numerpilot.clock import SystemClock

    with Ledger.open(settings, SystemClock()) as ledger:
        version = ledger.promoted_model_version()
    return None if version is None else version.name


@dataclass(frozen=True)
class TournamentChoice:
    """The stored model a tournament model submits, and why (``models --json``'s row)."""

    name: str
    mode: str
    stored_model: str | None  # None: the wanted model is not stored
    wanted_model: str | None
    why: str


def tournament_choices(settings: Settings, stored: list[str]) -> list[TournamentChoice]:
    """Which stored model each tournament model submits: the one its entry pins, else the
    one the autopilot promoted, else the newest (``run`` and ``submit`` choose the same)."""
    promoted = _promoted(settings)
    rows = []
    for entry in settings.tournament.models:
        chosen: str | None
        if entry.model is not None:
            chosen, why = entry.model, "pinned in numerpilot.toml"
        elif promoted is not None:
            chosen, why = promoted, "promoted by the autopilot"
        else:
            chosen, why = (stored[-1] if stored else None), "the newest"
        rows.append(
            TournamentChoice(
                name=entry.name,
                mode=entry.mode,
                stored_model=chosen if chosen in stored else None,
                wanted_model=chosen,
                why=why,
            )
        )
    return rows


def models(ctx: typer.Context, json: JsonOption = False) -> None:
    """List the stored models, oldest first, and which one each tournament model submits."""
    from numerpilot.models import list_models

    settings = state(ctx).settings()
    rows = [_summary(m) for m in list_models(settings.models_path)]
    choices = tournament_choices(settings, [r["name"] for r in rows])
    for r in rows:
        r["submitted_by"] = [c.name for c in choices if c.stored_model == r["name"]]
    if json:
        tournament_models = [asdict(c) for c in choices]
        print_json({"kind": "models", "models": rows, "tournament_models": tournament_models})
        return
    from rich.table import Table

    table = Table(
        "name", "created", "version", "features", "targets", "corr", "sharpe", "submitted by"
    )
    for r in rows:
        corr, sharpe = r["validation_corr_mean"], r["validation_corr_sharpe"]
        table.add_row(
            r["name"],
            f"{r['created']:%Y-%m-%d %H:%M}",
            r["version"],
            str(r["features"]),
            ", ".join(r["targets"]),
            "-" if corr is None else f"{corr:.4f}",
            "-" if sharpe is None else f"{sharpe:.2f}",
            ", ".join(f"[bold]{name}[/]" for name in r["submitted_by"]) or "-",
        )
    out.print(table if rows else f"no models in {settings.models_path}")
    for c in choices:
        if c.stored_model is None:
            err.print(
                f"[yellow]{c.name} has no stored model to submit "
                f"({c.why}: {c.wanted_model or 'none'})[/]"
            )


def predict(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="Stored model name or path (default: the newest).")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="CSV to write (default: predictions/MODEL-live.csv)."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Predict the live data with a stored model: a CSV with id,prediction, ready to submit."""
    from numerpilot.pipeline import predict_live

    settings = state(ctx).settings()
    result = predict_live(settings, model, out=out_file)
    if json:
        print_json(
            {
                "kind": "predict",
                "model": result.model,
                "version": result.version,
                "path": result.path,
                "rows": result.rows,
            }
        )
    else:
        err.print(f"{result.rows:,} live predictions of {result.model} ({result.version})")
        out.print(str(result.path), highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(models)
    app.command()(predict)
