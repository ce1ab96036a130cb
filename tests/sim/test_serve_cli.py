"""``numerpilot sim serve``: a rehearsal starts in an open round; --start over an existing
world is refused unless --fresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from numerpilot.cli.sim import _forget, rehearsal_start
from numerpilot.errors import ExitCode
from numerpilot.sim import CalendarConfig, latest_round_at, round_times
from tests.cli_run import run

CAL = CalendarConfig()


def _open_at(when: datetime) -> bool:
    r = round_times(latest_round_at(when, CAL), CAL)
    return r.open_time <= when < r.close_staking_time


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 30, 1, 38, tzinfo=UTC),  # a Monday night: no round for 34 hours
        datetime(2026, 12, 2, 12, 30, tzinfo=UTC),  # a Wednesday, inside the one-hour window
        datetime(2026, 12, 5, 20, 0, tzinfo=UTC),  # a Saturday evening: the long round
    ],
)
def test_a_new_rehearsal_starts_in_an_open_round(now: datetime) -> None:
    start = rehearsal_start(now, CAL, resume=False)
    assert _open_at(start) and start <= now
    assert start - round_times(latest_round_at(start, CAL), CAL).open_time == timedelta(minutes=1)


def test_a_resumed_rehearsal_keeps_an_open_round_and_skips_a_closed_gap() -> None:
    inside = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    assert rehearsal_start(inside, CAL, resume=True) == inside
    closed = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    moved = rehearsal_start(closed, CAL, resume=True)
    assert moved > closed and _open_at(moved)
    assert moved == round_times(latest_round_at(closed, CAL) + 1, CAL).open_time + timedelta(
        minutes=1
    )


def test_start_over_an_existing_world_is_refused_without_fresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "sim.db"
    state.write_bytes(b"a world")
    args = ["sim", "serve", "--state", str(state), "--start", "2026-03-03T12:15:00"]
    code, _, err = run(args, capsys)
    assert code == ExitCode.USAGE and "--fresh" in err
    assert state.read_bytes() == b"a world"  # untouched
    code, _, err = run([*args[:4], "--real-clock", "--speed", "2"], capsys)
    assert code == ExitCode.USAGE and "--real-clock" in err


def test_fresh_forgets_the_state_and_its_files(tmp_path: Path) -> None:
    state = tmp_path / "sim.db"
    state.write_bytes(b"a world")
    Path(f"{state}-wal").write_bytes(b"log")
    files = tmp_path / "sim-files" / "datasets"
    files.mkdir(parents=True)
    (files / "x").write_bytes(b"x")
    (tmp_path / "other.txt").write_text("kept")
    _forget(state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.txt"]


@pytest.mark.slow
def test_serve_by_default_is_a_rehearsal_in_an_open_round(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    from tests.sim.test_restart import serve_subprocess

    with serve_subprocess(tmp_path / "sim.db", demo_data_dir, start=False) as (_, info):
        assert info["kind"] == "sim_serve" and info["open_round"] is not None
        now = datetime.fromisoformat(info["clock"]["now"])
        assert now < datetime.fromisoformat(info["open_round_closes"])
        assert _open_at(now)
