"""When the worker's next pass runs: its pace around the tournament's rounds and outages.

Soon while a submission of the open round is unfinished (never past the round's close, nor
past the submit deadline an upload-mode fallback needs), else when the tournament says the
next round opens, or a poll interval when it does not say; never later than the next daily
score pull. A pass that failed (the tournament down) backs off by doubling, but keeps the
short retry while a round the ledger knows is open, so that round is not missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from numerpilot.agent._step_context import RETRY_SOON, Outcome
from numerpilot.errors import TournamentError
from numerpilot.tournament import RoundInfo

log = logging.getLogger(__name__)

RETRY = timedelta(minutes=2)  # next try of an unfinished submission, or of a failed pass
# A pass that fails again waits twice as long, up to this (no longer than the poll for a late
# round); while a round the ledger knows is open, every RETRY, so it is not missed. Either
# way the ledger gets one record per doubling of the count, not one every two minutes.
FAILED_PASS_BACKOFF_MAX = timedelta(minutes=15)
POLL = timedelta(minutes=15)  # when the tournament does not say when the next round opens
SCORE_PULL = timedelta(hours=24)  # scores change once a day; each round open pulls too
THROTTLE = timedelta(seconds=5)  # never two passes closer than this


def failed_pass_delay(failed_passes: int, *, round_open: bool) -> timedelta:
    """Wait after the ``failed_passes``-th failed pass in a row: 2, 4, 8 ... minutes up to the
    maximum, or ``RETRY`` while a round is open."""
    if round_open:
        return RETRY
    doubling: int = 2 ** (failed_passes - 1)  # int ** int is typed Any (it may be a float)
    return min(RETRY * doubling, FAILED_PASS_BACKOFF_MAX)


def next_pass(
    now: datetime,
    rnd: RoundInfo | None,
    outcomes: Iterable[Outcome],
    *,
    unfinished: bool,
    last_scores: datetime | None,
    deadline: datetime | None,
    upcoming: Callable[[], RoundInfo | None],
) -> datetime:
    """When the next pass should run, given this pass's ``outcomes`` for round ``rnd``;
    ``deadline`` is the round's submit deadline, ``upcoming`` asks the tournament for the
    next round."""
    found = list(outcomes)
    wakes: list[datetime] = []
    if rnd is not None and rnd.is_open(now) and unfinished:
        soon = any(o in RETRY_SOON for o in found)
        wakes += [now + (RETRY if soon else POLL), rnd.close_staking_time]
        if deadline is not None and any(o is Outcome.WAITING for o in found):
            wakes.append(deadline)  # the fallback must not come late
    else:
        wakes.append(next_open(rnd, now, upcoming))
    if last_scores is not None:
        wakes.append(last_scores + SCORE_PULL)
    return max(now, min(wakes))


def next_open(
    rnd: RoundInfo | None, now: datetime, upcoming: Callable[[], RoundInfo | None]
) -> datetime:
    """When the tournament says the next round opens; a poll when it does not say."""
    if rnd is not None and rnd.open_time > now:  # announced but not open yet
        return rnd.open_time
    try:
        announced = upcoming()
    except TournamentError as e:
        log.info("cannot ask when the next round opens: %s", e)
        announced = None
    if announced is not None and announced.open_time > now:
        return announced.open_time
    return now + POLL


__all__ = [
    "FAILED_PASS_BACKOFF_MAX",
    "POLL",
    "RETRY",
    "SCORE_PULL",
    "THROTTLE",
    "failed_pass_delay",
    "next_open",
    "next_pass",
]
