from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerpilot.agent._policy import STEP, RoundScore, StakeDecision, StakeState, decide_stake
from numerpilot.config import StakeSettings

# No example database on disk and no deadline: the machine is shared and its speed varies.
PROPERTY = settings(database=None, deadline=None, max_examples=300)

D = Decimal
RULES = StakeSettings(
    enabled=True,
    min_resolved_rounds=4,
    max_increase_per_round=1.0,
    budget=10.0,
    drawdown_cut=0.05,
    cut_fraction=0.5,
)


def _scores(*values: float, first: int = 100) -> list[RoundScore]:
    return [RoundScore(first + i, v) for i, v in enumerate(values)]


def _decide(
    scores: list[RoundScore],
    stake: str = "0",
    total: str | None = None,
    pending: str = "0",
    last_cut: int | None = None,
    rules: StakeSettings = RULES,
) -> StakeDecision:
    current = D(stake)
    state = StakeState(
        scores=scores,
        current_stake=current,
        total_staked=D(total) if total is not None else current + D(pending),
        pending_change=D(pending),
        last_cut_round=last_cut,
    )
    return decide_stake(state, rules)


def test_no_stake_before_enough_resolved_rounds() -> None:
    d = _decide(_scores(0.03, 0.03, 0.03))
    assert (d.action, d.code, d.amount, d.stake_after) == ("hold", "no_history", 0, 0)
    assert d.as_of_round == 102


def test_no_stake_while_the_recent_mean_is_not_positive() -> None:
    # Old good rounds do not count: only the last min_resolved_rounds do.
    d = _decide(_scores(0.04, 0.04, 0.01, -0.01, 0.01, -0.01))
    assert (d.action, d.code) == ("hold", "non_positive_mean")


def test_an_increase_is_capped_per_round() -> None:
    d = _decide(_scores(0.01, 0.02, 0.01, 0.02), stake="2")
    assert (d.action, d.code, d.amount) == ("increase", "increase", D("1.00"))
    assert (d.stake_before, d.stake_after) == (D("2"), D("3.00"))
    assert not d.dry_run and d.drawdown == 0


def test_an_increase_stops_at_the_budget_counting_every_model() -> None:
    d = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", total="9.55")
    assert (d.action, d.amount) == ("increase", D("0.45"))
    full = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", total="10")
    assert (full.action, full.code) == ("hold", "budget_reached")
    crumbs = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", total="9.995")
    assert (crumbs.action, crumbs.code) == ("hold", "budget_reached")


def test_a_pending_increase_uses_up_the_round_cap() -> None:
    d = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", pending="0.6")
    assert (d.action, d.amount, d.stake_before, d.stake_after) == (
        "increase",
        D("0.40"),
        D("2.6"),
        D("3.00"),
    )
    used = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", pending="1")
    assert (used.action, used.code) == ("hold", "increase_pending")


def test_a_drawdown_beyond_the_limit_cuts_once_until_a_new_peak() -> None:
    # Cumulative: .03 .06 (peak, round 101) .03 .00 -> 0.06 below the peak.
    scores = _scores(0.03, 0.03, -0.03, -0.03)
    cut = _decide(scores, stake="3")
    assert (cut.action, cut.code, cut.amount, cut.stake_after) == (
        "decrease",
        "drawdown_cut",
        D("1.50"),
        D("1.50"),
    )
    assert cut.drawdown == pytest.approx(0.06)
    assert cut.as_of_round == 103

    again = _decide(scores + _scores(-0.01, first=104), stake="1.5", last_cut=103)
    assert (again.action, again.code) == ("hold", "drawdown_hold")

    # A new peak after the cut (round 106), then a new drawdown: a new cut.
    recovered = scores + _scores(0.05, 0.05, -0.04, -0.04, first=104)
    new_cut = _decide(recovered, stake="1.5", last_cut=103)
    assert (new_cut.action, new_cut.amount) == ("decrease", D("0.75"))


def test_a_drawdown_from_the_start_counts_as_its_own_peak() -> None:
    scores = _scores(-0.03, -0.03)
    assert _decide(scores, stake="2").code == "drawdown_cut"
    assert _decide(scores, stake="1", last_cut=101).code == "drawdown_hold"


def test_a_drawdown_without_a_stake_only_holds() -> None:
    d = _decide(_scores(0.03, 0.03, -0.03, -0.03), stake="0")
    assert (d.action, d.code, d.amount) == ("hold", "drawdown_hold", 0)


def test_a_cut_is_rounded_up_to_the_step_and_never_below_zero() -> None:
    third = RULES.model_copy(update={"cut_fraction": 1 / 3})
    d = _decide(_scores(-0.1), stake="1", rules=third)
    assert (d.amount, d.stake_after) == (D("0.34"), D("0.66"))
    everything = RULES.model_copy(update={"cut_fraction": 1.0})
    tiny = _decide(_scores(-0.1), stake="0.005", rules=everything)
    assert (tiny.amount, tiny.stake_after) == (D("0.005"), D("0"))


def test_disabled_staking_decides_the_same_but_as_a_dry_run() -> None:
    off = RULES.model_copy(update={"enabled": False})
    real = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2")
    dry = _decide(_scores(0.01, 0.01, 0.01, 0.01), stake="2", rules=off)
    assert dry.dry_run and not real.dry_run
    assert (dry.action, dry.amount, dry.reason) == (real.action, real.amount, real.reason)


