"""Fixtures of the tournament tests: the fake tournament on loopback and a stepped clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from numerpilot.clock import SteppedClock
from tests.tournament.fake_api import FakeTournament, serve


@pytest.fixture
def fake() -> Iterator[FakeTournament]:
    with serve(FakeTournament()) as running:
        yield running


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
