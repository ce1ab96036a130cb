"""``numerpilot sim serve``: the local tournament, until stopped."""

from __future__ import annotations

import shutil
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from numerpilot.cli._common import JsonOption, err, hint, out, print_json, state

if TYPE_CHECKING:
    from numerpilot.clock import Clock
    from numerpilot.sim import CalendarConfig, SimConfig

sim_app = typer.Typer(
    help="The local tournament: a Numerai-compatible server for rehearsals.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CLOCK_KEY = "clock_now"  # the sim time last served, so an accelerated clock resumes there
_TICK_SECONDS = 0.2  # real time between world updates while no request comes
_SAVE_SECONDS = 1.0
# A rehearsal starts this long after a round opens: inside its window, with all of it ahead.
_INTO_ROUND = timedelta(minutes=1)


def _saved(state_file: Path) -> tuple[datetime | None, SimConfig | None]:
    """The sim time a previous run stopped at, and the world's settings, if it ran."""
    from numerpilot.sim import SimConfig, Store

    if not state_file.exists():
        return None, None
    store = Store(state_file)
    try:
        saved, config = store.get_meta(CLOCK_KEY), store.get_meta("config")
    finally:
        store.close()
    return (
        datetime.fromisoformat(saved) if saved else None,
        SimConfig.model_validate_json(config) if config else None,
    )


def rehearsal_start(when: datetime, calendar: CalendarConfig, *, resume: bool) -> datetime:
    """Where a rehearsal's clock starts so that a round is open: ``when`` itself if a round is
    open then and ``resume`` (a restart keeps its time); else a minute into the next round
    (``resume``) or into the latest round opened by ``when`` (a new world)."""
    from numerpilot.sim import latest_round_at, round_times

    latest = round_times(latest_round_at(when, calendar), calendar)
    if resume:
        if latest.open_time <= when < latest.close_staking_time:
            return when
        return round_times(latest.number + 1, calendar).open_time + _INTO_ROUND
    return latest.open_time + _INTO_ROUND


def _clock(
    state_file: Path,
    config: SimConfig | None,
    *,
    speed: float | None,
    start: datetime | None,
    real_clock: bool,
) -> Clock:
    """The wall clock (``real_clock``), simulated time from ``start``, or a rehearsal: simulated
    time that starts (or resumes) inside an open round."""
    from numerpilot.clock import AcceleratedClock, SystemClock, utc
    from numerpilot.sim import SimConfig

    if real_clock:
        return SystemClock()
    saved, stored = _saved(state_file)
    if start is not None:
        return AcceleratedClock(utc(start), speed or 1.0)
    calendar = (stored or config or SimConfig()).calendar
    when = saved if saved is not None else SystemClock().now()
    return AcceleratedClock(rehearsal_start(when, calendar, resume=saved is not None), speed or 1.0)


def _forget(state_file: Path) -> None:
    """--fresh: the previous world (state, its files and synthetic data) is deleted."""
    for path in (state_file, state_file.parent / f"{state_file.stem}-files"):
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        state_file.with_name(state_file.name + suffix).unlink(missing_ok=True)


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
            help="Simulated time to start at (UTC unless given), e.g. 2026-03-03T12:15:00. "
            "Refused when a state file exists, unless --fresh.",
        ),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Delete the previous world (state file and its data) and start anew."
        ),
    ] = False,
    real_clock: Annotated[
        bool,
        typer.Option(
            "--real-clock",
            help="Follow the wall clock and Numerai's real schedule (rounds open about an hour "
            "a day). Default: a rehearsal whose simulated clock starts, or resumes, in an open "
            "round.",
        ),
    ] = False,
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
    """Serve the local tournament and print its URL and demo credentials; Ctrl-C stops it.

    By default a rehearsal: its simulated clock starts in an open round (or a restart resumes
    where it stopped, moving on to the next round's opening if that one had closed), so
    'submit' and 'run' have a round to work on at once. --real-clock follows the wall clock."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from numerpilot.runtime import model_runner
    from numerpilot.sim import SimServer, load_faults, load_sim_config, serve_in_thread

    if real_clock and (start is not None or speed is not None):
        raise typer.BadParameter("--real-clock runs at real speed from now; drop --start/--speed")
    path = state_file or state(ctx).project_dir / "sim" / "sim.db"
    if fresh:
        _forget(path)
    elif start is not None and path.exists():
        raise typer.BadParameter(
            f"{path} exists and resumes at its own time; add --fresh to start anew at --start "
            "(deletes that world), or drop --start to resume",
            param_hint="--start",
        )
    data = {k: v for k, v in (("seed", seed), ("scale", scale)) if v is not None}
    sim_config = load_sim_config(config, data=data) if (config or data) else None
    clock = _clock(path, sim_config, speed=speed, start=start, real_clock=real_clock)
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
    # Saved at once, not only every second: a kill -9 right after the start must still
    # resume this world at its own time.
    server.store.set_meta(CLOCK_KEY, clock.now().isoformat())
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with serve_in_thread(server, port, tick_seconds=_TICK_SECONDS) as running:
            demo = server.demo
            now, window = clock.now(), _window(clock.now(), server.config.calendar)
            if json:
                print_json(
                    {
                        "kind": "sim_serve",
                        "url": running.url,
                        "public_id": demo.public_id,
                        "secret_key": demo.secret_key,
                        "models": list(demo.models),
                        "state": path,
                        "clock": {"now": now, "speed": getattr(clock, "speed", 1.0)},
                        **window,
                    }
                )
            else:
                out.print(f"local tournament at [bold]{running.url}[/] (state: {path})")
                out.print(f"  NUMERAI_PUBLIC_ID={demo.public_id}")
                out.print(f"  NUMERAI_SECRET_KEY={demo.secret_key}")
                out.print(f"  models: {', '.join(demo.models)}")
                out.print(f"  use it with: numerpilot --api-url {running.url} <command>")
                out.print(f"  {_describe_window(now, window)}")
                err.print("serving; press Ctrl-C to stop")
                hint(
                    f"in another shell: export NUMERAI_PUBLIC_ID={demo.public_id} "
                    f"NUMERAI_SECRET_KEY=...; numerpilot --api-url {running.url} doctor"
                )
            while not stop.wait(_SAVE_SECONDS):  # the sim time, so a restart resumes there
                server.store.set_meta(CLOCK_KEY, clock.now().isoformat())
            server.store.set_meta(CLOCK_KEY, clock.now().isoformat())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.close()
    if not json:
        err.print("stopped")


def _window(now: datetime, calendar: CalendarConfig) -> dict[str, object]:
    """The round open at ``now`` (if any) and when the next one opens, in sim time."""
    from numerpilot.sim import latest_round_at, round_times

    latest = round_times(latest_round_at(now, calendar), calendar)
    is_open = latest.open_time <= now < latest.close_staking_time
    upcoming = round_times(latest.number + 1, calendar)
    return {
        "open_round": latest.number if is_open else None,
        "open_round_closes": latest.close_staking_time if is_open else None,
        "next_round_opens": upcoming.open_time,
    }


def _describe_window(now: datetime, window: dict[str, object]) -> str:
    closes, opens = window["open_round_closes"], window["next_round_opens"]
    at = f"sim time {now:%Y-%m-%d %H:%M} UTC"
    if isinstance(closes, datetime):
        return f"{at}: round {window['open_round']} is open until {closes:%Y-%m-%d %H:%M}"
    assert isinstance(opens, datetime)
    return f"{at}: no round is open; the next opens at {opens:%Y-%m-%d %H:%M}"


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")


__all__ = ["register"]
