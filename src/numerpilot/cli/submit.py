"""Submission commands: ``submit``, ``upload-model``, ``preflight``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state
from numerpilot.errors import CheckFailed

if TYPE_CHECKING:
    from numerpilot.config import Settings
    from numerpilot.runtime import PreflightReport
    from numerpilot.tournament import TournamentClient

ModelArgument = Annotated[
    str | None,
    typer.Argument(help="Tournament model name (default: the first configured for this mode)."),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Do everything but the upload.")]
NoDownload = Annotated[
    bool, typer.Option("--no-download", help="Use the live data on disk; do not refresh it.")
]


def _client(ctx: typer.Context) -> tuple[TournamentClient, Settings]:
    from numerpilot.credentials import install_redaction, load_credentials
    from numerpilot.tournament import TournamentClient

    settings = state(ctx).settings()
    credentials = load_credentials()
    if credentials is not None:
        install_redaction(credentials)
    # No clock given: real time, or the local tournament's own when it runs at another speed.
    return TournamentClient.from_settings(settings, credentials=credentials), settings


AllowFlagged = Annotated[
    bool,
    typer.Option(
        "--allow-flagged",
        help="Accept a pickle the image's scanner (fickling) rates OVERTLY_MALICIOUS.",
    ),
]


def _report_rows(report: PreflightReport) -> list[tuple[str, str]]:
    rows = [
        ("result", "[green]passed[/]" if report.ok else f"[red]failed: {report.reason}[/]"),
        ("image", f"{report.image} (Python {report.python or '?'})"),
        ("bytecode", report.bytecode),
    ]
    if report.scanner is not None:
        rows.append(("scanner", report.scanner.describe()))
    rows += [
        ("wall time", f"{report.wall_seconds:.1f} s"),
        ("peak memory", f"{report.peak_rss_bytes / 2**20:.0f} MiB"),
        ("rows", str(report.rows)),
    ]
    if report.message:  # a few lines; the whole text is in --json's "detail"
        from rich.markup import escape

        rows.append(("detail", escape(report.message)))
    return rows


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for key, value in rows:
        table.add_row(key, value)
    out.print(table)


def submit(
    ctx: typer.Context,
    model: ModelArgument = None,
    dry_run: DryRun = False,
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions", help="Submit this file instead of predicting with the model."
        ),
    ] = None,
    no_download: NoDownload = False,
    json: JsonOption = False,
) -> None:
    """Predict live, check (Numerai's rules and sanity checks), upload and confirm.

    The upload goes through the ledger as the autopilot's do: ``status`` shows it, and
    ``run`` does not submit the round again."""
    from numerpilot.agent import submit_by_hand

    client, settings = _client(ctx)
    with client:
        result = submit_by_hand(
            settings,
            client=client,
            clock=client.clock,
            model=model,
            predictions_file=predictions,
            dry_run=dry_run,
            download=not no_download,
        )
    if json:
        print_json({"kind": "submit", **result.as_dict()})
        return
    rows = [
        (c.name, f"{c.status} {'' if c.value is None else f'{c.value:.3f}'} {c.detail}")
        for c in result.checks
    ]
    rows.append(("file", f"{result.csv_path} ({result.rows} rows)"))
    if result.submission_id is not None:
        rows.append(("uploaded", f"{result.submission_id} (confirmed, in the ledger)"))
    else:
        rows.append(("uploaded", "no (dry run)"))
    _table(f"{result.model}, round {result.round_number}", rows)
    if result.submission_id is None:
        hint(f"'numerpilot submit {result.model}' uploads it; 'numerpilot run' does it every round")
    else:
        hint("'numerpilot status' shows it; 'numerpilot run' submits every round from now on")


def upload_model(
    ctx: typer.Context,
    model: ModelArgument = None,
    dry_run: DryRun = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Keep the built pickle at this path.")
    ] = None,
    no_download: NoDownload = False,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="Runtime image to build for and upload with, or its Python (e.g. 3.12); "
            "default: the model's runtime_image setting, else Numerai's default.",
        ),
    ] = None,
    portable: Annotated[
        bool,
        typer.Option(
            "--portable",
            help="Build the no-bytecode form instead (loads on any Python; fickling rates it "
            "OVERTLY_MALICIOUS, so uploading it also needs --allow-flagged).",
        ),
    ] = False,
    allow_flagged: AllowFlagged = False,
    json: JsonOption = False,
) -> None:
    """Build the model's pickle for its runtime image, pre-flight it as Numerai runs it, upload,
    confirm. A dry run stays offline and uses the live data on disk.

    The upload is recorded in the ledger as the autopilot's are, so ``run`` keeps it."""
    from numerpilot.agent import record_model_upload
    from numerpilot.pipeline import upload_model as upload_pickle
    from numerpilot.runtime import PreflightFailed

    client, settings = _client(ctx)
    record = None if dry_run else record_model_upload(settings, client, client.clock)
    try:
        with client:
            result = upload_pickle(
                settings,
                client=client,
                on_uploaded=record,
                model=model,
                out=out_file,
                dry_run=dry_run,
                download=not no_download,
                on_build=lambda message: err.print(f"[dim]{message}[/]"),
                image=python,
                portable=portable,
                allow_flagged=allow_flagged,
            )
    except PreflightFailed as failed:  # show the whole report, then fail as usual
        if json:
            report = failed.report.as_dict()
            print_json({"kind": "upload_model", "uploaded": False, "preflight": report})
        else:
            _table(f"pre-flight of {failed.report.image}", _report_rows(failed.report))
        raise
    if json:
        print_json({"kind": "upload_model", **result.as_dict()})
        return
    rows = _report_rows(result.preflight)
    rows += [("pickle", f"{result.size_bytes / 2**20:.1f} MiB sha256 {result.sha256[:12]}")]
    rows += [("form", result.form), ("data version", result.data_version)]
    if result.kept:
        rows.append(("kept at", str(result.pickle_path)))
    rows.append(("uploaded", result.receipt.upload_id if result.receipt else "no (dry run)"))
    from rich.markup import escape

    rows += [("note", escape(note)) for note in result.notes]
    _table(f"{result.model} ({result.stored_model})", rows)
    if result.receipt is None:
        hint(f"'numerpilot upload-model {result.model}' uploads it")
    else:
        hint(
            "Numerai runs the pickle at every round open; 'numerpilot run' keeps it current "
            "after each retrain and records each round's submission"
        )


def preflight(
    ctx: typer.Context,
    pickle_file: Annotated[Path, typer.Argument(help="Any model pickle (.pkl).")],
    live: Annotated[
        Path | None, typer.Option(help="Live parquet (default: the project's).")
    ] = None,
    benchmark: Annotated[Path | None, typer.Option(help="Live benchmark parquet.")] = None,
    image: Annotated[
        str | None,
        typer.Option(help="Runtime image or its Python, e.g. 3.12 (default: the one it needs)."),
    ] = None,
    allow_flagged: AllowFlagged = False,
    json: JsonOption = False,
) -> None:
    """Run a pickle as Numerai's runtime does (pinned packages, 1 CPU, 4 GB, 10 min)."""
    from numerpilot.pipeline import preflight_file

    settings = state(ctx).settings()
    with err.status("pre-flight: running the pickle as Numerai does"):
        report = preflight_file(
            settings,
            pickle_file,
            live=live,
            benchmark=benchmark,
            image=image,
            on_build=lambda message: err.print(f"[dim]{message}[/]"),
            allow_flagged=allow_flagged,
        )
    if json:
        print_json({"kind": "preflight", **report.as_dict()})
    else:
        _table(str(pickle_file), _report_rows(report))
    if not report.ok:
        first = report.message.splitlines()[0] if report.message else ""
        raise CheckFailed(f"pre-flight failed ({report.reason}): {first}")


def register(app: typer.Typer) -> None:
    app.command()(submit)
    app.command("upload-model")(upload_model)
    app.command()(preflight)
