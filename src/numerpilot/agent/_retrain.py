"""Retraining: when, and whether the new model replaces the current one.

- Due when the project has no model yet, when ``agent.retrain_every_days`` have passed since
  the last attempt, or when the tournament offers a newer dataset version than the promoted
  model was trained on (unless ``data.version`` pins one).
- A retrained model is recorded in the ledger either way; it is promoted only when its
  validation corr mean beats the current model's by ``agent.promote_margin``. A model trained
  on another data version has no comparable score, so it is promoted (the old data goes away).
- A failed attempt is recorded and notified, and counts as an attempt: it is tried again at
  the next cadence, not at every pass.

Training itself (download, train, validate) goes through ``Trainer``, so the decision logic
here is tested without LightGBM.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from numerpilot.agent.ledger import Ledger, ModelVersion
from numerpilot.agent.notify import Kind, Notifier
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.errors import NumerpilotError
from numerpilot.fsutil import sha256_file
from numerpilot.tournament import version_key

log = logging.getLogger(__name__)

ATTEMPT_EVENT = "retrain_started"
METRIC = "corr_mean"  # of the ensemble on validation: what promotion compares


@dataclass(frozen=True)
class TrainedModel:
    name: str
    path: Path
    data_version: str
    corr_mean: float | None  # validation corr mean of the ensemble


class Trainer(Protocol):
    def offered_versions(self) -> list[str]:
        """Dataset versions the tournament offers, oldest first ([] when it cannot say)."""
        ...

    def train(self, data_version: str | None) -> TrainedModel:
        """Fetch the data (``None``: the configured or newest version), train, validate."""
        ...

    def stored(self, name: str | None) -> TrainedModel | None:
        """A model already in the store (``None``: the newest), or None if there is none."""
        ...


@dataclass(frozen=True)
class RetrainDue:
    reason: str
    data_version: str | None


def model_fingerprint(path: Path) -> str:
    """sha256 over every file of a stored model (relative names and contents)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        digest.update(bytes.fromhex(sha256_file(file)))
    return digest.hexdigest()


def record(ledger: Ledger, model: TrainedModel) -> ModelVersion:
    metrics = {} if model.corr_mean is None else {METRIC: model.corr_mean}
    return ledger.record_model_version(
        model.name,
        path=str(model.path),
        sha256=model_fingerprint(model.path),
        data_version=model.data_version,
        metrics=metrics,
    )


def adopt(ledger: Ledger, trainer: Trainer, pinned: str | None = None) -> ModelVersion | None:
    """The promoted version; on a first run, the stored model (``pinned`` or the newest) is
    recorded and promoted, so the ledger knows what every submission was made with."""
    current = ledger.promoted_model_version()
    if current is not None:
        return current
    found = trainer.stored(pinned)
    if found is None:
        return None
    version = record(ledger, found)
    log.info("adopted stored model %s as the promoted model", version.name)
    return ledger.promote_model_version(version.name)


def _last_attempt(ledger: Ledger) -> datetime | None:
    times = [v.created_at for v in ledger.model_versions()]
    attempts = ledger.events(kind=ATTEMPT_EVENT, limit=1)
    if attempts:
        times.append(attempts[0].at)
    return max(times, default=None)


def retrain_due(
    ledger: Ledger, settings: Settings, now: datetime, offered: Sequence[str]
) -> RetrainDue | None:
    current = ledger.promoted_model_version()
    if current is None:
        return RetrainDue("no model has been trained yet", settings.data.version)
    newest = max(offered, key=version_key) if offered else None
    if (
        settings.data.version is None
        and newest is not None
        and current.data_version is not None
        and version_key(newest) > version_key(current.data_version)
    ):
        tried = {e.details.get("data_version") for e in ledger.events(kind=ATTEMPT_EVENT)}
        if newest not in tried:
            return RetrainDue(f"a new dataset version {newest} is offered", newest)
    last = _last_attempt(ledger)
    every = timedelta(days=settings.agent.retrain_every_days)
    if last is not None and utc(now) - last >= every:
        days = (utc(now) - last).total_seconds() / 86400
        return RetrainDue(
            f"{days:.1f} days since the last training (every "
            f"{settings.agent.retrain_every_days:g})",
            settings.data.version or current.data_version,
        )
    return None


def should_promote(
    new: ModelVersion, current: ModelVersion | None, margin: float
) -> tuple[bool, str]:
    """Whether ``new`` replaces ``current``, and why."""
    if current is None:
        return True, "there is no current model"
    if new.data_version != current.data_version:
        return True, f"trained on {new.data_version}, the current one on {current.data_version}"
    new_score, old_score = new.metrics.get(METRIC), current.metrics.get(METRIC)
    if new_score is None:
        return False, "it has no validation score"
    if old_score is None:
        return True, f"validation corr {new_score:.4f}; the current model has no score"
    if new_score >= old_score + margin:
        return True, f"validation corr {new_score:.4f} beats {old_score:.4f} by at least {margin}"
    return False, f"validation corr {new_score:.4f} does not beat {old_score:.4f} by {margin}"


def retrain(
    ledger: Ledger,
    notifier: Notifier,
    trainer: Trainer,
    settings: Settings,
    due: RetrainDue,
    clock: Clock,
) -> ModelVersion | None:
    """Train a new model and promote it if it is better; the promoted version after."""
    ledger.record_event(
        ATTEMPT_EVENT, f"retraining: {due.reason}", details={"data_version": due.data_version}
    )
    started = utc(clock.now())
    try:
        trained = trainer.train(due.data_version)
    except (NumerpilotError, OSError, MemoryError) as e:
        message = f"retraining failed ({due.reason}): {e}"
        log.warning("%s", message)
        ledger.record_event("retrain_failed", message, details={"error": type(e).__name__})
        notifier.notify(Kind.RETRAIN_FAILED, message, details={"reason": due.reason})
        return ledger.promoted_model_version()
    new = record(ledger, trained)
    current = ledger.promoted_model_version()
    promote, why = should_promote(new, current, settings.agent.promote_margin)
    minutes = (utc(clock.now()) - started).total_seconds() / 60
    if promote:
        ledger.promote_model_version(new.name)
    verdict = "promoted" if promote else "kept the current model"
    ledger.record_event(
        "retrained",
        f"trained {new.name} ({due.reason}); {verdict}: {why}",
        details={"model_version": new.name, "promoted": promote, "minutes": minutes},
    )
    log.info("retrained %s; %s: %s", new.name, verdict, why)
    return ledger.promoted_model_version()


__all__ = [
    "ATTEMPT_EVENT",
    "METRIC",
    "RetrainDue",
    "TrainedModel",
    "Trainer",
    "adopt",
    "model_fingerprint",
    "record",
    "retrain",
    "retrain_due",
    "should_promote",
]
