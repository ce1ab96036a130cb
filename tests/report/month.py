"""A short simulated month in a ledger, written through the ledger's own API on a stepped clock:
what the autopilot records over 30 days of daily rounds for two models, without training or a
tournament (those have their own month test), so that a page over it is built in a second.

Both models score identically in every round (as the demo's two models do, being one trained
model submitted two ways): the charts must keep both visible. ``demo_upload`` misses one
round, fails another and falls back to an earlier model in a third.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np

from numerpilot.agent import Ledger, StakeDecision
from numerpilot.clock import SteppedClock

START = datetime(2026, 7, 7, 12, 0, tzinfo=UTC)  # a Tuesday: rounds open at 12:00 UTC
FIRST_ROUND = 1190
MODELS = ("demo_csv", "demo_upload")
SCORING_DELAY = timedelta(days=4)  # a round's first score comes ~4 days after it closes
RESOLVE_DAYS = 20


@dataclass
class Month:
    """What was written, so that tests derive their expectations instead of hard-coding them."""

    rounds: list[int] = field(default_factory=list)
    scored: dict[str, list[int]] = field(default_factory=dict)  # model -> rounds with a score
    stakes: dict[str, int] = field(default_factory=dict)  # model -> stake decisions
    missed: int = 0
    failed: int = 0
    fallback: int = 0
    end: datetime = START


def _round_times(day: datetime) -> tuple[datetime, datetime]:
    open_time = day.replace(hour=12, minute=0)
    # Saturday's round closes on Sunday at 14:00; the others an hour after opening.
    close = open_time + (timedelta(hours=26) if day.weekday() == 5 else timedelta(hours=1))
    return open_time, close


def fill_month(ledger: Ledger, clock: SteppedClock, days: int = 30, seed: int = 7) -> Month:
    rng = np.random.default_rng(seed)
    month = Month(scored={m: [] for m in MODELS}, stakes=dict.fromkeys(MODELS, 0))
    opened: list[tuple[int, datetime]] = []
    number = FIRST_ROUND
    stake = Decimal("1.0")
    corr = {}
    for offset in range(days):
        day = START + timedelta(days=offset)
        if day.weekday() not in (1, 2, 3, 4, 5):  # rounds open Tuesday to Saturday
            continue
        open_time, close = _round_times(day)
        clock.set(open_time + timedelta(minutes=5))
        ledger.record_round(number, open_time, close)
        ledger.heartbeat("running", pid=4242)
        opened.append((number, close))
        month.rounds.append(number)
        corr[number] = (float(rng.normal(0.01, 0.02)), float(rng.normal(0.002, 0.01)))
        for model in MODELS:
            k = len(month.rounds)
            if model == "demo_upload" and k == 4:
                month.missed += 1  # nothing attempted: the machine was off
                continue
            sub = ledger.begin_submission(number, model, f"sha-{number}-{model}").submission
            if model == "demo_upload" and k == 7:
                ledger.fail_submission(sub.id, "upload refused: 503")
                month.failed += 1
                continue
            ledger.confirm_submission(sub.id, f"srv-{number}-{model}")
            if model == "demo_upload" and k == 10:
                ledger.record_event(
                    "fallback",
                    f"{model}: submitting with v1 because the promoted model failed",
                    model=model,
                    round_number=number,
                )
                month.fallback += 1
        # Scores of every round closed long enough ago, one scoring day per day after.
        clock.set(open_time + timedelta(hours=2))
        for past, past_close in opened:
            age = (clock.now() - past_close - SCORING_DELAY).days
            if age < 0:
                continue
            scoring_day = min(age + 1, RESOLVE_DAYS)
            c, m = corr[past]
            for model in MODELS:
                if ledger.submission_for(past, model) is None:
                    continue
                share = max(min(0.5 * c + 2 * m, 0.05), -0.05)
                ledger.record_score(
                    past,
                    model,
                    day=scoring_day,
                    resolved=scoring_day == RESOLVE_DAYS,
                    corr=c,
                    mmc=m,
                    payout=(stake * Decimal(str(round(share, 6)))).quantize(Decimal("0.000001")),
                    percentile=float(np.clip(0.5 + 12 * c, 0.01, 0.99)),
                )
                if past not in month.scored[model]:
                    month.scored[model].append(past)
        if len(month.rounds) % 5 == 0:  # a stake decision every week of rounds
            change = Decimal("0.5") if len(month.rounds) % 10 else Decimal("0.25")
            action: Literal["increase", "decrease"] = (
                "increase" if len(month.rounds) % 10 else "decrease"
            )
            after = stake + change if action == "increase" else stake - change
            for model in MODELS:
                decision = StakeDecision(
                    action,
                    action,
                    change,
                    stake,
                    after,
                    number - 5,
                    f"payout score of recent rounds is {'up' if action == 'increase' else 'down'}",
                    True,
                    0.0,
                )
                ledger.record_stake_action(model, decision, round_number=number + 1)
                month.stakes[model] += 1
            stake = after
        number += 1
    # The month ends with the next round open and not yet submitted: the countdown runs.
    day = START + timedelta(days=days)
    while day.weekday() not in (1, 2, 3, 4, 5):
        day += timedelta(days=1)
    open_time, close = _round_times(day)
    ledger.record_round(number, open_time, close)
    clock.set(open_time + timedelta(minutes=20))
    ledger.heartbeat("sleeping", pid=4242)
    month.rounds.append(number)
    month.end = clock.now()
    return month


__all__ = ["FIRST_ROUND", "MODELS", "START", "Month", "fill_month"]
