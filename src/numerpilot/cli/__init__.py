"""The command line: thin. Parse options, call one use case, render the result, exit code."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape

from numerpilot import __version__
from numerpilot.cli import agent as agent_commands
from numerpilot.cli import dashboard as dashboard_commands
from numerpilot.cli import data as data_commands
from numerpilot.cli import experiment as experiment_commands
from numerpilot.cli import models as models_commands
from numerpilot.cli import project as project_commands
from numerpilot.cli import sim as sim_commands
from numerpilot.cli import submit as submit_commands
from numerpilot.cli import validate as validate_commands
from numerpilot.cli._common import CliState, err
from numerpilot.errors import ExitCode, NumerpilotError
from numerpilot.fsutil import DISK_FULL

app = typer.Typer(
    name="numerpilot",
    help="An autopilot for the Numerai tournament. Run 'numerpilot demo' to see it work locally.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    project: Annotated[
        Path, typer.Option("--project", "-C", help="The project folder (default: here).")
    ] = Path("."),
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            help="Tournament API URL, e.g. a local one from 'numerpilot sim serve'.",
            envvar="NUMERPILOT_API_URL",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = CliState(project_dir=project, api_url=api_url, debug=debug)


for module in (
    project_commands,
    data_commands,
    agent_commands,
    dashboard_commands,
    sim_commands,
    validate_commands,
    models_commands,
    submit_commands,
    experiment_commands,
):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turn numerpilot's errors into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, standalone_mode=False)
    except NumerpilotError as e:
        if debug:
            err.print_exception()
        err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False)
        sys.exit(int(e.exit_code))
    except OSError as e:
        if e.errno not in DISK_FULL:
            raise
        # A write no code path turned into StorageError yet: still one line, not a traceback.
        if debug:
            err.print_exception()
        where = f" ({e.filename})" if e.filename else ""
        err.print(f"[bold red]error:[/] no space left on the disk{escape(where)}", highlight=False)
        sys.exit(int(ExitCode.STORAGE))
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except (click.ClickException, typer._click.exceptions.ClickException) as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; whatever was written is complete or discarded")
        sys.exit(130)
    if code == 130:  # typer turns Ctrl-C inside a command into exit code 130 itself
        err.print("interrupted; whatever was written is complete or discarded")
    sys.exit(code if isinstance(code, int) else int(ExitCode.OK))


__all__ = ["app", "main"]
