"""Stakes on their own (a fake session): exact decimals both ways, a malformed answer a
``TournamentError``, and bad requests refused before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from numerpilot.clock import SteppedClock
from numerpilot.errors import TournamentError
from numerpilot.tournament.stakes import StakeChange, change_stake, current_stake
from tests.tournament.fake_http import FakeSession, client_with, data


def test_current_stake_is_an_exact_decimal(clock: SteppedClock) -> None:
    session = FakeSession(script=[data(v3UserProfile={"stakeValue": "12.345678901234567890"})])
    assert current_stake(client_with(session, clock), "m") == Decimal("12.345678901234567890")
    assert session.calls[0].variables["model_name"] == "m"
    none = FakeSession(script=[data(v3UserProfile={"stakeValue": None})])
    assert current_stake(client_with(none, clock), "m") == Decimal(0)


def test_a_stake_without_its_field_is_a_tournament_error(clock: SteppedClock) -> None:
    session = FakeSession(script=[data(v3UserProfile={})])
    with pytest.raises(TournamentError, match=r"^stake of m: unexpected answer"):
        current_stake(client_with(session, clock), "m")


def test_change_stake_sends_the_amount_as_a_string_and_reads_the_answer(
    clock: SteppedClock,
) -> None:
    answer = {
        "dueDate": "2026-11-28T13:00:00Z",
        "requestedAmount": "0.1",
        "status": "pending",
        "type": "increase",
    }
    session = FakeSession(script=[data(v2ChangeStake=answer)])
    change = change_stake(client_with(session, clock), "mid-1", "increase", Decimal("0.1"))
    assert change == StakeChange(
        "increase", Decimal("0.1"), datetime(2026, 11, 28, 13, tzinfo=UTC), "pending"
    )
    (call,) = session.calls
    assert call.query.lstrip().startswith("mutation")
    assert call.variables["value"] == "0.1" and call.variables["modelId"] == "mid-1"
    assert change.describe() == "increase 0.1 NMR requested (pending, due 2026-11-28 13:00 UTC)"


def test_change_stake_refuses_bad_requests_before_sending(clock: SteppedClock) -> None:
    session = FakeSession()
    client = client_with(session, clock)
    with pytest.raises(ValueError, match="positive amount"):
        change_stake(client, "mid-1", "increase", Decimal(0))
    with pytest.raises(ValueError, match="'increase' or 'decrease'"):
        change_stake(client, "mid-1", "double", Decimal(1))
    assert session.calls == []
