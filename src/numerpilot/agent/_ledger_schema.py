"""The ledger's storage: SQLAlchemy 2.0 tables over SQLite, and the engine that opens them.

Private to ``agent.ledger``: nothing else imports this module. Times are stored as naive UTC
and come back timezone-aware; NMR amounts are stored as decimal text so that no float rounding
can push a stake past its budget.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    String,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

# Bumped whenever a table changes; a ledger written by a newer numerpilot is refused.
SCHEMA_VERSION = 2  # 2: scores.percentile
MEMORY = ":memory:"
# Execution option that makes a transaction take SQLite's write lock at BEGIN.
WRITE_OPTION = "numerpilot_write"

SUBMISSION_STATUSES = ("pending", "confirmed", "failed", "rejected")
# A pending intent blocks a new upload as much as a confirmed submission does: at most one of
# either per (round, model). That one index is what makes a duplicate upload impossible.
LIVE_STATUSES = ("pending", "confirmed")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; naive ones are a bug and refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"ledger times must be timezone-aware, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact decimals stored as text (SQLite has no decimal type)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: DecimalText(),
        dict[str, Any]: JSON(),
    }


class RoundRow(Base):
    __tablename__ = "rounds"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    open_time: Mapped[datetime]
    close_time: Mapped[datetime]
    resolve_time: Mapped[datetime | None]
    resolved: Mapped[bool] = mapped_column(default=False)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ModelVersionRow(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(unique=True)
    path: Mapped[str]
    sha256: Mapped[str]
    data_version: Mapped[str | None]
    metrics: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    promoted_at: Mapped[datetime | None]


class SubmissionRow(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in SUBMISSION_STATUSES) + ")",
            name="ck_submission_status",
        ),
        CheckConstraint("status != 'confirmed' OR server_id IS NOT NULL", name="ck_confirmed_id"),
        Index(
            "uq_submission_live",
            "round_number",
            "model",
            unique=True,
            sqlite_where=text("status IN (" + ", ".join(f"'{s}'" for s in LIVE_STATUSES) + ")"),
        ),
        Index("ix_submission_model", "model", "round_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_number: Mapped[int] = mapped_column(ForeignKey("rounds.number"))
    model: Mapped[str]
    model_version: Mapped[str | None]
    mode: Mapped[str] = mapped_column(default="csv")
    file_sha256: Mapped[str]
    server_id: Mapped[str | None]
    status: Mapped[str] = mapped_column(default="pending")
    attempted_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    error: Mapped[str | None]


class ScoreRow(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("round_number", "model", "day", name="uq_score_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_number: Mapped[int]
    model: Mapped[str]
    day: Mapped[int]
    resolved: Mapped[bool] = mapped_column(default=False)
    corr: Mapped[float | None]
    mmc: Mapped[float | None]
    payout: Mapped[Decimal | None]
    recorded_at: Mapped[datetime]
    percentile: Mapped[float | None]  # of CORR among all models, 0..1


class StakeActionRow(Base):
    __tablename__ = "stake_actions"
    __table_args__ = (Index("ix_stake_model", "model", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    model: Mapped[str]
    round_number: Mapped[int | None]
    action: Mapped[str]
    code: Mapped[str]
    amount: Mapped[Decimal]
    stake_before: Mapped[Decimal]
    stake_after: Mapped[Decimal]
    as_of_round: Mapped[int | None]
    reason: Mapped[str]
    dry_run: Mapped[bool]
    server_response: Mapped[str | None]
    error: Mapped[str | None]


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_event_kind", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str]
    model: Mapped[str | None]
    round_number: Mapped[int | None]
    message: Mapped[str]
    details: Mapped[dict[str, Any]]


class HeartbeatRow(Base):
    __tablename__ = "heartbeats"

    agent: Mapped[str] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    started_at: Mapped[datetime]
    pid: Mapped[int]
    state: Mapped[str]
    beats: Mapped[int] = mapped_column(default=0)


class ExperimentRow(Base):
    """A research experiment (see ``agent.ledger_research``)."""

    __tablename__ = "experiments"

    name: Mapped[str] = mapped_column(primary_key=True)
    run_key: Mapped[str]  # spec hash + data hash: a changed file or data starts afresh
    status: Mapped[str]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    winner: Mapped[str | None]
    promoted_model: Mapped[str | None]


class TrialRow(Base):
    """One research trial; ``status`` 'pending' holds a configuration asked but not run."""

    __tablename__ = "trials"
    __table_args__ = (
        UniqueConstraint("experiment", "run_key", "phase", "number", name="uq_trial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment: Mapped[str] = mapped_column(ForeignKey("experiments.name"))
    run_key: Mapped[str]
    phase: Mapped[str]
    number: Mapped[int]
    config_hash: Mapped[str]
    data_hash: Mapped[str]
    config: Mapped[dict[str, Any]]
    status: Mapped[str]
    objective: Mapped[float | None]
    scores: Mapped[dict[str, Any] | None]
    per_era: Mapped[dict[str, Any] | None]
    wall_seconds: Mapped[float | None]
    peak_memory_bytes: Mapped[int | None]
    worker: Mapped[str | None]
    error: Mapped[str | None]
    finished_at: Mapped[datetime | None]


def _json(value: Any) -> str:
    # Details may carry decimals, times or paths: stored as their text.
    return json.dumps(value, sort_keys=True, default=str)


def json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as it will read back from the database."""
    loaded: dict[str, Any] = json.loads(_json(value))
    return loaded


def make_engine(target: Path | str, *, read_only: bool = False) -> Engine:
    if read_only:
        # SQLite itself refuses every write (mode=ro): looking can never change the ledger.
        engine = create_engine(
            f"sqlite:///file:{Path(target).resolve()}?mode=ro&uri=true",
            connect_args={"timeout": 30, "check_same_thread": False},
            json_serializer=_json,
        )
    elif target == MEMORY:
        # One shared connection: every connection to "sqlite://" would be a new, empty database.
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=_json,
        )
    else:
        engine = create_engine(
            f"sqlite:///{target}",
            connect_args={"timeout": 30, "check_same_thread": False},
            json_serializer=_json,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; SQLAlchemy's "begin" (below) emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        pragmas = ("query_only=ON",) if read_only else ("journal_mode=WAL", "synchronous=FULL")
        for pragma in (*pragmas, "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
