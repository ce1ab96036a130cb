"""Project commands: ``init`` and ``doctor``."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from numerpilot.cli._common import JsonOption, err, out, print_json, state
from numerpilot.config import CONFIG_FILE, starter_toml
from numerpilot.credentials import Credentials, default_credentials_path, write_credentials
from numerpilot.errors import CheckFailed
from numerpilot.fsutil import write_text_atomic
from numerpilot.pipeline.doctor import run_checks


def init(
    ctx: typer.Context,
    public_id: Annotated[
        str | None,
        typer.Option(help="Numerai API public id; writes ~/.numerai/credentials.json (0600)."),
    ] = None,
    secret_key: Annotated[
        str | None,
        typer.Option(
            help="Numerai API secret key (prompted for, hidden, if --public-id is given)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing numerpilot.toml.")] = False,
) -> None:
    """Make this folder a numerpilot project: a commented numerpilot.toml and its folders."""
    root = state(ctx).project_dir
    target = root / CONFIG_FILE
    if target.exists() and not force:
        err.print(f"{target} exists; kept it (use --force to overwrite)")
    else:
        write_text_atomic(target, starter_toml())
        err.print(f"wrote {target}")
    for sub in ("data", "models", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    if public_id:
        secret = secret_key or getpass.getpass("Numerai secret key: ")
        path = write_credentials(Credentials(public_id, secret, source="init"))
        err.print(f"wrote {path} (mode 600)")
    elif secret_key:
        raise typer.BadParameter("--secret-key needs --public-id")


def doctor(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check config, credentials, API, disk, memory and runtime images; say what to fix."""
    cli = state(ctx)
    checks = run_checks(
        cli.project_dir, api_url=cli.api_url, credentials_path=default_credentials_path()
    )
    if json:
        print_json([c.as_dict() for c in checks])
    else:
        table = Table("check", "status", "detail")
        style = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
        for c in checks:
            table.add_row(c.name, f"[{style[c.status]}]{c.status}[/]", c.detail)
        out.print(table)
    blocking = [c for c in checks if c.status == "fail"]
    if blocking:
        raise CheckFailed(
            f"{len(blocking)} check(s) failed: " + ", ".join(c.name for c in blocking)
        )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(doctor)
