"""Data commands: ``data synth``, ``data download``."""

from __future__ import annotations

import typer

data_app = typer.Typer(help="Dataset files: download them, or make synthetic ones.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
