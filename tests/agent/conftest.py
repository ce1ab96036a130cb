"""Fixtures of the autopilot's tests: a stepped clock and a ledger in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import SteppedClock

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
