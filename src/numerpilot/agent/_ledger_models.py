"""Model versions in the ledger: every trained model with its hash, and which one is promoted."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from numerpilot.agent._ledger_base import LedgerBase
from numerpilot.agent._ledger_records import ModelVersion, from_row
from numerpilot.agent._ledger_schema import ModelVersionRow, json_safe


class ModelVersionsLedger(LedgerBase):
    """Trained model versions and their promotions."""

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


__all__ = ["ModelVersionsLedger"]
