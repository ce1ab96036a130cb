"""Data commands: ``data synth``, ``data download``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from numerpilot.cli._common import JsonOption, err, out, print_json, state
from numerpilot.data.download import download_dataset
from numerpilot.tournament.client import TournamentClient

data_app = typer.Typer(help="Dataset files: download them, or make synthetic ones.", no_args_is_help=True)


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
    with TournamentClient.from_settings(settings) as client, bars:
        summary = download_dataset(
            client,
            settings.data_dir,
            files=names or settings.data.files,
            version=version or settings.data.version,
            strict=names is not None,
            progress=show,
        )
    if json:
        print_json(summary.as_dict())
        return
    table = Table("file", "status", "size", "sha256", title=f"{summary.directory}")
    for f in summary.files:
        size = f"{f.size:,}" if f.size is not None else ""
        table.add_row(f.name, f.status, size, (f.sha256 or "")[:12])
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