def test_scores_that_are_not_numbers_are_ignored_and_order_does_not_matter() -> None:
    scores = [RoundScore(103, 0.01), RoundScore(100, 0.01), RoundScore(104, math.nan)]
    scores += [RoundScore(101, 0.01), RoundScore(102, 0.01)]
    d = _decide(scores)
    assert (d.action, d.as_of_round) == ("increase", 103)


# -- properties ---------------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=50, places=2)
score_lists = st.lists(
    st.floats(min_value=-0.2, max_value=0.2, allow_nan=False), min_size=0, max_size=30
)


@st.composite
def stake_rules(draw: st.DrawFn) -> StakeSettings:
    budget = draw(st.floats(min_value=0, max_value=50, allow_nan=False))
    return StakeSettings(
        enabled=draw(st.booleans()),
        min_resolved_rounds=draw(st.integers(min_value=1, max_value=10)),
        max_increase_per_round=draw(st.floats(min_value=0, max_value=budget)),
        budget=budget,
        drawdown_cut=draw(st.floats(min_value=0.001, max_value=0.5)),
        cut_fraction=draw(st.floats(min_value=0.01, max_value=1.0)),
    )


@PROPERTY
@given(
    rules=stake_rules(),
    values=score_lists,
    current=amounts,
    pending=st.decimals(min_value=-5, max_value=5, places=2),
    others=amounts,
    last_cut=st.none() | st.integers(min_value=0, max_value=40),
)
def test_no_decision_breaks_a_limit(
    rules: StakeSettings,
    values: list[float],
    current: Decimal,
    pending: Decimal,
    others: Decimal,
    last_cut: int | None,
) -> None:
    scores = _scores(*values, first=0)
    total = others + current + pending
    state = StakeState(scores, current, total, pending, last_cut)
    d = decide_stake(state, rules)
    budget, cap = Decimal(str(rules.budget)), Decimal(str(rules.max_increase_per_round))

    assert d.amount >= 0
    assert d.dry_run is not rules.enabled
    assert d.stake_before == current + pending
    if d.action == "increase":
        assert total + d.amount <= budget  # never beyond the budget, all models together
        assert d.amount + max(pending, Decimal(0)) <= cap  # never beyond the round's cap
        need = rules.min_resolved_rounds
        assert len(scores) >= need and sum(values[-need:]) > 0  # only with a positive record
        assert d.stake_after == d.stake_before + d.amount
    elif d.action == "decrease":
        assert d.code == "drawdown_cut" and d.drawdown > rules.drawdown_cut
        fraction = Decimal(str(rules.cut_fraction))
        assert 0 <= d.stake_after <= d.stake_before * (1 - fraction)
    else:
        assert d.amount == 0 and d.stake_after == d.stake_before
    if d.drawdown > rules.drawdown_cut:
        assert d.action != "increase"  # a drawdown never adds exposure
    # Turning staking on or off changes only the dry-run mark.
    flipped = decide_stake(state, rules.model_copy(update={"enabled": not rules.enabled}))
    assert (flipped.action, flipped.amount) == (d.action, d.amount)


@PROPERTY
@given(
    values=score_lists,
    rules=stake_rules(),
    last_cut=st.none() | st.integers(min_value=-1, max_value=40),
)
def test_a_fresh_drawdown_beyond_the_limit_always_cuts(
    values: list[float], rules: StakeSettings, last_cut: int | None
) -> None:
    scores = _scores(*values, first=0)
    d = decide_stake(StakeState(scores, D("4"), D("4"), last_cut_round=None), rules)
    if d.drawdown > rules.drawdown_cut:
        expected = min(D("4"), (D("4") * D(str(rules.cut_fraction))).quantize(STEP, "ROUND_UP"))
        assert (d.action, d.code, d.amount) == ("decrease", "drawdown_cut", expected)
    else:
        assert d.action != "decrease"


@PROPERTY
@given(
    rules=stake_rules(),
    rounds=st.lists(
        st.tuples(
            st.floats(min_value=-0.1, max_value=0.1, allow_nan=False),
            st.floats(min_value=-0.1, max_value=0.1, allow_nan=False),
        ),
        max_size=40,
    ),
)
def test_months_of_rounds_with_two_models_stay_within_the_policy(
    rules: StakeSettings, rounds: list[tuple[float, float]]
) -> None:
    """Apply every decision (as if enabled) round after round for two models sharing a budget."""
    budget, cap = Decimal(str(rules.budget)), Decimal(str(rules.max_increase_per_round))
    stakes = {"a": D(0), "b": D(0)}
    history: dict[str, list[RoundScore]] = {"a": [], "b": []}
    last_cut: dict[str, int | None] = {"a": None, "b": None}
    for number, (score_a, score_b) in enumerate(rounds):
        history["a"].append(RoundScore(number, score_a))
        history["b"].append(RoundScore(number, score_b))
        for model in ("a", "b"):
            total = sum(stakes.values(), D(0))
            state = StakeState(history[model], stakes[model], total, D(0), last_cut[model])
            d = decide_stake(state, rules)
            if d.action == "increase":
                assert d.amount <= cap
                need = rules.min_resolved_rounds
                assert len(history[model]) >= need
                assert sum(s.score for s in history[model][-need:]) > 0
            if d.code == "drawdown_cut":
                last_cut[model] = d.as_of_round
            stakes[model] = d.stake_after
            assert sum(stakes.values(), D(0)) <= budget
            assert stakes[model] >= 0
