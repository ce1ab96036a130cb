"""The round calendar: when each round opens, closes, is scored and resolves.

Pure functions of the round number and ``CalendarConfig``. Rounds open on the configured
weekdays at the epoch's time of day; round numbers count those opening days from the epoch, so
a number always maps to the same dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from numerpilot.sim._config import CalendarConfig

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RoundTimes:
    number: int
    open_time: datetime
    close_staking_time: datetime
    close_time: datetime
    score_dates: tuple[datetime, ...]  # day 1 .. score_days

    @property
    def score_time(self) -> datetime:
        return self.score_dates[0]

    @property
    def resolve_time(self) -> datetime:
        return self.score_dates[-1]

    def shifted(self, delay: timedelta) -> RoundTimes:
        """The same round opening ``delay`` late: every later time moves with it."""
        return RoundTimes(
            number=self.number,
            open_time=self.open_time + delay,
            close_staking_time=self.close_staking_time + delay,
            close_time=self.close_time + delay,
            score_dates=tuple(d + delay for d in self.score_dates),
        )


def _week_start(cal: CalendarConfig) -> datetime:
    """Monday of the epoch's week, at the epoch's time of day."""
    return cal.epoch - cal.epoch.weekday() * _DAY


def open_time(number: int, cal: CalendarConfig) -> datetime:
    days = cal.open_weekdays
    index = days.index(cal.epoch.weekday()) + (number - cal.epoch_round)
    week, position = divmod(index, len(days))
    return _week_start(cal) + timedelta(weeks=week, days=days[position])


def score_dates(close_staking: datetime, cal: CalendarConfig) -> tuple[datetime, ...]:
    """Scores land on the scoring weekdays (the opening weekdays), from the score delay on."""
    day = close_staking + cal.score_delay_days * _DAY
    dates: list[datetime] = []
    while len(dates) < cal.score_days:
        if day.weekday() in cal.open_weekdays:
            dates.append(day)
        day += _DAY
    return tuple(dates)


def round_times(number: int, cal: CalendarConfig) -> RoundTimes:
    opens = open_time(number, cal)
    hours = cal.staking_hours_by_weekday.get(opens.weekday(), cal.staking_hours)
    close_staking = opens + timedelta(hours=hours)
    return RoundTimes(
        number=number,
        open_time=opens,
        close_staking_time=close_staking,
        close_time=close_staking + timedelta(hours=cal.late_hours),
        score_dates=score_dates(close_staking, cal),
    )


def latest_round_at(when: datetime, cal: CalendarConfig) -> int:
    """The number of the last round scheduled to open at or before ``when``."""
    per_week = len(cal.open_weekdays)
    weeks = (when - _week_start(cal)) // timedelta(weeks=1)
    number = cal.epoch_round + weeks * per_week - cal.open_weekdays.index(cal.epoch.weekday())
    # ``number`` opens on the first weekday of ``when``'s week: step to the exact one.
    while open_time(number, cal) > when:
        number -= 1
    while open_time(number + 1, cal) <= when:
        number += 1
    return number


__all__ = ["RoundTimes", "latest_round_at", "open_time", "round_times", "score_dates"]
