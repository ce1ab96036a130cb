"""``numerpilot dashboard``: the local web app over the ledger (read-only), refreshing while
the autopilot runs."""

from __future__ import annotations

from typing import Annotated

import typer

from numerpilot.cli._common import err, state


def dashboard(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback needs --allow-remote.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: a free one).")] = 0,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Do not open the page in a browser.")
    ] = False,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Serve on a non-loopback address (shows stakes)."),
    ] = False,
) -> None:
    """Serve the dashboard on this machine (Ctrl-C stops it); the ledger is only read."""
    # Heavy imports here: the rest of the CLI must start fast.
    import webbrowser

    import uvicorn

    from numerpilot.agent import load_dashboard
    from numerpilot.pipeline import tournament_clock
    from numerpilot.report import REPORTS_PREFIX, bind, create_app

    settings = state(ctx).settings()
    sock = bind(host, port, allow_remote=allow_remote)
    clock = tournament_clock(settings)  # as 'status' judges rounds (a local one's own time)
    app = create_app(
        lambda: load_dashboard(settings, clock, link_prefix=REPORTS_PREFIX),
        settings.reports_path,
    )
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    url = f"http://{shown}:{bound_port}/"
    typer.echo(url)
    err.print(f"dashboard of {settings.ledger_path} (read-only); Ctrl-C stops it")
    if not no_open:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)


__all__ = ["register"]
