"""Fixtures of the sim's tests: numerapi pointed at the running sim, on the sim's clock."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Callable

import numerapi
import numerapi.base_api
import pytest

from numerpilot.sim import RunningSim


def sim_datetime_module(now: Callable[[], dt.datetime]) -> types.SimpleNamespace:
    """numerapi's ``datetime`` module with ``datetime.now`` reading the sim's clock.

    ``check_round_open``/``check_new_round`` compare the round times with the machine's clock;
    a stepped sim lives elsewhere in time.
    """

    class SimDateTime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> SimDateTime:  # type: ignore[override]
            value = now()
            return value if tz is None else value.astimezone(tz)  # type: ignore[return-value]

    return types.SimpleNamespace(datetime=SimDateTime, timedelta=dt.timedelta, date=dt.date)


@pytest.fixture
def sim(sim_server: RunningSim) -> RunningSim:
    return sim_server


@pytest.fixture
def napi(sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> numerapi.NumerAPI:
    """numerapi with the demo account's keys, talking to the sim."""
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", sim.url)
    monkeypatch.setattr(numerapi.base_api, "datetime", sim_datetime_module(sim.clock.now))
    return numerapi.NumerAPI(sim.demo.public_id, sim.demo.secret_key, show_progress_bars=False)
