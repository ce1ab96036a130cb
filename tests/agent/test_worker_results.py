"""Scores into the ledger, and the stake decisions the worker makes from them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from numerpilot.agent._results import decide_stakes, record_performances, resolved_scores
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import LogFileSink, Notifier
from numerpilot.clock import SteppedClock
from numerpilot.config import Settings
from numerpilot.errors import TournamentError
from numerpilot.tournament import RoundPerformance
from tests.agent.conftest import START
from tests.agent.worker_fakes import FakeWorld

MULT = {"v2_corr20": 0.5, "mmc": 2.0}


def perf(number: int, corr: float, mmc: float = 0.0, *, day: int = 20, resolved: bool = True):
    payout = Decimal("0.01") if resolved else None
    scores = {"v2_corr20": corr, "mmc": mmc}
    return RoundPerformance(number, day, resolved, scores, MULT, Decimal(1), payout)


@pytest.fixture
def world(clock: SteppedClock, tmp_path: Path) -> FakeWorld:
    return FakeWorld(clock, 1000, START, tmp_path)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "n.log"


@pytest.fixture
def notifier(log_file: Path, clock: SteppedClock) -> Notifier:
    return Notifier([LogFileSink(log_file)], clock)


def stake_settings(tmp_path: Path, **stake: object) -> Settings:
    s = Settings(project_dir=tmp_path)
    s.stake.min_resolved_rounds = 3
    s.stake.max_increase_per_round = 1.0
    s.stake.budget = 2.5
    for key, value in stake.items():
        setattr(s.stake, key, value)
    return s


def test_payout_score_uses_the_rounds_multipliers():
    p = perf(1, 0.02, 0.01)
    assert p.payout_score == pytest.approx(0.5 * 0.02 + 2.0 * 0.01)
    assert RoundPerformance(1, 3, False, {"v2_corr20": 0.04}).payout_score == 0.04
    assert resolved_scores([p, perf(2, 0.1, resolved=False)])[0].round_number == 1


def test_only_changed_scores_are_written_and_resolution_is_marked(ledger: Ledger):
    ledger.record_round(1, START, START)
    first = [perf(1, 0.01, day=3, resolved=False), RoundPerformance(2, 0, False, {})]
    assert record_performances(ledger, "m", first) == 1  # day 0: nothing yet
    assert record_performances(ledger, "m", first) == 0
    assert record_performances(ledger, "m", [perf(1, 0.02)]) == 1
    (score,) = ledger.scores("m")
    assert (score.day, score.resolved, score.corr, score.payout) == (
        20,
        True,
        0.02,
        Decimal("0.01"),
    )
    assert ledger.round(1).resolved  # type: ignore[union-attr]


def test_a_new_percentile_is_written(ledger: Ledger):
    ledger.record_round(1, START, START)
    ranked = RoundPerformance(1, 3, False, {"v2_corr20": 0.01}, percentiles={"v2_corr20": 0.8})
    assert ranked.percentile == 0.8
    assert record_performances(ledger, "m", [RoundPerformance(1, 3, False, {"v2_corr20": 0.01})])
    assert ledger.scores("m")[0].percentile is None
    assert record_performances(ledger, "m", [ranked]) == 1  # only the percentile changed
    assert ledger.scores("m")[0].percentile == 0.8


def test_dry_run_builds_a_virtual_stake_and_sends_nothing(
    ledger: Ledger, world: FakeWorld, notifier: Notifier, tmp_path: Path, log_file: Path
):
    settings = stake_settings(tmp_path)
    history = {"m1": [perf(k, 0.02) for k in range(1, 4)]}
    for number in (10, 11, 12, 12):  # round 12 twice: decided once
        decide_stakes(ledger, notifier, world, settings, number, history)
    actions = list(reversed(ledger.stake_actions("m1")))
    assert [str(a.stake_after) for a in actions] == ["1.00", "2.00", "2.50"]
    assert all(a.dry_run for a in actions) and world.stake_calls == []
    sent = [json.loads(x) for x in log_file.read_text().splitlines()]
    assert [n["kind"] for n in sent] == ["stake_action"] * 3
    assert sent[0]["message"].startswith("m1: would increase stake by 1.00 NMR")


def test_enabled_stakes_share_the_budget_and_the_cap(
    ledger: Ledger, world: FakeWorld, notifier: Notifier, tmp_path: Path
):
    settings = stake_settings(tmp_path, enabled=True)
    good = [perf(k, 0.02) for k in range(1, 4)]
    history = {"m1": good, "m2": good}
    for number in range(10, 15):
        decide_stakes(ledger, notifier, world, settings, number, history)
        total = sum(world.stakes.values(), Decimal(0))
        assert total <= Decimal("2.5")
    assert sum(world.stakes.values(), Decimal(0)) == Decimal("2.5")
    assert all(amount <= Decimal(1) for _, _, amount in world.stake_calls)
    assert all(action == "increase" for _, action, _ in world.stake_calls)


def test_drawdown_cuts_once_and_is_notified(
    ledger: Ledger, world: FakeWorld, notifier: Notifier, tmp_path: Path, log_file: Path
):
    settings = stake_settings(tmp_path, enabled=True, drawdown_cut=0.05, cut_fraction=0.5)
    world.stakes["m1"] = Decimal(2)
    history = {"m1": [perf(1, 0.1), perf(2, -0.1, -0.02), perf(3, -0.05)]}
    decide_stakes(ledger, notifier, world, settings, 10, history)
    decide_stakes(ledger, notifier, world, settings, 11, history)
    assert world.stake_calls == [("m1", "decrease", Decimal("1.00"))]
    codes = [a.code for a in reversed(ledger.stake_actions("m1"))]
    assert codes == ["drawdown_cut", "drawdown_hold"]
    sent = [json.loads(x)["kind"] for x in log_file.read_text().splitlines()]
    assert sent == ["drawdown"]


def test_a_refused_stake_change_is_recorded_and_not_counted(
    ledger: Ledger,
    world: FakeWorld,
    notifier: Notifier,
    tmp_path: Path,
    log_file: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    def refuse(model: str, action: str, amount: Decimal) -> str:
        raise TournamentError("Insufficient NMR balance")

    monkeypatch.setattr(world, "change_stake", refuse)
    settings = stake_settings(tmp_path, enabled=True)
    decide_stakes(ledger, notifier, world, settings, 10, {"m1": [perf(k, 0.02) for k in (1, 2, 3)]})
    (action,) = ledger.stake_actions("m1")
    assert action.error == "Insufficient NMR balance" and not action.dry_run
    sent = [json.loads(x) for x in log_file.read_text().splitlines()]
    assert "failed: Insufficient NMR balance" in sent[0]["message"]
