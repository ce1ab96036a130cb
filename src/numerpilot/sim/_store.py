"""The sim's state in SQLite: accounts, models, rounds, submissions, scores, stakes, payouts.

Every mutation is committed before the server answers, so a killed server restarts with
everything it acknowledged. Amounts are exact decimals stored as text and times are aware UTC
datetimes stored as ISO text: SQLite has neither type, and float NMR would drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class DecimalText(TypeDecorator[Decimal]):
    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcText(TypeDecorator[datetime]):
    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the sim store")
        return value.astimezone(UTC).isoformat()

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


class Base(DeclarativeBase):
    pass


class KeyValue(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(128))
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    available_nmr: Mapped[Decimal] = mapped_column(DecimalText)
    inserted_at: Mapped[datetime] = mapped_column(UtcText)


class Model(Base):
    __tablename__ = "models"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    tournament: Mapped[int] = mapped_column(Integer, default=8)
    stake: Mapped[Decimal] = mapped_column(DecimalText)
    inserted_at: Mapped[datetime] = mapped_column(UtcText)
    submission_webhook: Mapped[str | None] = mapped_column(Text, nullable=True)


class StakeRequest(Base):
    """An increase or decrease that takes effect at the next round boundary."""

    __tablename__ = "stake_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # increase | decrease
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    drain: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime] = mapped_column(UtcText)
    due_date: Mapped[datetime] = mapped_column(UtcText)
    status: Mapped[str] = mapped_column(String(16))  # pending | applied
    applied_amount: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class Round(Base):
    __tablename__ = "rounds"
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    era_index: Mapped[int] = mapped_column(Integer)
    open_time: Mapped[datetime] = mapped_column(UtcText)
    close_staking_time: Mapped[datetime] = mapped_column(UtcText)
    close_time: Mapped[datetime] = mapped_column(UtcText)
    score_dates: Mapped[str] = mapped_column(Text)  # JSON list of ISO times
    resolve_time: Mapped[datetime] = mapped_column(UtcText)
    staking_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    days_scored: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    payout_factor: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    total_at_risk: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class Upload(Base):
    """A presigned PUT URL: single use, expiring on the sim clock."""

    __tablename__ = "uploads"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # submission | diagnostics | pickle
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    model_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    filename: Mapped[str] = mapped_column(String(256), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcText)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    stored: Mapped[bool] = mapped_column(Boolean, default=False)
    consumed: Mapped[bool] = mapped_column(Boolean, default=False)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    round_number: Mapped[int] = mapped_column(ForeignKey("rounds.number"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    inserted_at: Mapped[datetime] = mapped_column(UtcText)
    source: Mapped[str] = mapped_column(String(32))
    trigger_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    on_time: Mapped[bool] = mapped_column(Boolean)
    selected: Mapped[bool] = mapped_column(Boolean, default=True)
    at_risk: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class Score(Base):
    __tablename__ = "scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    percentile: Mapped[float] = mapped_column(Float)
    date: Mapped[datetime] = mapped_column(UtcText)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    payout_pending: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class Payout(Base):
    __tablename__ = "payouts"
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    settled_at: Mapped[datetime] = mapped_column(UtcText)


class Pickle(Base):
    """A model upload (Numerai Compute): the pickle run at every round open."""

    __tablename__ = "pickles"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    data_version: Mapped[str] = mapped_column(String(16))
    docker_image: Mapped[str] = mapped_column(String(64))
    inserted_at: Mapped[datetime] = mapped_column(UtcText)
    updated_at: Mapped[datetime] = mapped_column(UtcText)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    validation_status: Mapped[str] = mapped_column(String(32))
    trigger_status: Mapped[str | None] = mapped_column(String(32), nullable=True)


class PickleRun(Base):
    """One run of a pickle for one round (Numerai's 'trigger')."""

    __tablename__ = "pickle_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pickle_id: Mapped[str] = mapped_column(ForeignKey("pickles.id"), index=True)
    round_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))  # pending | submission_succeeded | failed
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    submission_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    inserted_at: Mapped[datetime] = mapped_column(UtcText)
    updated_at: Mapped[datetime] = mapped_column(UtcText)


class Diagnostics(Base):
    __tablename__ = "diagnostics"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("models.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    inserted_at: Mapped[datetime] = mapped_column(UtcText)
    updated_at: Mapped[datetime] = mapped_column(UtcText)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL keeps readers going while one writer commits. With WAL, NORMAL sync makes every
    # commit survive the process being killed (the restart guarantee); only a power cut may
    # lose the last commits, and it saves an fsync per commit (hundreds per simulated month).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Engine and sessions over one SQLite file."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = create_engine(
            f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed when the block succeeds, rolled back otherwise."""
        with self._sessions() as session, session.begin():
            yield session

    def new_session(self) -> Session:
        """A plain session: the caller commits or rolls back."""
        return self._sessions()

    def get_meta(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(KeyValue, key)
            return None if row is None else row.value

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as s:
            s.merge(KeyValue(key=key, value=value))

    def close(self) -> None:
        self.engine.dispose()


__all__ = [
    "Account",
    "Diagnostics",
    "KeyValue",
    "Model",
    "Payout",
    "Pickle",
    "PickleRun",
    "Round",
    "Score",
    "StakeRequest",
    "Store",
    "Submission",
    "Upload",
]
