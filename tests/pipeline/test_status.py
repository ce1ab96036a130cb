from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from numerpilot.clock import AcceleratedClock
from numerpilot.pipeline.status import Cell, CumulativePoint, build_status
from numerpilot.sim import DEFAULT_START, DataConfig, SimConfig, run_sim
from tests.cli_run import modules_loaded_by

T0 = datetime(2026, 7, 7, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# Plain records shaped like the ledger's: status depends on the shape only, not on the ledger.
@dataclass(frozen=True)
class Round:
    number: int
    open_time: datetime
    close_time: datetime
    resolved: bool = False


@dataclass(frozen=True)
class Sub:
    round_number: int
    model: str
    status: str
    attempted_at: datetime
    server_id: str | None = None
    file_sha256: str = "sha"
    error: str | None = None


@dataclass(frozen=True)
class Sc:
    round_number: int
    model: str
    day: int
    corr: float | None
    mmc: float | None = None
    payout: Decimal | None = None
    resolved: bool = False


@dataclass(frozen=True)
class Stake:
    at: datetime
    model: str
    action: str
    amount: Decimal
    stake_after: Decimal
    dry_run: bool = True
    code: str = "increase"
    reason: str = "why"
    error: str | None = None


ROUNDS = [
    Round(1000, T0, T0 + HOUR, resolved=True),
    Round(1001, T0 + DAY, T0 + DAY + HOUR),
    Round(1002, T0 + 2 * DAY, T0 + 2 * DAY + HOUR),
    Round(1003, T0 + 3 * DAY, T0 + 3 * DAY + HOUR),
]
NOW = T0 + 2 * DAY + HOUR / 2  # round 1002 is open, 1003 not yet
SUBS = [
    Sub(1000, "m1", "confirmed", T0, "srv-1"),
    Sub(1001, "m1", "failed", T0 + DAY, error="HTTP 503"),
    Sub(1001, "m1", "rejected", T0 + DAY + HOUR / 4, error="constant"),
    Sub(1002, "m1", "failed", T0 + 2 * DAY, error="HTTP 503"),
    Sub(1002, "m1", "pending", T0 + 2 * DAY + HOUR / 4),
]
SCORES = [
    Sc(1000, "m1", 1, 0.01, payout=Decimal("0.1")),
    Sc(1000, "m1", 20, 0.02, 0.001, Decimal("0.25"), resolved=True),
    Sc(1001, "m1", 3, -0.01, -0.002, Decimal("-0.05")),
]
STAKES = [
    Stake(T0, "m1", "hold", Decimal(0), Decimal(0), code="no_history"),
    Stake(T0 + DAY, "m1", "increase", Decimal(1), Decimal(1)),
]


def test_an_empty_ledger_makes_an_empty_report() -> None:
    report = build_status([], [], [], [], now=NOW)
    assert report.empty and report.records == 0
    assert report.as_dict() == {
        "generated_at": NOW,
        "empty": True,
        "records": 0,
        "models": [],
        "rounds": [],
        "stakes": [],
    }
    configured = build_status([], [], [], [], now=NOW, models=["m1"])
    assert configured.empty and [m.model for m in configured.models] == ["m1"]


def test_each_round_shows_each_model_and_what_became_of_it() -> None:
    report = build_status(ROUNDS, SUBS, SCORES, STAKES, now=NOW, models=["m1", "m2"])
    assert not report.empty and report.records == 4 + 5 + 3 + 2
    assert [(r.number, r.state) for r in report.rounds] == [
        (1003, "upcoming"),
        (1002, "open"),
        (1001, "closed"),
        (1000, "resolved"),
    ]
    cells = {r.number: r.models for r in report.rounds}
    assert cells[1000]["m1"] == Cell("confirmed", "srv-1", 0.02, 0.001, Decimal("0.25"), 20, True)
    assert cells[1001]["m1"] == Cell("missed", None, -0.01, -0.002, Decimal("-0.05"), 3, False)
    assert cells[1002]["m1"] == Cell("pending")  # the live attempt wins over the failed one
    assert cells[1003]["m1"] == Cell("none")
    assert [cells[n]["m2"].submission for n in (1000, 1001, 1002)] == ["missed", "missed", "none"]


def test_model_summaries_count_and_accumulate() -> None:
    report = build_status(ROUNDS, SUBS, SCORES, STAKES, now=NOW, models=["m1", "m2"])
    m1, m2 = report.models
    assert (m1.confirmed, m1.missed, m1.failed, m1.pending) == (1, 1, 3, 1)
    assert (m1.scored_rounds, m1.resolved_rounds) == (2, 1)
    assert m1.mean_corr is not None and abs(m1.mean_corr - 0.005) < 1e-12
    assert m1.total_payout == Decimal("0.20")
    assert m1.cumulative == [
        CumulativePoint(1000, 0.02, 0.25),
        CumulativePoint(1001, 0.02 - 0.01, 0.25 - 0.05),
    ]
    assert m1.last_stake is not None and m1.last_stake.action == "increase"
    assert (m2.confirmed, m2.missed, m2.mean_corr, m2.last_stake) == (0, 2, None, None)
    assert [s.action for s in report.stakes] == ["increase", "hold"]


def test_models_seen_only_in_the_ledger_appear_after_the_configured_ones() -> None:
    subs = [*SUBS, Sub(1000, "old", "confirmed", T0, "srv-0")]
    stakes = [*STAKES, Stake(T0, "gone", "hold", Decimal(0), Decimal(0))]
    report = build_status(ROUNDS, subs, [], stakes, now=NOW, models=["m2"])
    assert [m.model for m in report.models] == ["m2", "m1", "old", "gone"]


def test_recent_rounds_are_limited_newest_first() -> None:
    report = build_status(ROUNDS, SUBS, SCORES, STAKES, now=NOW, recent_rounds=2, recent_stakes=1)
    assert [r.number for r in report.rounds] == [1003, 1002]
    assert len(report.stakes) == 1
    # Counts still cover every round, not just the ones shown.
    assert report.models[0].confirmed == 1


def test_status_reads_a_local_tournaments_clock_without_numerapi(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    """Against a local tournament on its own clock, status judges rounds by that clock (one
    ping through the transport) and loads neither numerapi nor the tournament client."""
    config = SimConfig(data=DataConfig(live_rows=200))
    clock = AcceleratedClock(DEFAULT_START, speed=1)
    with run_sim(
        tmp_path / "sim" / "sim.db", clock=clock, config=config, datasets_dir=demo_data_dir
    ) as sim:
        args = ["-C", str(tmp_path), "--api-url", sim.url, "status", "--json"]
        loaded, printed = modules_loaded_by(args)
    assert "numerpilot.tournament.transport" in loaded  # it did ask the tournament
    assert not {m for m in loaded if m.split(".")[0] == "numerapi"}
    assert "numerpilot.tournament.client" not in loaded
    judged_at = datetime.fromisoformat(json.loads(printed)["generated_at"])
    # The simulated clock started at DEFAULT_START, months before this machine's date.
    assert DEFAULT_START <= judged_at < DEFAULT_START + timedelta(minutes=10)
