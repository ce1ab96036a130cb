"""Research records in the state database: the ledger's implementation of ``TrialStore``.

Experiments and their trials live beside the rounds and submissions, in the same SQLite file
and with the same durability (WAL, ``synchronous=FULL``): a trial recorded here survives
kill -9, so a rerun skips it. A trial's row is written as 'pending' with its configuration
before it runs, then replaced by its result when it finishes.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import delete, select

from numerpilot.agent._ledger_schema import ExperimentRow, TrialRow, json_safe
from numerpilot.agent.ledger import Ledger
from numerpilot.research import ExperimentRecord, TrialConfig, TrialRecord, TrialScores, TrialStore

PENDING = "pending"


def _experiment(row: ExperimentRow) -> ExperimentRecord:
    return ExperimentRecord(
        name=row.name,
        spec_hash=row.run_key.split(":")[0],
        data_hash=row.run_key.split(":")[-1],
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        winner=row.winner,
        promoted_model=row.promoted_model,
    )


def _trial(row: TrialRow) -> TrialRecord:
    return TrialRecord(
        experiment=row.experiment,
        phase=row.phase,
        number=row.number,
        config_hash=row.config_hash,
        data_hash=row.data_hash,
        config=TrialConfig.model_validate(row.config),
        status=row.status,
        objective=row.objective,
        scores=TrialScores(**row.scores) if row.scores else None,
        per_era=row.per_era or {},
        wall_seconds=row.wall_seconds or 0.0,
        peak_memory_bytes=row.peak_memory_bytes or 0,
        worker=row.worker or "",
        error=row.error,
        finished_at=row.finished_at,
    )


class ResearchLedger(TrialStore):
    """Experiments and trials, through the ledger's sessions."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def _run_key(self, name: str) -> str:
        with self.ledger._read() as s:
            row = s.get(ExperimentRow, name)
            if row is None:
                raise ValueError(f"experiment {name!r} is not in the ledger")
            return row.run_key

    def start_experiment(self, name: str, spec_hash: str, data_hash: str) -> ExperimentRecord:
        key = f"{spec_hash}:{data_hash}"
        with self.ledger._writing() as s:
            row = s.get(ExperimentRow, name)
            if row is None:
                row = ExperimentRow(
                    name=name, run_key=key, status="running", started_at=self.ledger._now()
                )
                s.add(row)
            elif row.run_key != key:
                # Another file or other data: earlier trials stay as history, unused.
                row.run_key, row.status, row.winner = key, "running", None
                row.started_at, row.finished_at = self.ledger._now(), None
            else:
                row.status = "running"
            s.flush()
            return _experiment(row)

    def experiment(self, name: str) -> ExperimentRecord | None:
        with self.ledger._read() as s:
            row = s.get(ExperimentRow, name)
            return None if row is None else _experiment(row)

    def experiments(self) -> list[ExperimentRecord]:
        with self.ledger._read() as s:
            rows = s.scalars(select(ExperimentRow).order_by(ExperimentRow.started_at))
            return [_experiment(r) for r in rows]

    def record_pending(self, experiment: str, phase: str, configs: dict[int, TrialConfig]) -> None:
        key = self._run_key(experiment)
        with self.ledger._writing() as s:
            for number, config in configs.items():
                found = s.scalar(self._where(experiment, key, phase, number))
                if found is not None:
                    continue
                s.add(
                    TrialRow(
                        experiment=experiment,
                        run_key=key,
                        phase=phase,
                        number=number,
                        config_hash=config.key(),
                        data_hash=key.split(":")[-1],
                        config=config.model_dump(mode="json"),
                        status=PENDING,
                    )
                )

    @staticmethod
    def _where(experiment: str, key: str, phase: str, number: int):  # type: ignore[no-untyped-def]
        return select(TrialRow).where(
            TrialRow.experiment == experiment,
            TrialRow.run_key == key,
            TrialRow.phase == phase,
            TrialRow.number == number,
        )

    def record_trial(self, record: TrialRecord) -> None:
        key = self._run_key(record.experiment)
        with self.ledger._writing() as s:
            s.execute(
                delete(TrialRow).where(
                    TrialRow.experiment == record.experiment,
                    TrialRow.run_key == key,
                    TrialRow.phase == record.phase,
                    TrialRow.number == record.number,
                )
            )
            s.add(
                TrialRow(
                    experiment=record.experiment,
                    run_key=key,
                    phase=record.phase,
                    number=record.number,
                    config_hash=record.config_hash,
                    data_hash=record.data_hash,
                    config=record.config.model_dump(mode="json"),
                    status=record.status,
                    objective=record.objective,
                    scores=None if record.scores is None else json_safe(asdict(record.scores)),
                    per_era=json_safe(record.per_era),
                    wall_seconds=record.wall_seconds,
                    peak_memory_bytes=record.peak_memory_bytes,
                    worker=record.worker,
                    error=record.error,
                    finished_at=self.ledger._now(),
                )
            )

    def pending(self, experiment: str, phase: str) -> dict[int, TrialConfig]:
        return {r.number: r.config for r in self._rows(experiment, phase, statuses=(PENDING,))}

    def _rows(
        self, experiment: str, phase: str | None, *, statuses: tuple[str, ...]
    ) -> list[TrialRecord]:
        if self.experiment(experiment) is None:
            return []
        key = self._run_key(experiment)
        query = select(TrialRow).where(
            TrialRow.experiment == experiment,
            TrialRow.run_key == key,
            TrialRow.status.in_(statuses),
        )
        if phase is not None:
            query = query.where(TrialRow.phase == phase)
        with self.ledger._read() as s:
            return [_trial(r) for r in s.scalars(query.order_by(TrialRow.phase, TrialRow.number))]

    def trials(self, experiment: str, phase: str | None = None) -> list[TrialRecord]:
        return self._rows(experiment, phase, statuses=("done", "failed"))

    def finish_experiment(self, name: str, winner: str | None) -> None:
        with self.ledger._writing() as s:
            row = s.get(ExperimentRow, name)
            if row is None:
                raise ValueError(f"experiment {name!r} is not in the ledger")
            row.status, row.winner, row.finished_at = "finished", winner, self.ledger._now()

    def mark_promoted(self, name: str, model: str) -> None:
        with self.ledger._writing() as s:
            row = s.get(ExperimentRow, name)
            if row is None:
                raise ValueError(f"experiment {name!r} is not in the ledger")
            row.status, row.promoted_model = "promoted", model


__all__ = ["ResearchLedger"]
