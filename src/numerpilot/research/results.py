"""An experiment's results as stored: scouts, finalists (CV beside holdout), the baseline."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from numerpilot.research._evaluate import FULL, HOLDOUT, SCOUT, TrialScores
from numerpilot.research._space import TrialConfig
from numerpilot.research.runner import BASELINE, rank
from numerpilot.research.store import ExperimentRecord, TrialRecord, TrialStore


@dataclass(frozen=True)
class Finalist:
    config: TrialConfig
    config_hash: str
    cv: TrialScores | None  # out of fold, at full scale
    holdout: TrialScores | None
    cv_per_era: dict[str, dict[str, float]]
    holdout_per_era: dict[str, dict[str, float]]

    @property
    def drop(self) -> float:
        """CV corr minus holdout corr: the selection bias (and the regime change), in numbers."""
        if self.cv is None or self.holdout is None:
            return math.nan
        return self.cv.corr_mean - self.holdout.corr_mean


@dataclass(frozen=True)
class ExperimentSummary:
    record: ExperimentRecord
    scouts: list[TrialRecord]
    finalists: list[Finalist]  # best first (by CV): the first is the winner
    baseline: Finalist | None  # the project's configured model, scored the same way
    failed: int
    wall_seconds: float  # summed over trials
    peak_memory_bytes: int  # the largest worker peak seen

    @property
    def winner(self) -> Finalist | None:
        return self.finalists[0] if self.finalists else None

    @property
    def multipliers(self) -> TrialScores | None:
        """Scores that say which payout multipliers the run used, and from where."""
        scored = [t.scores for t in self.scouts if t.scores is not None]
        return scored[0] if scored else None


def experiment_summary(store: TrialStore, record: ExperimentRecord) -> ExperimentSummary:
    trials = store.trials(record.name)
    by_phase: dict[str, list[TrialRecord]] = {}
    for t in trials:
        by_phase.setdefault(t.phase, []).append(t)
    scouts = rank(by_phase.get(SCOUT, []))
    held = {r.config_hash: r for r in by_phase.get(HOLDOUT, []) if r.status == "done"}
    # Without scouting, the best scouts were the finalists: those scored on the holdout.
    full = rank(by_phase.get(FULL, [])) or [r for r in scouts if r.config_hash in held]
    finalists = [
        Finalist(
            config=r.config,
            config_hash=r.config_hash,
            cv=r.scores,
            holdout=held[r.config_hash].scores if r.config_hash in held else None,
            cv_per_era=r.per_era,
            holdout_per_era=held[r.config_hash].per_era if r.config_hash in held else {},
        )
        for r in full
        if r.status == "done"
    ]
    base = next(iter(by_phase.get(BASELINE, [])), None)
    baseline = (
        Finalist(base.config, base.config_hash, None, base.scores, {}, base.per_era)
        if base is not None and base.status == "done"
        else None
    )
    return ExperimentSummary(
        record=record,
        scouts=scouts,
        finalists=finalists,
        baseline=baseline,
        failed=sum(1 for t in trials if t.status == "failed"),
        wall_seconds=sum(t.wall_seconds for t in trials),
        peak_memory_bytes=max((t.peak_memory_bytes for t in trials), default=0),
    )


def _scores(s: TrialScores | None) -> dict[str, Any] | None:
    return None if s is None else asdict(s)


def summary_json(summary: ExperimentSummary) -> dict[str, Any]:
    """The summary as plain values, for ``--json`` (one dict; the caller adds "kind")."""
    r = summary.record

    def finalist(f: Finalist) -> dict[str, Any]:
        return {
            "config_hash": f.config_hash,
            "config": f.config.model_dump(mode="json"),
            "describe": f.config.describe(),
            "cv": _scores(f.cv),
            "holdout": _scores(f.holdout),
            "cv_to_holdout_corr_drop": f.drop,
        }

    return {
        "name": r.name,
        "status": r.status,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "promoted_model": r.promoted_model,
        "scouts": [
            {
                "number": t.number,
                "status": t.status,
                "config_hash": t.config_hash,
                "describe": t.config.describe(),
                "objective": t.objective,
                "wall_seconds": t.wall_seconds,
                "peak_memory_bytes": t.peak_memory_bytes,
                "error": t.error,
            }
            for t in summary.scouts
        ],
        "finalists": [finalist(f) for f in summary.finalists],
        "baseline": None if summary.baseline is None else finalist(summary.baseline),
        "winner": None if summary.winner is None else summary.winner.config_hash,
        "payout_multipliers": None
        if (m := summary.multipliers) is None
        else {"corr": m.corr_multiplier, "mmc": m.mmc_multiplier, "source": m.multipliers_source},
        "failed": summary.failed,
        "trial_seconds": summary.wall_seconds,
        "peak_memory_bytes": summary.peak_memory_bytes,
    }


__all__ = ["ExperimentSummary", "Finalist", "experiment_summary", "summary_json"]
