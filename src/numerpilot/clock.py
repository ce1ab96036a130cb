"""Time, from one place.

Nothing outside this module reads the wall clock or sleeps: everything receives a ``Clock``.
That is what lets the local tournament run a simulated month in minutes, and tests step time
without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What every time-aware component gets: the current time and a way to wait."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


def utc(dt: datetime) -> datetime:
    """``dt`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


class SteppedClock:
    """Simulated time that moves only when told to; ``sleep`` moves it at once.

    Shared between threads (a server and an agent in one process): all access is locked.
    """

    def __init__(self, start: datetime):
        self._now = utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(timedelta(seconds=seconds))

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``; time never runs backwards."""
        when = utc(when)
        with self._lock:
            if when < self._now:
                raise ValueError(f"clock cannot go back from {self._now} to {when}")
            self._now = when


class AcceleratedClock:
    """Simulated time running ``speed`` times faster than real time from ``start``."""

    def __init__(self, start: datetime, speed: float, base: SystemClock | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._base = base or SystemClock()
        self._start = utc(start)
        self._real_start = self._base.monotonic()
        self.speed = speed

    def now(self) -> datetime:
        elapsed = self._base.monotonic() - self._real_start
        return self._start + timedelta(seconds=elapsed * self.speed)

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds / self.speed)


# The local tournament's announcement of its own time, on every response when its clock runs
# at another speed than real time: "<ISO time>; speed=<factor>". Numerai never sends it.
SERVER_CLOCK_HEADER = "X-Numerpilot-Sim-Clock"


def format_server_clock(now: datetime, speed: float) -> str:
    return f"{utc(now).isoformat()}; speed={speed:g}"


def parse_server_clock(value: str) -> tuple[datetime, float]:
    """``(time, speed)`` of a ``SERVER_CLOCK_HEADER`` value; ValueError if malformed."""
    when, _, rest = value.partition(";")
    key, _, number = rest.strip().partition("=")
    if key != "speed":
        raise ValueError(f"no speed in {value!r}")
    speed = float(number)
    if not speed > 0:
        raise ValueError(f"speed must be positive in {value!r}")
    return utc(datetime.fromisoformat(when.strip())), speed


class ServerTime:
    """Real time, until the tournament announces a simulated one; then that time.

    Against Numerai this is the system clock. A local tournament running faster than real time
    (``numerpilot sim serve --speed``) announces its time and speed on every response, and from
    then on ``now`` is the server's time, extrapolated at its speed, and ``sleep`` waits the
    matching real time: so "is the round open" and "wake up at the next round" mean the
    server's round, not the wall clock's. Once following, time never runs backwards (a late
    announcement behind the extrapolated time holds it still instead).
    """

    def __init__(self, base: SystemClock | None = None):
        self._base = base or SystemClock()
        self._lock = threading.Lock()
        self._anchor: tuple[datetime, float] | None = None  # (server time, local monotonic)
        self.speed = 1.0
        self._last: datetime | None = None

    @property
    def following(self) -> bool:
        return self._anchor is not None

    def follow(self, server_now: datetime, speed: float) -> None:
        """The server said its time is ``server_now`` and runs ``speed`` times real time."""
        with self._lock:
            if self._anchor is None:
                self._last = None  # the switch from real time to the server's may go back
            self._anchor = (utc(server_now), self._base.monotonic())
            self.speed = speed

    def now(self) -> datetime:
        with self._lock:
            if self._anchor is None:
                current = self._base.now()
            else:
                at, mono = self._anchor
                elapsed = self._base.monotonic() - mono
                current = at + timedelta(seconds=elapsed * self.speed)
            if self._last is not None and current < self._last:
                current = self._last
            self._last = current
            return current

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds / self.speed)


def sleep_until(clock: Clock, when: datetime) -> None:
    """Wait on ``clock`` until ``when`` (returns at once if it has passed)."""
    remaining = (utc(when) - clock.now()).total_seconds()
    if remaining > 0:
        clock.sleep(remaining)


def monotonic() -> float:
    """Real elapsed seconds, for measuring durations (progress, ETAs, benchmarks)."""
    return time.monotonic()


__all__ = [
    "SERVER_CLOCK_HEADER",
    "AcceleratedClock",
    "Clock",
    "ServerTime",
    "SteppedClock",
    "SystemClock",
    "format_server_clock",
    "monotonic",
    "parse_server_clock",
    "sleep_until",
    "utc",
]
