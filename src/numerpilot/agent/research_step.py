"""Research in the autopilot: run the configured experiment on a cadence, promote its winner
only when it beats the current model on the same holdout eras by ``agent.promote_margin``.

``numerpilot experiment promote`` uses ``promote_winner`` too (without the margin: a person
decided). Every promotion is recorded in the ledger (a model version, an event, the
experiment marked promoted) and notified; a winner that is not good enough is recorded too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from numerpilot.agent import _retrain as retrain
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.ledger_research import ResearchLedger
from numerpilot.agent.notify import Kind, Notifier
from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.errors import ConfigError, NumerpilotError
from numerpilot.models import ENSEMBLE, read_model_manifest
from numerpilot.pipeline import TrainProgress
from numerpilot.research import (
    ExperimentProgress,
    experiment_summary,
    plan_experiment,
    run_experiment,
    scheduler_address,
    stored_holdout_corr,
    train_winner,
)

log = logging.getLogger(__name__)

RUN_EVENT = "research_run"
PROMOTED_EVENT = "research_promoted"
KEPT_EVENT = "research_kept"


@dataclass(frozen=True)
class PromotionOutcome:
    experiment: str
    promoted: bool
    model: str | None
    reason: str
    winner_holdout_corr: float | None
    current_model: str | None
    current_holdout_corr: float | None


def promote_winner(
    ledger: Ledger,
    notifier: Notifier,
    settings: Settings,
    name: str,
    clock: Clock,
    *,
    margin: float | None = None,
    progress: TrainProgress | None = None,
) -> PromotionOutcome:
    """Train the winner of ``name`` and promote it; with ``margin``, only if its holdout corr
    beats the current model's on the same eras by at least ``margin``."""
    store = ResearchLedger(ledger)
    record = store.experiment(name)
    if record is None or record.status == "running":
        raise ConfigError(f"experiment {name!r} has not finished; run 'numerpilot experiment run'")
    summary = experiment_summary(store, record)
    winner = summary.winner
    if winner is None or winner.holdout is None:
        raise ConfigError(f"experiment {name!r} has no winner scored on its holdout")
    eras = sorted(winner.holdout_per_era)
    current = ledger.promoted_model_version()
    current_corr = (
        stored_holdout_corr(settings, Path(current.path), eras) if current is not None else None
    )
    won = winner.holdout.corr_mean
    if margin is not None and current_corr is not None and won < current_corr + margin:
        why = (
            f"winner's holdout corr {won:.4f} does not beat the current model's "
            f"{current_corr:.4f} by {margin}"
        )
        ledger.record_event(KEPT_EVENT, f"experiment {name}: kept the current model: {why}")
        return PromotionOutcome(
            name, False, None, why, won, current.name if current else None, current_corr
        )
    trained = train_winner(settings, name, winner.config, clock=clock, progress=progress)
    path = trained if isinstance(trained, Path) else trained.path
    manifest = read_model_manifest(path)
    ensemble = manifest.validation.get(ENSEMBLE)
    version = retrain.record(
        ledger,
        retrain.TrainedModel(
            name=manifest.name,
            path=path,
            data_version=manifest.data_version,
            corr_mean=None if ensemble is None else ensemble.corr_mean,
        ),
    )
    ledger.promote_model_version(version.name)
    store.mark_promoted(name, version.name)
    versus = "" if current_corr is None else f" against {current_corr:.4f} of {current.name}"  # type: ignore[union-attr]
    why = f"holdout corr {won:.4f}{versus} on {len(eras)} holdout eras"
    details = {
        "experiment": name,
        "model": version.name,
        "config": winner.config.describe(),
        "winner_holdout_corr": won,
        "current_holdout_corr": current_corr,
    }
    ledger.record_event(
        PROMOTED_EVENT, f"promoted {version.name} from {name}: {why}", details=details
    )
    notifier.notify(
        Kind.RESEARCH_PROMOTED,
        f"promoted {version.name} from experiment {name}: {why}",
        details=details,
    )
    return PromotionOutcome(
        name, True, version.name, why, won, current.name if current else None, current_corr
    )


def research_due(ledger: Ledger, settings: Settings, clock: Clock) -> bool:
    every = settings.agent.research_every_days
    if every is None or settings.research.experiment is None:
        return False
    last = ledger.events(kind=RUN_EVENT, limit=1)
    return not last or utc(clock.now()) - last[0].at >= timedelta(days=every)


def maybe_research(
    ledger: Ledger,
    notifier: Notifier,
    settings: Settings,
    clock: Clock,
    notes: list[str],
    progress: ExperimentProgress | None = None,
) -> None:
    """The autopilot's cadence step: run the experiment when due, promote if it is better."""
    if not research_due(ledger, settings, clock):
        return
    name = settings.research.experiment
    assert name is not None  # research_due checked it
    ledger.record_event(RUN_EVENT, f"running experiment {name}")
    try:
        plan = plan_experiment(settings, name, scheduler=scheduler_address(settings, None))
        run_experiment(settings, plan, ResearchLedger(ledger), progress=progress)
        outcome = promote_winner(
            ledger, notifier, settings, name, clock, margin=settings.agent.promote_margin
        )
    except (NumerpilotError, OSError, MemoryError) as e:
        message = f"experiment {name} failed: {e}"
        log.warning("%s", message)
        ledger.record_event("research_failed", message, details={"error": type(e).__name__})
        notifier.notify(Kind.RETRAIN_FAILED, message, details={"experiment": name})
        return
    if outcome.promoted:
        notes.append(f"promoted {outcome.model} from experiment {name}")


__all__ = ["PromotionOutcome", "maybe_research", "promote_winner", "research_due"]
