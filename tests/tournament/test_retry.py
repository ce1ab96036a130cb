"""The one retry loop: how many tries, which delays (on the clock, never real time), what it
logs and raises, and the deadline it never sleeps past."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from numerpilot.clock import SteppedClock
from numerpilot.errors import TournamentError, TransientTournamentError
from numerpilot.tournament._retry import BACKOFF_MAX_SECONDS, backoff_seconds, retry_on_clock

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LOG = logging.getLogger("tests.retry")


class Flaky:
    """Fails ``failures`` times with ``error``, then answers; records the clock at each try."""

    def __init__(self, clock: SteppedClock, failures: int, error: Exception | None = None):
        self.clock, self.failures = clock, failures
        self.error = error or TransientTournamentError("HTTP 502")
        self.tried_at: list[float] = []

    def __call__(self, n: int) -> str:
        self.tried_at.append((self.clock.now() - START).total_seconds())
        assert n == len(self.tried_at)  # each try is told its number, from 1
        if len(self.tried_at) <= self.failures:
            raise self.error
        return f"answer after {n}"


def test_backoff_doubles_from_one_second_up_to_a_minute() -> None:
    assert [backoff_seconds(a) for a in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff_seconds(0, retry_after=5) == 5  # a server's hint lengthens the wait
    assert backoff_seconds(3, retry_after=5) == 8  # but never shortens it
    assert backoff_seconds(0, retry_after=3600) == BACKOFF_MAX_SECONDS  # within the cap


def test_retries_on_the_clock_and_logs_each_retry(caplog: pytest.LogCaptureFixture) -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=2)
    with caplog.at_level(logging.WARNING, logger="tests.retry"):
        assert retry_on_clock(clock, "q", flaky, retries=3, logger=LOG) == "answer after 3"
    assert flaky.tried_at == [0, 1, 3]  # 1 s, then 2 s, of the clock's time
    assert [r.getMessage() for r in caplog.records] == [
        "q failed (HTTP 502); retry 1/3 in 1 s",
        "q failed (HTTP 502); retry 2/3 in 2 s",
    ]


def test_gives_up_after_one_plus_retries_tries() -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=10)
    with pytest.raises(TransientTournamentError, match=r"^q: HTTP 502 \(gave up after 3 tries\)$"):
        retry_on_clock(clock, "q", flaky, retries=2, logger=LOG)
    assert flaky.tried_at == [0, 1, 3]  # no sleep after the last try
    with pytest.raises(TransientTournamentError, match=r"gave up after 1 try\)$"):
        retry_on_clock(clock, "q", Flaky(clock, failures=1), retries=0, logger=LOG)


def test_the_upload_wording(caplog: pytest.LogCaptureFixture) -> None:
    clock = SteppedClock(START)
    with (
        caplog.at_level(logging.WARNING, logger="tests.retry"),
        pytest.raises(TransientTournamentError, match=r"gave up after 1 tries\)$"),
    ):
        retry_on_clock(clock, "up", Flaky(clock, 5), retries=0, logger=LOG, numbered=False)
    retry_on_clock(clock, "up", Flaky(clock, 1), retries=1, logger=LOG, numbered=False)
    assert caplog.records[-1].getMessage() == "up failed (HTTP 502); retry in 1 s"


def test_other_errors_are_not_retried() -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=1, error=TournamentError("bad query"))
    with pytest.raises(TournamentError, match=r"^bad query$"):
        retry_on_clock(clock, "q", flaky, retries=5, logger=LOG)
    assert flaky.tried_at == [0]


def test_a_failure_that_may_not_be_repeated_is_raised_as_told() -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=1)

    class Unsure(TransientTournamentError):
        pass

    with pytest.raises(Unsure, match=r"^m: HTTP 502 \(not repeated: it may have been applied\)$"):
        retry_on_clock(
            clock,
            "m",
            flaky,
            retries=5,
            logger=LOG,
            repeatable=lambda e: False,
            not_repeatable=Unsure,
        )
    assert flaky.tried_at == [0]
    again = Flaky(clock, failures=1)
    retry_on_clock(
        clock, "m", again, retries=5, logger=LOG, repeatable=lambda e: True, not_repeatable=Unsure
    )
    assert len(again.tried_at) == 2


def test_a_servers_retry_after_is_waited_when_the_caller_reads_it() -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=1)
    retry_on_clock(clock, "q", flaky, retries=1, logger=LOG, retry_after=lambda e: 7.0)
    assert flaky.tried_at == [0, 7]


def test_never_sleeps_past_the_deadline() -> None:
    clock = SteppedClock(START)
    flaky = Flaky(clock, failures=10)
    deadline = START + timedelta(seconds=5)  # room for the 1 s and 2 s waits, not the 4 s one
    with pytest.raises(RuntimeError, match=r"^closed: after 3 tries; last error: HTTP 502$"):
        retry_on_clock(
            clock,
            "up",
            flaky,
            retries=10,
            logger=LOG,
            deadline=deadline,
            on_deadline=lambda detail: RuntimeError(f"closed: {detail}"),
        )
    assert flaky.tried_at == [0, 1, 3] and clock.now() < deadline
    clock.set(deadline)
    late = Flaky(clock, failures=0)
    with pytest.raises(RuntimeError, match=r"^closed: before the first try$"):
        retry_on_clock(
            clock,
            "up",
            late,
            retries=10,
            logger=LOG,
            deadline=deadline,
            on_deadline=lambda detail: RuntimeError(f"closed: {detail}"),
        )
    assert late.tried_at == []
