"""The round calendar: Numerai's schedule from round numbers, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from numerpilot.errors import ConfigError
from numerpilot.sim import CalendarConfig, load_sim_config
from numerpilot.sim._calendar import latest_round_at, open_time, round_times

CAL = CalendarConfig()


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_rounds_open_tuesday_to_saturday_at_noon() -> None:
    opens = [open_time(n, CAL) for n in range(1190, 1197)]
    assert opens == [at(3, 12), at(4, 12), at(5, 12), at(6, 12), at(7, 12), at(10, 12), at(11, 12)]
    assert [o.strftime("%a") for o in opens] == ["Tue", "Wed", "Thu", "Fri", "Sat", "Tue", "Wed"]
    assert open_time(CAL.epoch_round, CAL) == CAL.epoch
    assert open_time(CAL.epoch_round - 1, CAL) == at(3, 12, month=1)  # the Saturday before


def test_staking_windows_and_scoring_days() -> None:
    tuesday = round_times(1190, CAL)
    assert tuesday.close_staking_time == at(3, 13)
    assert tuesday.close_time == at(4, 11)  # late submissions until just before the next round
    saturday = round_times(1194, CAL)
    assert saturday.close_staking_time == at(8, 14)  # Sunday 14:00
    assert saturday.close_time == at(9, 12)
    # Scores start 4 days after the close, on scoring weekdays only, 20 of them.
    assert tuesday.score_dates[:3] == (at(7, 13), at(10, 13), at(11, 13))
    assert len(tuesday.score_dates) == 20
    assert all(d.weekday() in CAL.open_weekdays for d in tuesday.score_dates)
    assert tuesday.resolve_time == at(3, 13, month=4)
    assert timedelta(days=29) < tuesday.resolve_time - tuesday.open_time < timedelta(days=33)


def test_latest_round_at() -> None:
    assert latest_round_at(at(3, 12), CAL) == 1190
    assert latest_round_at(at(3, 11, 59), CAL) == 1189
    assert latest_round_at(at(9, 9), CAL) == 1194  # Monday: Saturday's round
    assert latest_round_at(at(1, 0, month=1), CAL) < 1150
    for n in (1000, 1150, 1189, 1500):
        assert latest_round_at(open_time(n, CAL), CAL) == n
        assert latest_round_at(open_time(n, CAL) - timedelta(seconds=1), CAL) == n - 1


def test_a_shifted_round_moves_every_time() -> None:
    times = round_times(1191, CAL).shifted(timedelta(hours=1))
    assert times.open_time == at(4, 13) and times.close_staking_time == at(4, 14)
    assert times.score_time == round_times(1191, CAL).score_time + timedelta(hours=1)


def test_another_schedule_from_a_config_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sim.toml"
    path.write_text(
        "[calendar]\nepoch = 2026-01-05T13:00:00Z\nopen_weekdays = [0, 2, 4]\nstaking_hours = 2\n"
        "staking_hours_by_weekday = {}\n[payout]\nmmc_multiplier = 2.0\n"
    )
    config = load_sim_config(path)
    assert config.payout.mmc_multiplier == 2.0
    cal = config.calendar
    assert [open_time(n, cal).strftime("%a %H") for n in (1150, 1151, 1152, 1153)] == [
        "Mon 13",
        "Wed 13",
        "Fri 13",
        "Mon 13",
    ]
    assert round_times(1152, cal).close_staking_time.hour == 15
    path.write_text("[calendar]\nepoch = 2026-01-04T13:00:00Z\n")  # a Sunday
    with pytest.raises(ConfigError, match="not one of open_weekdays"):
        load_sim_config(path)
    path.write_text("[payout]\nclip = -1\n")
    with pytest.raises(ConfigError, match=r"payout\.clip"):
        load_sim_config(path)
