"""``numerpilot sim serve``: the local tournament, until stopped."""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from numerpilot.cli._common import JsonOption, err, out, print_json, state
from numerpilot.clock import AcceleratedClock, Clock, SystemClock, utc
from numerpilot.runtime.runner import model_runner
from numerpilot.sim.config import load_sim_config
from numerpilot.sim.faults import load_faults
from numerpilot.sim.server import SimServer
from numerpilot.sim.store import Store
from numerpilot.sim.testing import serve_in_thread

sim_app = typer.Typer(
    help="The local tournament: a Numerai-compatible server for rehearsals.", no_args_is_help=True
)

CLOCK_KEY = "clock_now"  # the sim time last served, so an accelerated clock resumes there
_TICK_SECONDS = 0.2  # real time between world updates while no request comes
_SAVE_SECONDS = 1.0


def _clock(state_file: Path, speed: float | None, start: datetime | None) -> Clock:
    """Real time; or simulated time from ``start`` (or where a previous run stopped)."""
    if speed is None and start is None:
        return SystemClock()
    saved = None
    if state_file.exists():
        store = Store(state_file)
        try:
            saved = store.get_meta(CLOCK_KEY)
        finally:
            store.close()
    begin = datetime.fromisoformat(saved) if saved else utc(start or SystemClock().now())
    return AcceleratedClock(begin, speed or 1.0)


@sim_app.command("serve")
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
    speed: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="Run simulated time this many times faster (e.g. 10080: a week a minute).",
        ),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
            help="Simulated time to start at (UTC unless given), e.g. 2026-03-03T12:15:00; "
            "a restart resumes where the last run stopped instead.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the synthetic world.")] = None,
    scale: Annotated[
        str | None, typer.Option(help="Synthetic data scale: demo, small or full.")
    ] = None,
    faults: Annotated[
        Path | None, typer.Option(help="Fault injection file (TOML or JSON).", exists=True)
    ] = None,
    state_file: Annotated[
        Path | None,
        typer.Option("--state", help="SQLite state file (default: <project>/sim/sim.db)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Sim settings file (TOML): calendar, payouts, data.")
    ] = None,
    datasets: Annotated[
        Path | None,
        typer.Option(
            help="Serve these dataset files (DIR/VERSION/FILE, as 'data synth' writes them, "
            "same seed and scale) instead of writing new ones.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    run_models: Annotated[
        bool, typer.Option(help="Run uploaded model pickles at every round open.")
    ] = True,
    json: JsonOption = False,
) -> None:
    """Serve the local tournament and print its URL and demo credentials; Ctrl-C stops it."""
    path = state_file or state(ctx).project_dir / "sim" / "sim.db"
    data = {k: v for k, v in (("seed", seed), ("scale", scale)) if v is not None}
    sim_config = load_sim_config(config, data=data) if (config or data) else None
    clock = _clock(path, speed, start)
    with Progress(
        TextColumn("writing synthetic data"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("data", total=None)
        server = SimServer(
            path,
            clock=clock,
            config=sim_config,
            faults=load_faults(faults) if faults else None,
            model_runner=model_runner() if run_models else None,
            datasets_dir=datasets,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with serve_in_thread(server, port, tick_seconds=_TICK_SECONDS) as running:
            demo = server.demo
            if json:
                print_json(
                    {
                        "url": running.url,
                        "public_id": demo.public_id,
                        "secret_key": demo.secret_key,
                        "models": list(demo.models),
                    }
                )
            else:
                out.print(f"local tournament at [bold]{running.url}[/] (state: {path})")
                out.print(f"  NUMERAI_PUBLIC_ID={demo.public_id}")
                out.print(f"  NUMERAI_SECRET_KEY={demo.secret_key}")
                out.print(f"  models: {', '.join(demo.models)}")
                out.print(f"  use it with: numerpilot --api-url {running.url} <command>")
                err.print("serving; press Ctrl-C to stop")
            while not stop.wait(_SAVE_SECONDS):  # the sim time, so a restart resumes there
                server.store.set_meta(CLOCK_KEY, clock.now().isoformat())
            server.store.set_meta(CLOCK_KEY, clock.now().isoformat())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()
    if not json:
        err.print("stopped")


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


__all__ = ["register"]
