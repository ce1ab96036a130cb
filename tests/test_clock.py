"""Clocks: simulated time that moves only when told, and real time sped up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from numerpilot.clock import AcceleratedClock, SteppedClock, SystemClock, sleep_until, utc

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


def test_system_clock_is_aware_and_monotonic_moves_forward():
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo == UTC and now.year >= 2024
    a = clock.monotonic()
    assert clock.monotonic() >= a
