"""The ledger's foundation: the SQLite file, its schema, and one short transaction per call.

Every part of the ledger (``_ledger_rounds``, ``_ledger_models``, ``_ledger_scores``,
``_ledger_stakes``, ``_ledger_events``, and research's ``ledger_research``) reads through
``_read`` and writes through ``_writing``: a session of its own per call, nothing global.
Writes take SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``), so a check-then-insert never
races another process; a full disk is one ``StorageError`` naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Self

from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from numerpilot.agent._ledger_schema import MEMORY, SCHEMA_VERSION, WRITE_OPTION, Base, make_engine
from numerpilot.clock import Clock, utc
from numerpilot.errors import ConfigError, StorageError


class LedgerBase:
    """The state database's engine and sessions; the record kinds are mixed in by ``Ledger``."""

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

    def __enter__(self) -> Self:
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


__all__ = ["LedgerBase"]
