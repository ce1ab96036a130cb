"""Running the sim for real on loopback: in a thread (tests, the demo) or in the foreground.

``run_sim(...)`` starts a ``SimServer`` under uvicorn on ``127.0.0.1`` and an ephemeral port in
a daemon thread and yields a ``RunningSim`` with its URL; leaving the block stops it. It is a
real HTTP server, so the unmodified numerapi client talks to it exactly as to Numerai.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn

from numerpilot.clock import Clock, SteppedClock
from numerpilot.errors import NumerpilotError
from numerpilot.sim._accounts import AccountKeys
from numerpilot.sim._config import SimConfig
from numerpilot.sim._faults import FaultConfig
from numerpilot.sim._server import ModelRunner, SimServer

HOST = "127.0.0.1"
# A Tuesday 12:15 UTC: with the default calendar round 1190 is open, its staking closes 13:00.
DEFAULT_START = datetime(2026, 3, 3, 12, 15, tzinfo=UTC)
_START_TIMEOUT = 30.0  # real seconds for uvicorn to bind


@dataclass
class RunningSim:
    server: SimServer
    url: str

    @property
    def clock(self) -> Clock:
        return self.server.clock

    @property
    def demo(self) -> AccountKeys:
        return self.server.demo

    def step(self, delta: timedelta) -> None:
        """Move a stepped clock forward and let the world (and hosted models) catch up."""
        clock = self.server.clock
        if not isinstance(clock, SteppedClock):
            raise TypeError("step() needs the sim to run on a SteppedClock")
        clock.advance(delta)
        self.server.tick()


def _uvicorn(server: SimServer, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        server.app,
        host=HOST,
        port=port,
        lifespan="off",
        log_config=None,  # the host application configures logging, not the library
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def _ticker(server: SimServer, seconds: float, stop: threading.Event) -> None:
    while not stop.wait(seconds):  # real time between updates, whatever the sim clock says
        server.tick()


@contextmanager
def serve_in_thread(
    server: SimServer, port: int = 0, tick_seconds: float | None = None
) -> Iterator[RunningSim]:
    """Serve ``server`` on ``127.0.0.1:port`` (0: any free port) until the block ends.

    Requests bring the world up to date by themselves; ``tick_seconds`` also ticks it every
    that many real seconds in the background, which scores rounds and runs uploaded models
    while nobody asks (a sim on a real or accelerated clock wants it; a stepped one does not).
    """
    uv = _uvicorn(server, port)
    thread = threading.Thread(target=uv.run, name="numerpilot-sim", daemon=True)
    thread.start()
    waiter = threading.Event()
    waited = 0.0
    while not uv.started:
        if not thread.is_alive() or waited > _START_TIMEOUT:
            raise NumerpilotError(f"the local tournament did not start on {HOST}:{port}")
        waiter.wait(0.01)  # real time: waiting for a socket, not for the simulated clock
        waited += 0.01
    bound = uv.servers[0].sockets[0].getsockname()[1]
    stop = threading.Event()
    ticker = None
    if tick_seconds is not None:
        ticker = threading.Thread(
            target=_ticker,
            args=(server, tick_seconds, stop),
            name="numerpilot-sim-tick",
            daemon=True,
        )
        ticker.start()
    try:
        yield RunningSim(server=server, url=f"http://{HOST}:{bound}")
    finally:
        stop.set()
        if ticker is not None:
            ticker.join(timeout=_START_TIMEOUT)
        uv.should_exit = True
        thread.join(timeout=_START_TIMEOUT)


@contextmanager
def run_sim(
    state: Path,
    *,
    clock: Clock,
    config: SimConfig | None = None,
    faults: FaultConfig | None = None,
    model_runner: ModelRunner | None = None,
    datasets_dir: Path | None = None,
    port: int = 0,
    tick_seconds: float | None = None,
) -> Iterator[RunningSim]:
    """Create (or reopen) the sim at ``state`` and serve it in a thread (see
    ``serve_in_thread`` for ``tick_seconds``)."""
    server = SimServer(
        state,
        clock=clock,
        config=config,
        faults=faults,
        model_runner=model_runner,
        datasets_dir=datasets_dir,
    )
    try:
        with serve_in_thread(server, port, tick_seconds) as running:
            yield running
    finally:
        server.close()


__all__ = ["DEFAULT_START", "HOST", "RunningSim", "run_sim", "serve_in_thread"]
