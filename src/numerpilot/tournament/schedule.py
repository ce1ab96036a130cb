"""When the next round opens, as the tournament announces it (numerapi's ``list_rounds``
with ``status: upcoming``). The agent never assumes a weekly schedule: where the API does not
say, it polls instead."""

from __future__ import annotations

from numerpilot.errors import TournamentError
from numerpilot.tournament.client import CLASSIC_TOURNAMENT, TournamentClient
from numerpilot.tournament.rounds import ROUND_FIELDS, RoundInfo, parse_round

UPCOMING_QUERY = f"""
    query($tournament: Int!) {{
      rounds(tournament: $tournament status: UPCOMING) {{ {ROUND_FIELDS} }}
    }}
"""


def upcoming_round(client: TournamentClient) -> RoundInfo | None:
    """The next round to open, or None if the tournament does not announce one."""
    data = client.query(UPCOMING_QUERY, {"tournament": CLASSIC_TOURNAMENT})
    rounds = data.get("rounds")
    if not isinstance(rounds, list):
        raise TournamentError("upcoming rounds query answered without a list")
    found = [parse_round(r) for r in rounds if isinstance(r, dict)]
    return min(found, key=lambda r: r.open_time) if found else None


__all__ = ["UPCOMING_QUERY", "upcoming_round"]
