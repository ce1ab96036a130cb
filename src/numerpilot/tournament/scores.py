"""A model's scores and payouts per round, typed.

One query per model: numerapi's ``round_model_performances_v2`` text (``v2RoundModelPerformances``)
with the round's payout multipliers and the latest scoring day of each round. numerpilot sends
the query itself rather than calling numerapi's method, which warns that it is deprecated and
drops the fields the stake policy needs. The payout score of a round is the sum of its scores
weighted by the round's own multipliers (they change over time: data, never constants).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from numerpilot.errors import TournamentError
from numerpilot.tournament.client import CLASSIC_TOURNAMENT, TournamentClient
from numerpilot.tournament.rounds import parse_time

PERFORMANCES_QUERY = """
    query($modelId: String! $tournament: Int!) {
      v2RoundModelPerformances(modelId: $modelId tournament: $tournament) {
        roundNumber
        roundResolved
        atRisk
        payoutMultipliers { displayName multiplier }
        submissionScores { date day displayName value percentile payoutPending payoutSettled }
      }
    }
"""

# Display names of the two scores, as Numerai has named them over time.
CORR_NAMES = ("v2_corr20", "canon_corr", "corr20", "corr")
MMC_NAMES = ("mmc", "v2_mmc", "mmc20")


@dataclass(frozen=True)
class RoundPerformance:
    """One round of one model: its latest scoring day, and whether that is final."""

    round_number: int
    day: int  # 0: not scored yet
    resolved: bool
    scores: Mapping[str, float]  # display name -> value
    multipliers: Mapping[str, float] = field(default_factory=dict)
    at_risk: Decimal | None = None
    payout: Decimal | None = None  # settled once resolved, else pending
    percentiles: Mapping[str, float] = field(default_factory=dict)  # display name -> 0..1

    @property
    def corr(self) -> float | None:
        return _first(self.scores, CORR_NAMES)

    @property
    def mmc(self) -> float | None:
        return _first(self.scores, MMC_NAMES)

    @property
    def percentile(self) -> float | None:
        """Where the round's CORR ranks among all models (0..1), if the API says."""
        return _first(self.percentiles, CORR_NAMES)

    @property
    def payout_score(self) -> float | None:
        """The score the payout follows: multiplier-weighted, or CORR when none is given."""
        weighted = [
            self.multipliers[name] * value
            for name, value in self.scores.items()
            if name in self.multipliers
        ]
        return sum(weighted) if weighted else self.corr


def _first(scores: Mapping[str, float], names: tuple[str, ...]) -> float | None:
    for name in names:
        if name in scores:
            return scores[name]
    return None


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise TournamentError(f"{what} is not a number: {value!r}") from None


def _float(value: Any, what: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TournamentError(f"{what} is not a number: {value!r}") from None
    return number if math.isfinite(number) else None


def parse_performance(raw: Mapping[str, Any]) -> RoundPerformance:
    """One ``v2RoundModelPerformances`` entry (camelCase, as the API sends it)."""
    try:
        number = int(raw["roundNumber"])
    except (KeyError, TypeError, ValueError):
        raise TournamentError(f"performance without a round number: {raw!r}") from None
    rows = [r for r in raw.get("submissionScores") or [] if isinstance(r, dict)]
    day = max((int(r.get("day") or 0) for r in rows), default=0)
    latest = [r for r in rows if int(r.get("day") or 0) == day]
    scores: dict[str, float] = {}
    percentiles: dict[str, float] = {}
    settled: list[Decimal] = []
    pending: list[Decimal] = []
    for r in latest:
        if r.get("date") is not None:
            parse_time(r["date"], "date")  # a malformed answer fails here, not later
        value = _float(r.get("value"), f"round {number} score {r.get('displayName')}")
        if isinstance(r.get("displayName"), str) and value is not None:
            scores[r["displayName"]] = value
            rank = _float(r.get("percentile"), f"round {number} percentile")
            if rank is not None:
                percentiles[r["displayName"]] = rank
        # Every score row of a day repeats the round's payout.
        for key, found in (("payoutSettled", settled), ("payoutPending", pending)):
            amount = _decimal(r.get(key), f"round {number} {key}")
            if amount is not None:
                found.append(amount)
    payout = next(iter(settled or pending), None)
    multipliers = {
        str(m["displayName"]): float(m["multiplier"])
        for m in raw.get("payoutMultipliers") or []
        if isinstance(m, dict) and m.get("multiplier") is not None
    }
    return RoundPerformance(
        round_number=number,
        day=day,
        resolved=bool(raw.get("roundResolved")),
        scores=scores,
        multipliers=multipliers,
        at_risk=_decimal(raw.get("atRisk"), f"round {number} atRisk"),
        payout=payout,
        percentiles=percentiles,
    )


CURRENT_MULTIPLIERS_QUERY = """
    query($tournament: Int!) {
      rounds(tournament: $tournament number: 0) {
        number
        roundScoreConfigs { displayName defaultMultiplier isPayout }
      }
    }
"""


@dataclass(frozen=True)
class PayoutMultipliers:
    """The CORR and MMC multipliers the tournament pays the open round with."""

    round_number: int
    corr: float
    mmc: float


def current_multipliers(client: TournamentClient) -> PayoutMultipliers:
    """The open round's payout multipliers (a public query: no credentials needed).
    ``TournamentError`` if no round is open or the round names no CORR or MMC multiplier."""
    data = client.query(CURRENT_MULTIPLIERS_QUERY, {"tournament": CLASSIC_TOURNAMENT})
    rounds = data.get("rounds")
    if not isinstance(rounds, list) or not rounds or not isinstance(rounds[0], dict):
        raise TournamentError("no open round to read the payout multipliers of")
    raw = rounds[0]
    found: dict[str, float] = {}
    for c in raw.get("roundScoreConfigs") or []:
        if isinstance(c, dict) and c.get("isPayout") is not False:
            value = _float(c.get("defaultMultiplier"), f"multiplier of {c.get('displayName')}")
            if isinstance(c.get("displayName"), str) and value is not None:
                found[c["displayName"]] = value
    corr, mmc = _first(found, CORR_NAMES), _first(found, MMC_NAMES)
    if corr is None or mmc is None:
        raise TournamentError(f"the open round names no CORR and MMC multipliers: {found}")
    return PayoutMultipliers(int(raw.get("number") or 0), corr, mmc)


def model_ids(client: TournamentClient) -> dict[str, str]:
    """The account's model names and ids (needs credentials)."""
    found = client.call("account models", client.api.get_models)
    if not isinstance(found, dict):
        raise TournamentError("the account's models came back as something other than a map")
    return {str(k): str(v) for k, v in found.items()}


def performances(client: TournamentClient, model_id: str) -> list[RoundPerformance]:
    """Every round the model took part in, oldest first."""
    data = client.query(PERFORMANCES_QUERY, {"modelId": model_id, "tournament": CLASSIC_TOURNAMENT})
    rows = data.get("v2RoundModelPerformances")
    if not isinstance(rows, list):
        raise TournamentError("v2RoundModelPerformances answered without a list")
    parsed = [parse_performance(r) for r in rows if isinstance(r, dict)]
    return sorted(parsed, key=lambda p: p.round_number)


__all__ = [
    "CORR_NAMES",
    "CURRENT_MULTIPLIERS_QUERY",
    "MMC_NAMES",
    "PERFORMANCES_QUERY",
    "PayoutMultipliers",
    "RoundPerformance",
    "current_multipliers",
    "model_ids",
    "parse_performance",
    "performances",
]
