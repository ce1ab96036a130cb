"""The snapshot status reads a current ledger with: Ledger's own answers, without SQLAlchemy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from numerpilot.agent._ledger_snapshot import SCHEMA, LedgerSnapshot
from numerpilot.agent.ledger import Ledger
from numerpilot.clock import SteppedClock
from tests.report.month import START, fill_month


def test_it_reads_the_schema_the_ledger_writes(tmp_path: Path) -> None:
    # A new schema changes what the snapshot's queries must read: update them with it.
    with Ledger(tmp_path / "numerpilot.db", SteppedClock(START)):
        pass
    with sqlite3.connect(tmp_path / "numerpilot.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA


def test_a_snapshot_answers_what_the_ledger_answers(tmp_path: Path) -> None:
    path = tmp_path / "numerpilot.db"
    clock = SteppedClock(START)
    with Ledger(path, clock) as ledger:
        month = fill_month(ledger, clock)
        ledger.heartbeat("idle", pid=4242)
        ledger.record_event("note", "not a fallback", model="demo_csv")
    snapshot = LedgerSnapshot.read(path)
    assert snapshot is not None
    with Ledger(path, clock, read_only=True) as ledger:
        assert snapshot.rounds() == ledger.rounds()
        assert snapshot.submissions() == ledger.submissions()
        assert snapshot.scores() == ledger.scores()
        assert snapshot.stake_actions() == ledger.stake_actions()
        assert snapshot.events("fallback") == ledger.events(kind="fallback")
        assert snapshot.last_heartbeat() == ledger.last_heartbeat()
    # The month has every kind of record the comparison is about.
    assert len(snapshot.rounds()) == len(month.rounds) and month.fallback > 0
    assert all(snapshot.scores()) and snapshot.stake_actions() and snapshot.last_heartbeat()
    assert any(s.payout is not None for s in snapshot.scores())


def test_any_other_schema_is_left_to_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "numerpilot.db"
    with Ledger(path, SteppedClock(START)):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA - 1}")  # an older ledger, to upgrade
    assert LedgerSnapshot.read(path) is None
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert LedgerSnapshot.read(garbage) is None
