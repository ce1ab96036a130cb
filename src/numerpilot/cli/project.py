"""Project commands: ``init`` and ``doctor``."""

from __future__ import annotations

import getpass
import re
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state

if TYPE_CHECKING:
    from numerpilot.config import ModelEntry

_MODEL_NAME = re.compile(r"[A-Za-z0-9_]+")


def _model_entry(spec: str) -> ModelEntry:
    from numerpilot.config import ModelEntry

    name, _, mode = spec.partition(":")
    if not _MODEL_NAME.fullmatch(name) or mode not in ("", "csv", "upload"):
        raise typer.BadParameter(
            f"{spec!r}: expected NAME, NAME:csv or NAME:upload (NAME: letters, digits, _)",
            param_hint="--model",
        )
    return ModelEntry(name=name, mode="upload" if mode == "upload" else "csv")


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
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="A tournament model to take part with, NAME (predictions as CSV) or "
            "NAME:upload (Numerai runs its pickle); repeatable. Added to an existing file too.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing numerpilot.toml.")] = False,
) -> None:
    """Make this folder a numerpilot project: a commented numerpilot.toml and its folders."""
    from numerpilot.config import CONFIG_FILE
    from numerpilot.config_file import add_models_toml, starter_toml
    from numerpilot.credentials import Credentials, write_credentials
    from numerpilot.fsutil import write_text_atomic

    if secret_key and not public_id:
        raise typer.BadParameter("--secret-key needs --public-id")
    entries = [_model_entry(spec) for spec in model or []]
    root = state(ctx).project_dir
    target = root / CONFIG_FILE
    if target.exists() and not force:
        if entries:
            before = target.read_text(encoding="utf-8")
            after = add_models_toml(before, entries)
            if after != before:
                write_text_atomic(target, after)
                err.print(f"added model(s) to {target}")
        err.print(f"{target} exists; kept its settings (use --force to overwrite)")
    else:
        write_text_atomic(target, starter_toml(entries))
        err.print(f"wrote {target}")
    for sub in ("data", "models", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    if public_id:
        secret = secret_key or getpass.getpass("Numerai secret key: ")
        path = write_credentials(Credentials(public_id, secret, source="init"))
        err.print(f"wrote {path} (mode 600)")
    hint(
        "'numerpilot doctor' says what is missing; then 'numerpilot data download' "
        "(or 'numerpilot data synth' to rehearse offline)"
    )


def doctor(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check config, credentials, API, data, models, disk, memory and runtime images; say what
    to fix. Exit 8 when something blocks running."""
    from numerpilot.credentials import default_credentials_path
    from numerpilot.errors import CheckFailed
    from numerpilot.pipeline import run_checks

    cli = state(ctx)
    checks = run_checks(
        cli.project_dir, api_url=cli.api_url, credentials_path=default_credentials_path()
    )
    blocking = [c for c in checks if c.status == "fail"]
    if json:
        print_json({"kind": "doctor", "ok": not blocking, "checks": [c.as_dict() for c in checks]})
    else:
        from rich.table import Table

        table = Table("check", "status", "detail")
        style = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
        for c in checks:
            table.add_row(c.name, f"[{style[c.status]}]{c.status}[/]", c.detail)
        out.print(table)
    if blocking:
        raise CheckFailed(
            f"{len(blocking)} check(s) failed: " + ", ".join(c.name for c in blocking)
        )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(doctor)
