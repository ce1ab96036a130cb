"""Events and heartbeats in the ledger: what happened (for people, and for ``once``), and
who is alive."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from numerpilot.agent._ledger_base import LedgerBase
from numerpilot.agent._ledger_records import Event, Heartbeat, from_row
from numerpilot.agent._ledger_schema import EventRow, HeartbeatRow, json_safe


class EventsLedger(LedgerBase):
    """Events recorded by the autopilot, and each agent process's heartbeat."""

    def record_event(
        self,
        kind: str,
        message: str,
        *,
        model: str | None = None,
        round_number: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Event:
        row = EventRow(
            at=self._now(),
            kind=kind,
            model=model,
            round_number=round_number,
            message=message,
            details=json_safe(dict(details or {})),
        )
        with self._writing() as s:
            s.add(row)
            s.flush()
            return from_row(Event, row)

    def events(self, kind: str | None = None, limit: int | None = None) -> list[Event]:
        """Newest first."""
        query = select(EventRow).order_by(EventRow.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(EventRow.kind == kind)
        with self._read() as s:
            return [from_row(Event, r) for r in s.scalars(query)]

    def heartbeat(self, state: str, *, agent: str = "worker", pid: int | None = None) -> Heartbeat:
        """Note that ``agent`` is alive; a new process id restarts its ``started_at``."""
        now, pid = self._now(), os.getpid() if pid is None else pid
        with self._writing() as s:
            row = s.get(HeartbeatRow, agent)
            if row is None:
                row = HeartbeatRow(agent=agent, started_at=now, pid=pid, beats=0)
                s.add(row)
            elif row.pid != pid:
                row.started_at, row.pid, row.beats = now, pid, 0
            row.at, row.state, row.beats = now, state, row.beats + 1
            s.flush()
            return from_row(Heartbeat, row)

    def last_heartbeat(self, agent: str = "worker") -> Heartbeat | None:
        with self._read() as s:
            row = s.get(HeartbeatRow, agent)
            if row is None:
                return None
            return from_row(Heartbeat, row)


__all__ = ["EventsLedger"]
