"""The payout multipliers an experiment scores with: the tournament's, unless told otherwise.

What Numerai pays changes (0.5 CORR + 2 MMC for years, 0.75 + 2.25 quoted for 2026), so by
default an experiment asks the project's tournament (Numerai, or ``tournament.api_url``) for
the open round's multipliers, once, before any trial runs. The experiment file's values are
used when it says ``multipliers = "file"``, or when the tournament cannot be reached; the
source is recorded with every trial's scores and shown by ``experiment show``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from numerpilot.config import Settings
from numerpilot.errors import TournamentError
from numerpilot.research._spec import EvaluationSettings

log = logging.getLogger(__name__)

# One quick question: an unreachable tournament must not hold the experiment up for minutes.
ASK_TIMEOUT_SECONDS = 10.0
FILE = "experiment file"


@dataclass(frozen=True)
class Multipliers:
    corr: float
    mmc: float
    source: str  # "tournament round N", "experiment file" or why the file's were used


def payout_multipliers(settings: Settings, evaluation: EvaluationSettings) -> Multipliers:
    if evaluation.multipliers == "file":
        return Multipliers(evaluation.corr_multiplier, evaluation.mmc_multiplier, FILE)
    from numerpilot.errors import short
    from numerpilot.tournament.client import TournamentClient
    from numerpilot.tournament.scores import current_multipliers

    try:
        with TournamentClient(
            api_url=settings.tournament.api_url,
            timeout=min(ASK_TIMEOUT_SECONDS, settings.tournament.request_timeout_seconds),
            retries=0,
        ) as client:
            found = current_multipliers(client)
    except TournamentError as e:
        log.warning("payout multipliers: the tournament did not say (%s); the file's are used", e)
        return Multipliers(
            evaluation.corr_multiplier,
            evaluation.mmc_multiplier,
            f"{FILE} (the tournament did not say: {short(e, 120)})",
        )
    return Multipliers(found.corr, found.mmc, f"tournament round {found.round_number}")


__all__ = ["FILE", "Multipliers", "payout_multipliers"]
