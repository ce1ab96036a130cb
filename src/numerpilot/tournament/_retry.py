"""The one retry loop of ``tournament/``: tries again after a transient failure, backing off
on numerpilot's ``Clock`` (never ``time.sleep``), so tests step time instead of waiting.

Both users (a single request in ``transport``, a whole upload in ``_upload_steps``) share the
same tries (one plus ``retries``) and the same backoff (``backoff_seconds``); what differs is
passed in: whether a failure may be repeated at all, whether a server's Retry-After counts,
and a deadline not to sleep past.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from numerpilot.clock import Clock
from numerpilot.errors import TransientTournamentError

T = TypeVar("T")

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Delay before retry ``attempt`` (0-based): 1, 2, 4, ... s, at most a minute; a server's
    Retry-After is honoured within the same cap."""
    delay = min(BACKOFF_FIRST_SECONDS * 2.0**attempt, BACKOFF_MAX_SECONDS)
    if retry_after is not None:
        delay = min(max(delay, retry_after), BACKOFF_MAX_SECONDS)
    return delay


def retry_on_clock(
    clock: Clock,
    what: str,
    attempt: Callable[[int], T],
    *,
    retries: int,
    repeatable: Callable[[TransientTournamentError], bool] | None = None,
    not_repeatable: Callable[[str], Exception] | None = None,
    retry_after: Callable[[TransientTournamentError], float | None] | None = None,
    deadline: datetime | None = None,
    on_deadline: Callable[[str], Exception] | None = None,
    logger: logging.Logger,
    numbered: bool = True,
) -> T:
    """``attempt(n)`` (``n`` = 1, 2, ...) until it returns, retrying a
    ``TransientTournamentError`` up to ``retries`` times with ``backoff_seconds`` on ``clock``.

    - ``repeatable(e)`` false: no retry; ``not_repeatable(detail)`` is raised instead.
    - ``retry_after(e)``: the server's hint for the delay, if the caller honours one.
    - ``deadline`` with ``on_deadline``: never start a try at or after it, nor sleep up to it;
      ``on_deadline(detail)`` is raised instead.
    - ``logger``: the caller's, so each retry is logged under the module that asked for it.
    - ``numbered``: the log line counts the retries ("retry 2/4 in 2 s") and the final error
      says "1 try" for a single one; uploads have always logged "retry in 2 s".
    """
    tries = 0
    while True:
        if deadline is not None and on_deadline is not None and clock.now() >= deadline:
            raise on_deadline("before the first try")
        tries += 1
        try:
            return attempt(tries)
        except TransientTournamentError as e:
            if repeatable is not None and not_repeatable is not None and not repeatable(e):
                raise not_repeatable(f"{what}: {e} (not repeated: it may have been applied)") from e
            if tries > retries:
                made = "1 try" if numbered and tries == 1 else f"{tries} tries"
                raise TransientTournamentError(f"{what}: {e} (gave up after {made})") from e
            delay = backoff_seconds(tries - 1, retry_after(e) if retry_after else None)
            closing = deadline is not None and (deadline - clock.now()).total_seconds() <= delay
            if closing and on_deadline is not None:
                raise on_deadline(f"after {tries} tries; last error: {e}") from e
            if numbered:
                logger.warning(
                    "%s failed (%s); retry %d/%d in %.0f s", what, e, tries, retries, delay
                )
            else:
                logger.warning("%s failed (%s); retry in %.0f s", what, e, delay)
            clock.sleep(delay)


__all__ = ["BACKOFF_FIRST_SECONDS", "BACKOFF_MAX_SECONDS", "backoff_seconds", "retry_on_clock"]
