"""Scores and payouts on their own (a fake session): the latest scoring day, exact payouts,
the round's own multipliers, and every malformed answer a ``TournamentError`` naming it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from numerpilot.clock import SteppedClock
from numerpilot.errors import TournamentError
from numerpilot.tournament.scores import parse_performance, performances
from tests.tournament.fake_http import FakeSession, client_with, data

PERFORMANCE = {
    "roundNumber": 1190,
    "roundResolved": True,
    "atRisk": "1,234.5",
    "payoutMultipliers": [
        {"displayName": "v2_corr20", "multiplier": 0.5},
        {"displayName": "mmc", "multiplier": 2},
    ],
    "submissionScores": [
        {"date": "2026-03-20T00:00:00Z", "day": 19, "displayName": "v2_corr20", "value": 0.01},
        {
            "date": "2026-03-21T00:00:00Z",
            "day": 20,
            "displayName": "v2_corr20",
            "value": 0.02,
            "percentile": 0.75,
            "payoutSettled": "1.25",
            "payoutPending": "9",
        },
        {
            "date": "2026-03-21T00:00:00Z",
            "day": 20,
            "displayName": "mmc",
            "value": -0.01,
            "payoutSettled": "1.25",
        },
    ],
}


def test_a_performance_keeps_the_latest_day_and_its_settled_payout() -> None:
    p = parse_performance(PERFORMANCE)
    assert (p.round_number, p.day, p.resolved) == (1190, 20, True)
    assert dict(p.scores) == {"v2_corr20": 0.02, "mmc": -0.01}
    assert (p.corr, p.mmc) == (0.02, -0.01)
    assert p.percentile == 0.75 and dict(p.percentiles) == {"v2_corr20": 0.75}
    assert p.payout_score == pytest.approx(0.5 * 0.02 + 2 * -0.01)
    assert p.at_risk == Decimal("1234.5") and p.payout == Decimal("1.25")


def test_a_performance_not_scored_yet() -> None:
    p = parse_performance({"roundNumber": "1191", "submissionScores": None})
    assert (p.round_number, p.day, p.resolved, p.payout, p.corr) == (1191, 0, False, None, None)
    assert p.payout_score is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"submissionScores": []}, "without a round number"),
        ({"roundNumber": 1, "atRisk": "lots"}, "round 1 atRisk is not a number"),
        (
            {
                "roundNumber": 1,
                "submissionScores": [{"day": 1, "displayName": "mmc", "value": "x"}],
            },
            "round 1 score mmc is not a number",
        ),
        (
            {"roundNumber": 1, "submissionScores": [{"day": 1, "date": "yesterday"}]},
            "not ISO-8601",
        ),
    ],
)
def test_malformed_performances_name_what_is_wrong(raw: dict[str, object], message: str) -> None:
    with pytest.raises(TournamentError, match=message):
        parse_performance(raw)


def test_performances_are_sorted_by_round(clock: SteppedClock) -> None:
    rows = [{**PERFORMANCE, "roundNumber": 1192}, PERFORMANCE, "junk"]
    session = FakeSession(script=[data(v2RoundModelPerformances=rows)])
    found = performances(client_with(session, clock), "mid-1")
    assert [p.round_number for p in found] == [1190, 1192]
    assert session.calls[0].variables == {"modelId": "mid-1", "tournament": 8}
    empty = FakeSession(script=[data(v2RoundModelPerformances=None)])
    with pytest.raises(TournamentError, match="without a list"):
        performances(client_with(empty, clock), "mid-1")
