"""The command line: thin. Parse options, call one use case, render the result, exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

# typer vendors click: its usage errors and exceptions are these, not the click package's.
from typer._click.exceptions import ClickException, UsageError

from numerpilot.cli import agent as agent_commands
from numerpilot.cli import agents as agents_commands
from numerpilot.cli import dashboard as dashboard_commands
from numerpilot.cli import data as data_commands
from numerpilot.cli import experiment as experiment_commands
from numerpilot.cli import models as models_commands
from numerpilot.cli import project as project_commands
from numerpilot.cli import sim as sim_commands
from numerpilot.cli import submit as submit_commands
from numerpilot.cli import validate as validate_commands
from numerpilot.cli._common import CliState, err, print_json, printed_json
from numerpilot.errors import ExitCode, NumerpilotError
from numerpilot.fsutil import DISK_FULL
from numerpilot.schemas import error_document, numerpilot_error_document


def _escape(text: str) -> str:
    """rich's markup escape, imported when an error is shown (not at start-up)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


app = typer.Typer(
    name="numerpilot",
    help="An autopilot for the Numerai tournament. Run 'numerpilot demo' to see it work locally.",
    no_args_is_help=True,
    add_completion=False,
    # Plain click help: rich's help formatter alone would take most of the start-up budget.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from numerpilot import __version__

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
    import logging

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
    agents_commands,
    experiment_commands,
):
    module.register(app)


def _json_requested(args: list[str]) -> bool:
    return "--json" in args[: args.index("--")] if "--" in args else "--json" in args


def _error_json(document: dict[str, object], *, as_json: bool, before: int) -> None:
    """The error as the one JSON document, unless the command printed its own already."""
    if as_json and printed_json() == before:
        print_json(document)


def _fail(
    code: ExitCode, message: str, *, as_json: bool, before: int, document: dict[str, object]
) -> None:
    """One line on stderr, the JSON error on stdout under --json, then the exit code."""
    err.print(f"[bold red]error:[/] {_escape(message)}", highlight=False)
    _error_json(document, as_json=as_json, before=before)
    sys.exit(int(code))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turn numerpilot's errors into one line and an exit code
    (and, under --json, a JSON error document on stdout)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:  # the answer needs no command tree: skip building it
        from numerpilot import __version__

        typer.echo(__version__)
        sys.exit(int(ExitCode.OK))
    debug = "--debug" in args
    as_json = _json_requested(args)
    before = printed_json()  # in-process callers (tests, the MCP server) run main repeatedly
    try:
        code = app(args=args, standalone_mode=False)
    except NumerpilotError as e:
        if debug:
            err.print_exception()
        document = numerpilot_error_document(e)
        _fail(e.exit_code, str(e), as_json=as_json, before=before, document=document)
    except OSError as e:
        if e.errno not in DISK_FULL:
            message = f"unexpected {type(e).__name__}: {e}"
            _error_json(error_document(ExitCode.FAILURE, message), as_json=as_json, before=before)
            raise
        # A write no code path turned into StorageError yet: still one line, not a traceback.
        if debug:
            err.print_exception()
        where = f" ({e.filename})" if e.filename else ""
        message = f"no space left on the disk{where}"
        document = error_document(ExitCode.STORAGE, message)
        _fail(ExitCode.STORAGE, message, as_json=as_json, before=before, document=document)
    except typer.Abort:
        _interrupted(as_json, before)
    except UsageError as e:
        # Usage errors get their own code (64), apart from configuration errors (2).
        _error_json(
            error_document(ExitCode.USAGE, e.format_message()), as_json=as_json, before=before
        )
        e.show()
        sys.exit(int(ExitCode.USAGE))
    except ClickException as e:
        _error_json(
            error_document(ExitCode.FAILURE, e.format_message()), as_json=as_json, before=before
        )
        e.show()
        sys.exit(e.exit_code)
    except typer.Exit as e:
        if e.exit_code == ExitCode.INTERRUPTED:
            _interrupted(as_json, before)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        _interrupted(as_json, before)
    except Exception as e:
        # A bug: Python prints the traceback and exits 1; a program reading --json output
        # still gets one JSON document saying so.
        message = f"unexpected {type(e).__name__}: {e}"
        _error_json(error_document(ExitCode.FAILURE, message), as_json=as_json, before=before)
        raise
    if code == ExitCode.INTERRUPTED:  # typer turns Ctrl-C inside a command into 130 itself
        _interrupted(as_json, before)
    sys.exit(code if isinstance(code, int) else int(ExitCode.OK))


def _interrupted(as_json: bool, before: int) -> None:
    message = "interrupted; whatever was written is complete or discarded"
    _error_json(error_document(ExitCode.INTERRUPTED, message), as_json=as_json, before=before)
    err.print(message)
    sys.exit(int(ExitCode.INTERRUPTED))


__all__ = ["app", "main"]
