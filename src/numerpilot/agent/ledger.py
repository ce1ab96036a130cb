"""The ledger: everything the autopilot has done, in SQLite, so a restart knows exactly that.

The only code that touches the state database. Each method is one short transaction on a
session of its own (no session outlives a call, nothing global), and returns frozen records
detached from the database. ``Ledger`` is one face over the parts, each in its own module by
what it records: rounds and submissions (``_ledger_rounds``, where the exactly-once intent
lives), model versions (``_ledger_models``), scores and payouts (``_ledger_scores``), stake
actions (``_ledger_stakes``), events and heartbeats (``_ledger_events``); experiments and
trials are research's (``ledger_research``). The file, its schema and its sessions are
``_ledger_base``'s.

Exactly-once submissions across kill -9: an intent (round, model, file hash) is committed
BEFORE anything is uploaded and confirmed with the server's id after; a unique index allows
one pending-or-confirmed submission per (round, model); ``reconcile_pending`` settles intents
a crash left behind against the server.

SQLite runs in WAL mode with ``synchronous=FULL``: a committed intent survives kill -9, and
``numerpilot status`` can read while the worker writes. Writes take the write lock at BEGIN
(``BEGIN IMMEDIATE``) so a check-then-insert never races another process.
"""

from __future__ import annotations

from numerpilot.agent._ledger_events import EventsLedger
from numerpilot.agent._ledger_models import ModelVersionsLedger
from numerpilot.agent._ledger_records import (
    Event,
    Heartbeat,
    ModelVersion,
    RoundRecord,
    Score,
    StakeAction,
    Submission,
    SubmissionStart,
)
from numerpilot.agent._ledger_rounds import RoundsLedger
from numerpilot.agent._ledger_schema import MEMORY
from numerpilot.agent._ledger_scores import ScoresLedger
from numerpilot.agent._ledger_stakes import StakesLedger
from numerpilot.clock import Clock
from numerpilot.config import Settings


class Ledger(RoundsLedger, ModelVersionsLedger, ScoresLedger, StakesLedger, EventsLedger):
    """The autopilot's state database. Open with ``Ledger(path, clock)`` or ``Ledger.open``."""

    @classmethod
    def open(cls, settings: Settings, clock: Clock) -> Ledger:
        return cls(settings.ledger_path, clock)


__all__ = [
    "MEMORY",
    "Event",
    "Heartbeat",
    "Ledger",
    "ModelVersion",
    "RoundRecord",
    "Score",
    "StakeAction",
    "Submission",
    "SubmissionStart",
]
