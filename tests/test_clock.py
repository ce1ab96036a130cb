"""Clocks: simulated time that moves only when told, and real time sped up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from numerpilot.clock import (
    AcceleratedClock,
    ServerTime,
    SteppedClock,
    SystemClock,
    format_server_clock,
    parse_server_clock,
    sleep_until,
    utc,
)

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_utc_makes_aware_utc_datetimes():
    assert utc(datetime(2026, 1, 1, 12)) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    cet = timezone(timedelta(hours=1))
    converted = utc(datetime(2026, 1, 1, 13, tzinfo=cet))
    assert converted == datetime(2026, 1, 1, 12, tzinfo=UTC) and converted.tzinfo == UTC


def test_stepped_clock_moves_only_when_told():
    clock = SteppedClock(datetime(2026, 11, 24, 12, 0))  # naive: taken as UTC
    assert clock.now() == START and clock.now().tzinfo == UTC
    clock.sleep(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.sleep(0)
    clock.sleep(-5)
    assert clock.now() == START + timedelta(seconds=90)
    assert clock.advance(timedelta(hours=1)) == START + timedelta(hours=1, seconds=90)


def test_stepped_clock_never_goes_back():
    clock = SteppedClock(START)
    clock.set(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(START)


def test_stepped_clock_is_safe_across_threads():
    clock = SteppedClock(START)

    def step() -> None:
        for _ in range(1000):
            clock.sleep(1)

    threads = [threading.Thread(target=step) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == START + timedelta(seconds=4000)


def test_sleep_until():
    clock = SteppedClock(START)
    sleep_until(clock, START - timedelta(hours=1))  # passed: returns at once
    assert clock.now() == START
    sleep_until(clock, datetime(2026, 11, 24, 13, 30))  # naive: UTC
    assert clock.now() == START + timedelta(hours=1, minutes=30)


class FakeBase(SystemClock):
    """Real-time base whose monotonic time and sleeps are recorded, not real."""

    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def test_accelerated_clock_runs_speed_times_faster():
    base = FakeBase()
    clock = AcceleratedClock(START, speed=3600, base=base)
    assert clock.now() == START
    base.t += 2.0  # two real seconds are two simulated hours
    assert clock.now() == START + timedelta(hours=2)
    clock.sleep(7200)  # two simulated hours take two real seconds
    assert base.slept == [2.0]
    assert clock.now() == START + timedelta(hours=4)
    with pytest.raises(ValueError, match="speed must be positive"):
        AcceleratedClock(START, speed=0)


def test_system_clock_is_the_system_time_in_utc_and_monotonic_moves_forward():
    clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo == UTC and before <= now <= after
    a = clock.monotonic()
    assert clock.monotonic() >= a


class FakeWallBase(FakeBase):
    """FakeBase whose wall clock reads START plus the fake monotonic time elapsed."""

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t - 100.0)


def test_server_time_is_real_time_until_a_server_announces_its_own():
    base = FakeWallBase()
    clock = ServerTime(base)
    assert not clock.following and clock.now() == START
    clock.sleep(30)
    assert base.slept == [30.0] and clock.now() == START + timedelta(seconds=30)

    sim = datetime(2026, 3, 3, 12, 15, tzinfo=UTC)
    clock.follow(sim, speed=3600)
    assert clock.following and clock.now() == sim
    base.t += 0.5  # half a real second is half a simulated hour
    assert clock.now() == sim + timedelta(minutes=30)
    clock.sleep(3600)  # a simulated hour takes a real second
    assert base.slept[-1] == 1.0 and clock.now() == sim + timedelta(minutes=90)


def test_server_time_never_runs_backwards():
    base = FakeWallBase()
    clock = ServerTime(base)
    sim = datetime(2026, 3, 3, 12, 15, tzinfo=UTC)
    clock.follow(sim, speed=100)
    base.t += 1.0
    ahead = clock.now()
    assert ahead == sim + timedelta(seconds=100)
    clock.follow(sim + timedelta(seconds=60), speed=100)  # the server is behind our estimate
    assert clock.now() == ahead
    base.t += 1.0
    assert clock.now() == sim + timedelta(seconds=160)


def test_server_clock_header_round_trips_and_refuses_nonsense():
    when = datetime(2026, 3, 3, 12, 15, 1, 500000, tzinfo=UTC)
    assert parse_server_clock(format_server_clock(when, 10080)) == (when, 10080.0)
    for bad in ("2026-03-03T12:15:00+00:00", "2026-03-03T12:15:00+00:00; speed=0", "x; speed=2"):
        with pytest.raises(ValueError):
            parse_server_clock(bad)
