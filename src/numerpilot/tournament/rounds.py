"""Tournament rounds as typed values, parsed from the API's answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numerpilot.clock import utc
from numerpilot.errors import TournamentError

# The fields of numerapi's own ``list_rounds`` query that say when a round opens and closes;
# asking for a subset keeps the answer small and works on every server that speaks its schema.
ROUND_FIELDS = "number openTime closeTime closeStakingTime resolveTime"

CURRENT_ROUND_QUERY = f"""
    query($tournament: Int!) {{
      rounds(tournament: $tournament number: 0) {{ {ROUND_FIELDS} }}
    }}
"""

ROUND_QUERY = f"""
    query($tournament: Int! $number: Int!) {{
      rounds(tournament: $tournament number: $number) {{ {ROUND_FIELDS} }}
    }}
"""


@dataclass(frozen=True)
class RoundInfo:
    """One round's schedule. All times are timezone-aware (UTC)."""

    number: int
    open_time: datetime
    close_staking_time: datetime
    close_time: datetime | None = None
    resolve_time: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        """Whether a staked submission is accepted at ``now``."""
        return self.open_time <= utc(now) < self.close_staking_time


def parse_time(value: Any, field: str) -> datetime:
    """An ISO-8601 timestamp as an aware UTC datetime (a naive one is taken as UTC)."""
    if not isinstance(value, str):
        raise TournamentError(f"round field '{field}' is not a timestamp: {value!r}")
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError:
        raise TournamentError(f"round field '{field}' is not ISO-8601: {value!r}") from None


def parse_round(raw: Mapping[str, Any]) -> RoundInfo:
    """A ``rounds`` entry (camelCase keys as the API sends them) as a ``RoundInfo``."""
    try:
        number = int(raw["number"])
        open_time = parse_time(raw["openTime"], "openTime")
        close_staking = parse_time(raw["closeStakingTime"], "closeStakingTime")
    except KeyError as e:
        raise TournamentError(f"round answer lacks field {e.args[0]!r}") from None
    except (TypeError, ValueError):
        raise TournamentError(f"round number is not an integer: {raw.get('number')!r}") from None
    optional = {
        key: parse_time(raw[key], key) if raw.get(key) is not None else None
        for key in ("closeTime", "resolveTime")
    }
    return RoundInfo(
        number=number,
        open_time=open_time,
        close_staking_time=close_staking,
        close_time=optional["closeTime"],
        resolve_time=optional["resolveTime"],
    )


__all__ = ["CURRENT_ROUND_QUERY", "ROUND_QUERY", "RoundInfo", "parse_round", "parse_time"]
