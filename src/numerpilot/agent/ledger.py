"""The ledger: everything the autopilot has done, in SQLite, so a restart knows exactly that.

The only code that touches the state database. Each method is one short transaction on a
session of its own (no session outlives a call, nothing global), and returns frozen records
detached from the database.

Exactly-once submissions across kill -9: the worker calls ``begin_submission`` (an *intent*:
round, model, file hash) which commits BEFORE anything is uploaded, then ``confirm_submission``
with the server's id after. A unique index allows one pending-or-confirmed submission per
(round, model), so a second upload cannot even be begun. After a crash, ``reconcile_pending``
asks the server about every intent left without a server id: found means confirmed; not found
means the upload never completed, the intent is marked failed and a new one may start.

SQLite runs in WAL mode with ``synchronous=FULL``: a committed intent survives kill -9, and
``numerpilot status`` can read while the worker writes. Writes take the write lock at BEGIN
(``BEGIN IMMEDIATE``) so a check-then-insert never races another process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from numerpilot.agent.ledger_records import (
    Event,
    Heartbeat,
    ModelVersion,
    RoundRecord,
    Score,
    StakeAction,
    Submission,
    SubmissionStart,
    from_row,
)
from numerpilot.agent.ledger_schema import (
    LIVE_STATUSES,
    MEMORY,
    SCHEMA_VERSION,
    WRITE_OPTION,
    Base,
    EventRow,
    HeartbeatRow,
    ModelVersionRow,
    RoundRow,
    ScoreRow,
    StakeActionRow,
    SubmissionRow,
    json_safe,
    make_engine,
)
from numerpilot.agent.policy import StakeDecision
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.errors import ConfigError, StorageError


class Ledger:
    """The autopilot's state database. Open with ``Ledger(path, clock)`` or ``Ledger.open``."""

    def __init__(self, path: Path | str, clock: Clock, *, read_only: bool = False):
        """``read_only``: open an existing ledger through SQLite's read-only mode (the
        dashboard), never creating or migrating it; every write method then fails."""
        self.path = path
        self.read_only = read_only
        self._clock = clock
        self._engine = make_engine(path, read_only=read_only)  # connects lazily
        try:
            if read_only:
                self._check_schema()
            else:
                if path != MEMORY:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._init_schema()
        except (DatabaseError, OSError) as e:
            self._engine.dispose()
            detail = getattr(e, "orig", None) or e
            raise ConfigError(
                f"setting 'agent.ledger': cannot use {path} as a ledger: {detail}"
            ) from None
        except ConfigError:
            self._engine.dispose()
            raise
        self._read = sessionmaker(self._engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self._engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, settings: Settings, clock: Clock) -> Ledger:
        return cls(settings.ledger_path, clock)

    def _check_schema(self) -> int:
        with self._engine.connect() as conn:
            found = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        if found > SCHEMA_VERSION:
            raise ConfigError(
                f"setting 'agent.ledger': {self.path} was written by a newer numerpilot "
                f"(schema {found}, this one knows {SCHEMA_VERSION}); upgrade numerpilot"
            )
        if 0 < found < SCHEMA_VERSION and self.read_only:
            raise ConfigError(
                f"setting 'agent.ledger': {self.path} has schema {found}; run any writing "
                "command once (e.g. 'numerpilot status' after 'numerpilot run') to upgrade it"
            )
        return found

    def _init_schema(self) -> None:
        found = self._check_schema()
        if found == 1:
            # Schema 2 adds the percentile of each score; older rows keep it empty.
            with self._engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE scores ADD COLUMN percentile FLOAT")
        Base.metadata.create_all(self._engine)
        if found < SCHEMA_VERSION:
            with self._engine.begin() as conn:
                conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        try:
            with self._write_sessions.begin() as session:
                yield session
        except OperationalError as e:
            # SQLITE_FULL: nothing of this transaction was written; say so in one line.
            if "full" not in str(e.orig or e).lower() or self.path == MEMORY:
                raise
            raise StorageError(
                f"the ledger {self.path} cannot be written: {e.orig}; free some space and "
                "run the command again",
                path=str(self.path),
            ) from None

    def _now(self) -> datetime:
        return utc(self._clock.now())

    # -- rounds ----------------------------------------------------------------------------
    def record_round(
        self,
        number: int,
        open_time: datetime,
        close_time: datetime,
        resolve_time: datetime | None = None,
    ) -> RoundRecord:
        """Insert the round, or update its times: a round that opens late moves its close."""
        now = self._now()
        with self._writing() as s:
            row = s.get(RoundRow, number)
            if row is None:
                row = RoundRow(number=number, first_seen_at=now, resolved=False)
                s.add(row)
            row.open_time, row.close_time, row.updated_at = utc(open_time), utc(close_time), now
            if resolve_time is not None:
                row.resolve_time = utc(resolve_time)
            s.flush()
            return from_row(RoundRecord, row)

    def mark_round_resolved(self, number: int) -> None:
        with self._writing() as s:
            row = s.get(RoundRow, number)
            if row is None:
                raise ValueError(f"round {number} is not in the ledger")
            row.resolved, row.updated_at = True, self._now()

    def round(self, number: int) -> RoundRecord | None:
        with self._read() as s:
            row = s.get(RoundRow, number)
            return None if row is None else from_row(RoundRecord, row)

    def rounds(self, limit: int | None = None) -> list[RoundRecord]:
        """Newest first."""
        with self._read() as s:
            rows = s.scalars(select(RoundRow).order_by(RoundRow.number.desc()).limit(limit))
            return [from_row(RoundRecord, r) for r in rows]

    def missed_rounds(self, model: str) -> list[int]:
        """Closed rounds without a confirmed submission of ``model``, oldest first."""
        confirmed = select(SubmissionRow.round_number).where(
            SubmissionRow.model == model, SubmissionRow.status == "confirmed"
        )
        query = (
            select(RoundRow.number)
            .where(RoundRow.close_time <= self._now(), RoundRow.number.not_in(confirmed))
            .order_by(RoundRow.number)
        )
        with self._read() as s:
            return list(s.scalars(query))

    # -- model versions --------------------------------------------------------------------
    def record_model_version(
        self,
        name: str,
        *,
        path: str,
        sha256: str,
        data_version: str | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> ModelVersion:
        """Record a trained model; recording the same name and hash again changes nothing."""
        with self._writing() as s:
            row = s.scalar(select(ModelVersionRow).where(ModelVersionRow.name == name))
            if row is not None:
                if row.sha256 != sha256:
                    raise ValueError(f"model version {name!r} is recorded with another hash")
                return from_row(ModelVersion, row)
            row = ModelVersionRow(
                name=name,
                path=path,
                sha256=sha256,
                data_version=data_version,
                metrics=json_safe(dict(metrics or {})),
                created_at=self._now(),
            )
            s.add(row)
            s.flush()
            return from_row(ModelVersion, row)

    def promote_model_version(self, name: str) -> ModelVersion:
        with self._writing() as s:
            row = s.scalar(select(ModelVersionRow).where(ModelVersionRow.name == name))
            if row is None:
                raise ValueError(f"model version {name!r} is not in the ledger")
            row.promoted_at = self._now()
            return from_row(ModelVersion, row)

    def promoted_model_version(self) -> ModelVersion | None:
        """The most recently promoted version (earlier promotions stay as history)."""
        query = (
            select(ModelVersionRow)
            .where(ModelVersionRow.promoted_at.is_not(None))
            .order_by(ModelVersionRow.promoted_at.desc(), ModelVersionRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            row = s.scalar(query)
            return None if row is None else from_row(ModelVersion, row)

    def model_versions(self) -> list[ModelVersion]:
        with self._read() as s:
            return [
                from_row(ModelVersion, r)
                for r in s.scalars(select(ModelVersionRow).order_by(ModelVersionRow.id))
            ]

    # -- submissions -----------------------------------------------------------------------
    def begin_submission(
        self,
        round_number: int,
        model: str,
        file_sha256: str,
        *,
        model_version: str | None = None,
        mode: str = "csv",
    ) -> SubmissionStart:
        """Commit an intent to upload, or return the pending/confirmed one that forbids it.

        Upload only when ``created`` is true; a pending one must be reconciled first.
        """
        live = select(SubmissionRow).where(
            SubmissionRow.round_number == round_number,
            SubmissionRow.model == model,
            SubmissionRow.status.in_(LIVE_STATUSES),
        )
        try:
            with self._writing() as s:
                if s.get(RoundRow, round_number) is None:
                    raise ValueError(f"round {round_number} is not in the ledger; record it first")
                existing = s.scalar(live)
                if existing is not None:
                    return SubmissionStart(from_row(Submission, existing), created=False)
                row = SubmissionRow(
                    round_number=round_number,
                    model=model,
                    model_version=model_version,
                    mode=mode,
                    file_sha256=file_sha256,
                    status="pending",
                    attempted_at=self._now(),
                )
                s.add(row)
                s.flush()
                return SubmissionStart(from_row(Submission, row), created=True)
        except IntegrityError:
            # Another process committed an intent between our check and insert: honour it.
            with self._read() as s:
                return SubmissionStart(from_row(Submission, s.scalars(live).one()), created=False)

    def confirm_submission(self, submission_id: int, server_id: str) -> Submission:
        with self._writing() as s:
            row = self._get_submission(s, submission_id)
            if row.status == "confirmed" and row.server_id == server_id:
                return from_row(Submission, row)
            if row.status != "pending":
                raise ValueError(f"submission {submission_id} is {row.status}, not pending")
            row.status, row.server_id, row.confirmed_at = "confirmed", server_id, self._now()
            return from_row(Submission, row)

    def fail_submission(
        self, submission_id: int, error: str, *, rejected: bool = False
    ) -> Submission:
        """The upload did not reach the server (``failed``, may be retried) or was refused."""
        with self._writing() as s:
            row = self._get_submission(s, submission_id)
            if row.status != "pending":
                raise ValueError(f"submission {submission_id} is {row.status}, not pending")
            row.status, row.error = ("rejected" if rejected else "failed"), error
            return from_row(Submission, row)

    @staticmethod
    def _get_submission(s: Session, submission_id: int) -> SubmissionRow:
        row = s.get(SubmissionRow, submission_id)
        if row is None:
            raise ValueError(f"submission {submission_id} is not in the ledger")
        return row

    def pending_submissions(self) -> list[Submission]:
        query = select(SubmissionRow).where(SubmissionRow.status == "pending")
        with self._read() as s:
            return [from_row(Submission, r) for r in s.scalars(query.order_by(SubmissionRow.id))]

    def reconcile_pending(self, find: Callable[[Submission], str | None]) -> list[Submission]:
        """Settle every intent left without a server id (after a crash) against the server.

        ``find`` returns the server's id of *this* submission (same round and model, and the
        same file or one made after ``attempted_at``), or None if it never arrived. An error
        from ``find`` propagates and leaves the intent pending, which keeps blocking a new
        upload: better late than twice.
        """
        settled = []
        for intent in self.pending_submissions():
            server_id = find(intent)
            if server_id is None:
                settled.append(
                    self.fail_submission(intent.id, "interrupted: the server never received it")
                )
            else:
                settled.append(self.confirm_submission(intent.id, server_id))
        return settled

    def submission_for(self, round_number: int, model: str) -> Submission | None:
        """The pending or confirmed submission of ``model`` in that round, if any."""
        query = select(SubmissionRow).where(
            SubmissionRow.round_number == round_number,
            SubmissionRow.model == model,
            SubmissionRow.status.in_(LIVE_STATUSES),
        )
        with self._read() as s:
            row = s.scalar(query)
            return None if row is None else from_row(Submission, row)

    def submissions(self, model: str | None = None, limit: int | None = None) -> list[Submission]:
        """Newest first; failed and rejected attempts included."""
        query = select(SubmissionRow).order_by(SubmissionRow.id.desc()).limit(limit)
        if model is not None:
            query = query.where(SubmissionRow.model == model)
        with self._read() as s:
            return [from_row(Submission, r) for r in s.scalars(query)]

    # -- scores ----------------------------------------------------------------------------
    def record_score(
        self,
        round_number: int,
        model: str,
        *,
        day: int,
        resolved: bool = False,
        corr: float | None = None,
        mmc: float | None = None,
        payout: Decimal | None = None,
        percentile: float | None = None,
    ) -> None:
        """Insert or update the scores of one scoring day of a round (pulling twice is safe)."""
        values = {
            "resolved": resolved,
            "corr": corr,
            "mmc": mmc,
            "payout": payout,
            "percentile": percentile,
            "recorded_at": self._now(),
        }
        statement = sqlite_insert(ScoreRow).values(
            round_number=round_number, model=model, day=day, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["round_number", "model", "day"], set_=values
        )
        with self._writing() as s:
            s.execute(statement)

    def scores(self, model: str | None = None, *, resolved_only: bool = False) -> list[Score]:
        """The latest scoring day of each (round, model), oldest round first."""
        latest = (
            select(ScoreRow.round_number, ScoreRow.model, func.max(ScoreRow.day).label("day"))
            .group_by(ScoreRow.round_number, ScoreRow.model)
            .subquery()
        )
        query = (
            select(ScoreRow)
            .join(
                latest,
                (ScoreRow.round_number == latest.c.round_number)
                & (ScoreRow.model == latest.c.model)
                & (ScoreRow.day == latest.c.day),
            )
            .order_by(ScoreRow.round_number, ScoreRow.model)
        )
        if model is not None:
            query = query.where(ScoreRow.model == model)
        if resolved_only:
            query = query.where(ScoreRow.resolved.is_(True))
        with self._read() as s:
            return [from_row(Score, r) for r in s.scalars(query)]

    # -- stakes ----------------------------------------------------------------------------
    def record_stake_action(
        self,
        model: str,
        decision: StakeDecision,
        *,
        round_number: int | None = None,
        server_response: str | None = None,
        error: str | None = None,
    ) -> StakeAction:
        row = StakeActionRow(
            at=self._now(),
            model=model,
            round_number=round_number,
            action=decision.action,
            code=decision.code,
            amount=decision.amount,
            stake_before=decision.stake_before,
            stake_after=decision.stake_after,
            as_of_round=decision.as_of_round,
            reason=decision.reason,
            dry_run=decision.dry_run,
            server_response=server_response,
            error=error,
        )
        with self._writing() as s:
            s.add(row)
            s.flush()
            return from_row(StakeAction, row)

    def stake_actions(
        self, model: str | None = None, limit: int | None = None
    ) -> list[StakeAction]:
        """Newest first."""
        query = select(StakeActionRow).order_by(StakeActionRow.id.desc()).limit(limit)
        if model is not None:
            query = query.where(StakeActionRow.model == model)
        with self._read() as s:
            return [from_row(StakeAction, r) for r in s.scalars(query)]

    def last_cut_round(self, model: str, *, dry_run: bool) -> int | None:
        """``as_of_round`` of the model's latest drawdown cut: the policy cuts once per drawdown."""
        query = (
            select(StakeActionRow.as_of_round)
            .where(
                StakeActionRow.model == model,
                StakeActionRow.code == "drawdown_cut",
                StakeActionRow.dry_run.is_(dry_run),
                StakeActionRow.error.is_(None),
            )
            .order_by(StakeActionRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            return s.scalar(query)

    # -- events and heartbeats -------------------------------------------------------------
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
