"""The autopilot's research cadence: off by default, then every agent.research_every_days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from numerpilot.agent import Ledger
from numerpilot.agent.research_step import RUN_EVENT, research_due
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings


def test_research_runs_only_when_configured_and_due(tmp_path: Path) -> None:
    clock = SteppedClock(datetime(2026, 3, 3, tzinfo=UTC))
    settings = load_settings(tmp_path)
    with Ledger(tmp_path / "numerpilot.db", clock) as ledger:
        assert settings.agent.research_every_days is None
        assert not research_due(ledger, settings, clock)  # off by default
        settings.agent.research_every_days = 7
        assert not research_due(ledger, settings, clock)  # no experiment named
        settings.research.experiment = "weekly"
        assert research_due(ledger, settings, clock)
        ledger.record_event(RUN_EVENT, "running experiment weekly")
        clock.advance(timedelta(days=6))
        assert not research_due(ledger, settings, clock)
        clock.advance(timedelta(days=1))
        assert research_due(ledger, settings, clock)
