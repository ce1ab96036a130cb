"""``numerpilot validate``: per-era validation scores, as a table, JSON and an HTML report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, out, print_json, state

if TYPE_CHECKING:
    from rich.progress import TaskID
    from rich.table import Table

    from numerpilot.pipeline import ValidationResult

# Shown in --help, which must not import the configuration: the config's FEATURE_SET_NAMES and
# the payout simulation's defaults (pipeline.validate.PayoutParams); a test keeps them equal.
FEATURE_SET_NAMES = ("small", "medium", "all")
CORR_MULTIPLIER, MMC_MULTIPLIER, PAYOUT_FACTOR = 0.5, 2.0, 1.0


def _num(value: float, digits: int = 4, percent: bool = False) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.1%}" if percent else f"{value:.{digits}f}"


def _table(result: ValidationResult) -> Table:
    """Metrics down, scored columns across: fits a terminal for a few models side by side."""
    from rich import box
    from rich.table import Table

    nan = float("nan")
    cols = result.columns
    rows: list[tuple[str, list[str]]] = [
        ("CORR mean", [_num(c.corr_summary.mean) for c in cols]),
        ("CORR Sharpe", [_num(c.corr_summary.sharpe, 2) for c in cols]),
        ("max drawdown", [_num(c.corr_summary.max_drawdown) for c in cols]),
        ("positive eras", [_num(c.corr_summary.positive_eras, percent=True) for c in cols]),
        ("BMC mean", [_num(c.bmc_summary.mean if c.bmc_summary else nan) for c in cols]),
        ("MMC mean", [_num(c.mmc_summary.mean if c.mmc_summary else nan) for c in cols]),
    ]
    if any(c.fnc_summary is not None for c in cols):
        rows.append(
            ("FNC mean", [_num(c.fnc_summary.mean if c.fnc_summary else nan) for c in cols])
        )
    rows += [
        ("max feature exposure", [_num(c.max_feature_exposure_mean, 3) for c in cols]),
        ("corr w/ example", [_num(c.corr_with_example, 3) for c in cols]),
        ("payout / era", [_num(c.payout.mean, percent=True) for c in cols]),
    ]
    table = Table(
        title=f"validation {result.version}: {', '.join(result.sources)}",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("metric", no_wrap=True)
    for c in cols:
        table.add_column(c.name, justify="right", overflow="fold")
    for label, values in rows:
        table.add_row(label, *values)
    return table


def validate_command(
    ctx: typer.Context,
    models: Annotated[
        list[str] | None,
        typer.Argument(
            help="Stored model(s) to score (default: the newest, unless --predictions is given)."
        ),
    ] = None,
    predictions: Annotated[
        list[Path] | None,
        typer.Option(
            "--predictions",
            "-p",
            help="Predictions file (parquet or csv: 'id' and one or more columns); repeatable.",
        ),
    ] = None,
    feature_set: Annotated[
        str,
        typer.Option(help=f"Features for exposure and FNC ({', '.join(FEATURE_SET_NAMES)}, ...)."),
    ] = "medium",
    fnc: Annotated[
        bool, typer.Option("--fnc", help="Also feature-neutral CORR (slow: a regression per era).")
    ] = False,
    corr_multiplier: Annotated[
        float, typer.Option(help="Payout simulation: CORR multiplier.")
    ] = CORR_MULTIPLIER,
    mmc_multiplier: Annotated[
        float, typer.Option(help="Payout simulation: MMC multiplier.")
    ] = MMC_MULTIPLIER,
    payout_factor: Annotated[
        float, typer.Option(help="Payout simulation: payout factor (min(1, 72000 / NMR at risk)).")
    ] = PAYOUT_FACTOR,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write the HTML report to reports/.")
    ] = True,
    json: JsonOption = False,
) -> None:
    """Score validation predictions per era (CORR, MMC, BMC, exposure, drawdown, payout)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from numerpilot.pipeline import file_source, model_source, validate
    from numerpilot.scoring import PayoutParams

    settings = state(ctx).settings()
    sources = [model_source(settings, m) for m in models or []]
    sources += [file_source(p) for p in predictions or []]
    if not sources:
        sources = [model_source(settings, None)]
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def show(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(step, total=total)
        bars.update(tasks[step], completed=done, total=total)

    with bars:
        result = validate(
            settings,
            sources,
            feature_set=feature_set,
            fnc=fnc,
            payout=PayoutParams(corr_multiplier, mmc_multiplier, payout_factor),
            write_report=report,
            progress=show,
        )
    if json:
        print_json({"kind": "validate", **result.as_dict()})
    else:
        out.print(_table(result))
        excluded = (
            f"; {result.test_eras_excluded} test era(s), {result.test_rows_excluded:,} rows "
            "without targets not scored"
            if result.test_rows_excluded
            else ""
        )
        err.print(
            f"{result.eras_scored} eras, {result.rows_scored:,} rows scored; "
            f"BMC against {result.benchmark or 'no benchmark'}; "
            f"MMC on {result.meta_model_eras} era(s) with a meta model{excluded}"
        )
    if result.report_path is not None:
        err.print(f"report: {result.report_path}")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
