"""Fixtures of the autopilot's tests: a stepped clock, a ledger in a temporary folder, and a
local tournament where a round is always open."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from numerpilot.agent import Ledger
from numerpilot.clock import SteppedClock, SystemClock
from numerpilot.sim import CalendarConfig, DataConfig, RunningSim, SimConfig, run_sim

START = datetime(2026, 7, 7, 12, 0, tzinfo=UTC)  # a Tuesday: rounds open at 12:00 UTC


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "numerpilot.db"


@pytest.fixture
def ledger(ledger_path: Path, clock: SteppedClock) -> Iterator[Ledger]:
    with Ledger(ledger_path, clock) as opened:
        yield opened


@pytest.fixture
def live_sim(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    """A tournament on real time where a round is always open (a new one every day)."""
    calendar = CalendarConfig(
        open_weekdays=(0, 1, 2, 3, 4, 5, 6), staking_hours=24.0, staking_hours_by_weekday={}
    )
    config = SimConfig(data=DataConfig(live_rows=200), calendar=calendar)
    with run_sim(
        tmp_path / "sim" / "sim.db", clock=SystemClock(), config=config, datasets_dir=demo_data_dir
    ) as sim:
        yield sim
