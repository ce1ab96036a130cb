"""Data commands: ``data synth``, ``data download``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state
from numerpilot.data import LATEST_VERSION, VERSIONS
from numerpilot.errors import ConfigError, TransientTournamentError

if TYPE_CHECKING:
    from rich.progress import TaskID

OFFLINE_HINT = (
    "no network? rehearse on the local tournament: 'numerpilot sim serve' prints its URL, then "
    "'numerpilot --api-url URL data download'; or 'numerpilot data synth' writes data locally"
)

data_app = typer.Typer(
    help="Dataset files: download them, or make synthetic ones.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@data_app.command("download")
def download(
    ctx: typer.Context,
    version: Annotated[
        str | None,
        typer.Option(help="Dataset version such as v5.3 (default: data.version, else the newest)."),
    ] = None,
    files: Annotated[
        list[str] | None,
        typer.Option(
            "--files", help="File to fetch, repeatable or comma-separated (default: data.files)."
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Download a dataset version into data/VERSION/: resumes partial files, skips complete
    ones, records each file's size and sha256 in data/VERSION/manifest.json."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.table import Table

    from numerpilot.data import download_dataset
    from numerpilot.tournament import NotSent, TournamentClient

    settings = state(ctx).settings()
    names = [n.strip() for f in files for n in f.split(",") if n.strip()] if files else None
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def show(name: str, done: int, total: int | None) -> None:
        if name not in tasks:
            tasks[name] = bars.add_task(name, total=total)
        bars.update(tasks[name], completed=done, total=total)

    # Dataset files need no API key: credentials are not read here.
    try:
        with TournamentClient.from_settings(settings) as client, bars:
            summary = download_dataset(
                client,
                settings.data_dir,
                files=names or settings.data.files,
                version=version or settings.data.version,
                strict=names is not None,
                progress=show,
            )
    except TransientTournamentError as e:
        # No connection at all (the last try never left): offline, or a wrong --api-url.
        if not isinstance(e, NotSent) and not isinstance(e.__cause__, NotSent):
            raise
        raise TransientTournamentError(f"{e}; {OFFLINE_HINT}") from e
    if json:
        print_json({"kind": "data_download", **summary.as_dict()})
        return
    table = Table("file", "status", "size", "sha256", title=f"{summary.directory}")
    for f in summary.files:
        size = f"{f.size:,}" if f.size is not None else ""
        table.add_row(f.name, f.status, size, (f.sha256 or "")[:12])
    out.print(table)
    hint("'numerpilot train'")


class Scale(StrEnum):
    demo = "demo"
    small = "small"
    full = "full"


@data_app.command("synth")
def synth(
    ctx: typer.Context,
    scale: Annotated[
        Scale,
        typer.Option(
            help="demo: seconds, for tests and the demo; small: a laptop-sized world; "
            "full: v5.3's real shapes (~10 GB, a long run)."
        ),
    ] = Scale.demo,
    version: Annotated[
        str | None,
        typer.Option(
            help=f"Dataset version to imitate: {', '.join(VERSIONS)} "
            f"(default: data.version, else {LATEST_VERSION}).",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write VERSION/ into (default: data.dir)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    json: JsonOption = False,
) -> None:
    """Write synthetic Numerai-shaped data where downloads go (data/VERSION/FILE), with the
    best possible predictions beside it in data/VERSION/oracle/."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from numerpilot.data import write_dataset

    settings = state(ctx).settings()
    chosen = version or settings.data.version or LATEST_VERSION
    if chosen not in VERSIONS:
        setting = "--version" if version else "data.version"
        raise ConfigError(f"{setting}: {chosen!r} is not one of {', '.join(VERSIONS)}")
    target = out_dir if out_dir is not None else settings.data_dir
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task(f"synth {chosen} ({scale.value})", total=None)
        result = write_dataset(
            target,
            version=chosen,
            scale=scale.value,
            seed=seed,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if json:
        print_json({"kind": "data_synth", **result.as_dict()})
        return
    table = Table("file", "rows", "eras", "size", title=f"{result.root}")
    for f in result.files:
        table.add_row(f.name, f"{f.rows:,}", f"{f.eras:,}", f"{f.bytes / 1e6:,.1f} MB")
    out.print(table)
    out.print(
        f"oracle per-era corr on validation: {result.oracle_corr_mean:.4f} "
        f"(std {result.oracle_corr_std:.4f}); written in {result.seconds:.1f} s"
    )
    hint("'numerpilot train' (add '--name NAME' to name the model)")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
