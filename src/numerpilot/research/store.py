"""What research records, and the store it records into.

The records live in numerpilot's state database, which only the ledger touches: the ledger
implements ``TrialStore`` (``agent.ledger_research``) and the command that runs an
experiment hands it in. Research itself never opens the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from numerpilot.research._evaluate import TrialScores
from numerpilot.research._space import TrialConfig


@dataclass(frozen=True)
class TrialRecord:
    """One finished (or refused) trial."""

    experiment: str
    phase: str
    number: int
    config_hash: str
    data_hash: str
    config: TrialConfig
    status: str  # "done" or "failed"
    objective: float | None
    scores: TrialScores | None
    per_era: dict[str, dict[str, float]]
    wall_seconds: float
    peak_memory_bytes: int
    worker: str
    error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class ExperimentRecord:
    name: str
    spec_hash: str
    data_hash: str
    status: str  # "running", "finished", "promoted"
    started_at: datetime
    finished_at: datetime | None
    winner: str | None  # config hash of the winner
    promoted_model: str | None


class TrialStore(Protocol):
    def start_experiment(self, name: str, spec_hash: str, data_hash: str) -> ExperimentRecord:
        """Record (or find again) the experiment; a changed file or data starts it afresh."""
        ...

    def experiment(self, name: str) -> ExperimentRecord | None: ...

    def experiments(self) -> list[ExperimentRecord]: ...

    def record_trial(self, record: TrialRecord) -> None:
        """Store a finished trial at once (a rerun after kill -9 skips it)."""
        ...

    def record_pending(self, experiment: str, phase: str, configs: dict[int, TrialConfig]) -> None:
        """Store trials' configurations (by number) before they run, in one transaction, so a
        rerun asks nothing again."""
        ...

    def pending(self, experiment: str, phase: str) -> dict[int, TrialConfig]: ...

    def trials(self, experiment: str, phase: str | None = None) -> list[TrialRecord]: ...

    def finish_experiment(self, name: str, winner: str | None) -> None: ...

    def mark_promoted(self, name: str, model: str) -> None: ...


__all__ = ["ExperimentRecord", "TrialRecord", "TrialStore"]
