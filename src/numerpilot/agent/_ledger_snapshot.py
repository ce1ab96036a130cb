"""What ``status`` reads from a current ledger, through the standard library's ``sqlite3``.

``status`` runs often (from schedulers and agents) and reads six small tables; importing
SQLAlchemy and mapping the ledger's tables costs it 0.6 s of CPU before the first row, most of
its start-up. A ``LedgerSnapshot`` answers the same read methods as ``Ledger`` with the same
records, from one read-only connection (SQLite's ``mode=ro``: it cannot write). It reads only
a ledger of the schema it was written for; any other (older, to be upgraded; newer, to be
refused) goes through ``Ledger``, which knows what to do with it. A test keeps its answers
equal to ``Ledger``'s on a simulated month, and ``SCHEMA`` equal to the ledger's version.
"""

from __future__ import annotations

import json
import sqlite3
import types
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from numerpilot.agent._ledger_records import (
    Event,
    Heartbeat,
    RoundRecord,
    Score,
    StakeAction,
    Submission,
)

# The ledger schema these queries are written for (the ledger's ``SCHEMA_VERSION``).
SCHEMA = 2

R = TypeVar("R")


def _utc(text: str) -> datetime:
    # Stored naive, in UTC (``ledger_schema.UTCDateTime``).
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _converter(hint: Any) -> Callable[[Any], Any]:
    """How a stored value becomes the record field's type (as ``ledger_schema``'s types do)."""
    if isinstance(hint, types.UnionType):
        hint = next(a for a in hint.__args__ if a is not type(None))
    base = getattr(hint, "__origin__", hint)
    if base is datetime:
        return _utc
    if base is Decimal:
        return lambda v: Decimal(str(v))
    if base is bool:
        return bool
    if base is dict:
        return lambda v: json.loads(v) if isinstance(v, str) else v
    return lambda v: v


def _reader(cls: type[R]) -> tuple[list[str], Callable[[Sequence[Any]], R]]:
    """The record's column names, and how one row of them becomes the record."""
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    convert = [_converter(hints[n]) for n in names]

    def make(row: Sequence[Any]) -> R:
        values = {
            n: None if v is None else c(v) for n, c, v in zip(names, convert, row, strict=True)
        }
        return cls(**values)

    return names, make


class LedgerSnapshot:
    """The ledger's rounds, submissions, scores, stake actions, fallback events and heartbeat
    as ``Ledger`` returns them, read at once. ``read`` returns None where ``Ledger`` must
    open the file instead."""

    def __init__(
        self,
        rounds: list[RoundRecord],
        submissions: list[Submission],
        scores: list[Score],
        stake_actions: list[StakeAction],
        events: list[Event],
        heartbeats: dict[str, Heartbeat],
    ):
        self._rounds = rounds
        self._submissions = submissions
        self._scores = scores
        self._stake_actions = stake_actions
        self._events = events
        self._heartbeats = heartbeats

    @classmethod
    def read(cls, path: Path) -> LedgerSnapshot | None:
        try:
            conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None  # Ledger says what is wrong with it, in its own words
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
                return None
            conn.execute("BEGIN")  # one consistent view across the six reads
            return cls(
                _select(conn, RoundRecord, "rounds", "ORDER BY number DESC"),
                _select(conn, Submission, "submissions", "ORDER BY id DESC"),
                _select(
                    conn,
                    Score,
                    "scores AS s",
                    # The latest scoring day of each (round, model), as Ledger.scores.
                    "WHERE s.day = (SELECT MAX(day) FROM scores AS t WHERE "
                    "t.round_number = s.round_number AND t.model = s.model) "
                    "ORDER BY s.round_number, s.model",
                    prefix="s.",
                ),
                _select(conn, StakeAction, "stake_actions", "ORDER BY id DESC"),
                _select(conn, Event, "events", "WHERE kind = 'fallback' ORDER BY id DESC"),
                {h.agent: h for h in _select(conn, Heartbeat, "heartbeats", "")},
            )
        except sqlite3.Error:
            return None
        finally:
            conn.close()

    def rounds(self) -> list[RoundRecord]:
        """Newest first."""
        return list(self._rounds)

    def submissions(self) -> list[Submission]:
        """Newest first; failed and rejected attempts included."""
        return list(self._submissions)

    def scores(self) -> list[Score]:
        """The latest scoring day of each (round, model), oldest round first."""
        return list(self._scores)

    def stake_actions(self) -> list[StakeAction]:
        """Newest first."""
        return list(self._stake_actions)

    def events(self, kind: str) -> list[Event]:
        """Newest first; only fallbacks are read (what the dashboard marks)."""
        if kind != "fallback":
            raise ValueError(f"a ledger snapshot holds fallback events only, not {kind!r}")
        return list(self._events)

    def last_heartbeat(self, agent: str = "worker") -> Heartbeat | None:
        return self._heartbeats.get(agent)


def _select(
    conn: sqlite3.Connection, cls: type[R], table: str, rest: str, *, prefix: str = ""
) -> list[R]:
    names, make = _reader(cls)
    columns = ", ".join(prefix + n for n in names)
    return [make(row) for row in conn.execute(f"SELECT {columns} FROM {table} {rest}")]


__all__ = ["SCHEMA", "LedgerSnapshot"]
