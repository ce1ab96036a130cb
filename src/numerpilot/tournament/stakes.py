"""Stakes: read a model's stake, ask for a change. Changes apply at the next round boundary.

Amounts are exact decimals sent as strings (numerapi's ``stake_change`` sends ``str(nmr)``), so
no float rounding can push a stake past a budget. ``stake_decrease`` releases NMR back to the
account's balance; both go through numerapi's own methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from numerpilot.clock import utc
from numerpilot.errors import TournamentError
from numerpilot.tournament.client import TournamentClient

ZERO = Decimal(0)


@dataclass(frozen=True)
class StakeChange:
    """What the tournament answered to a change request."""

    action: str  # increase | decrease
    amount: Decimal
    due: datetime | None  # when it applies (the next round boundary)
    status: str

    def describe(self) -> str:
        due = f", due {self.due:%Y-%m-%d %H:%M} UTC" if self.due else ""
        return f"{self.action} {self.amount} NMR requested ({self.status or 'pending'}{due})"


def current_stake(client: TournamentClient, model_name: str) -> Decimal:
    """The model's stake in NMR (0 when it has none)."""
    value = client.call("stake of " + model_name, client.api.stake_get, model_name)
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        raise TournamentError(f"stake of {model_name} is not a number: {value!r}")
    return value


def _change(answer: Any, action: str, amount: Decimal) -> StakeChange:
    if not isinstance(answer, dict):
        raise TournamentError(f"stake {action} answered something other than an object")
    due = answer.get("dueDate")
    requested = answer.get("requestedAmount")
    return StakeChange(
        action=str(answer.get("type") or action),
        amount=requested if isinstance(requested, Decimal) else amount,
        due=utc(due) if isinstance(due, datetime) else None,
        status=str(answer.get("status") or ""),
    )


def change_stake(
    client: TournamentClient, model_id: str, action: str, amount: Decimal
) -> StakeChange:
    """Ask to increase or decrease the stake by ``amount`` NMR (> 0)."""
    if amount <= 0:
        raise ValueError(f"a stake change needs a positive amount, got {amount}")
    if action == "increase":
        method = client.api.stake_increase
    elif action == "decrease":
        method = client.api.stake_decrease
    else:
        raise ValueError(f"stake action must be 'increase' or 'decrease', not {action!r}")
    answer = client.call(f"stake {action}", method, str(amount), model_id)
    return _change(answer, action, amount)


__all__ = ["StakeChange", "change_stake", "current_stake"]
