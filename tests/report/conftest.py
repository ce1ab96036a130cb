"""Fixtures of the page tests: a project whose ledger holds a simulated month, and the
dashboard's app served on loopback in a thread (as the user runs it, minus the browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from numerpilot.agent import Ledger, load_dashboard
from numerpilot.clock import SteppedClock
from numerpilot.config import Settings, load_settings
from numerpilot.report._app import REFRESH_SECONDS, REPORTS_PREFIX, bind, create_app
from tests.report.month import MODELS, START, Month, fill_month

# demo_upload as the demo has it: Numerai runs its uploaded pickle.
PROJECT_TOML = (
    f'[[tournament.models]]\nname = "{MODELS[0]}"\n'
    f'[[tournament.models]]\nname = "{MODELS[1]}"\nmode = "upload"\n'
)


@dataclass(frozen=True)
class Project:
    settings: Settings
    clock: SteppedClock
    month: Month


@dataclass(frozen=True)
class Served:
    url: str
    project: Project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    folder = tmp_path_factory.mktemp("project")
    (folder / "numerpilot.toml").write_text(PROJECT_TOML, encoding="utf-8")
    settings = load_settings(folder)
    clock = SteppedClock(START)
    with Ledger.open(settings, clock) as ledger:
        month = fill_month(ledger, clock)
    reports = settings.reports_path
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "validate-demo.html").write_text("<!doctype html><p>report</p>", encoding="utf-8")
    return Project(settings, clock, month)


@pytest.fixture(scope="module")
def served(project: Project, request: pytest.FixtureRequest) -> Iterator[Served]:
    """The app on a free loopback port; a test module may set ``REFRESH_SECONDS``."""
    app = create_app(
        lambda: load_dashboard(project.settings, project.clock, link_prefix=REPORTS_PREFIX),
        project.settings.reports_path,
        refresh_seconds=getattr(request.module, "REFRESH_SECONDS", REFRESH_SECONDS),
    )
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    ready = threading.Event()
    for _ in range(3000):  # real time: waiting for a socket, not for a simulated clock
        if server.started or not thread.is_alive():
            break
        ready.wait(0.01)
    assert server.started, "the dashboard did not start"
    port = sock.getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}/", project)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
