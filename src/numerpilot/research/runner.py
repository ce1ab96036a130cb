"""Running an experiment: scouts, then the best at full scale, then the holdout; on Dask.

1. Scouts: the search's trials (grid or TPE) on downsampled eras (and features), scored out of
   fold. Each trial is a task on the Dask cluster; each result is stored the moment it
   arrives, so a run killed with kill -9 and started again skips every finished trial.
2. Full scale: the best ``finalists`` scouts re-run on all their eras.
3. Holdout: the finalists, and the project's configured model for comparison, fitted on every
   search era and scored on the final holdout, which no choice was made on. The winner is the
   best finalist by its out-of-fold score; the holdout shows what that choice is worth.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from numerpilot.clock import monotonic
from numerpilot.config import Settings, TrainSettings
from numerpilot.errors import NumerpilotError
from numerpilot.research._cluster import ClusterInfo, trial_cluster
from numerpilot.research._evaluate import (
    BASELINE,
    FULL,
    HOLDOUT,
    SCOUT,
    TrialOutcome,
    TrialTask,
    run_trial,
)
from numerpilot.research._space import TpeSearch, TrialConfig, grid
from numerpilot.research.plan import ExperimentPlan
from numerpilot.research.store import TrialRecord, TrialStore

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

# What a trial may fail with and leave the rest of the experiment running.
TRIAL_ERRORS = (NumerpilotError, ValueError, ArithmeticError, LookupError, MemoryError, OSError)


class TrialFuture(Protocol):
    """What the runner uses of a Dask future (distributed has no type hints)."""

    def result(self) -> TrialOutcome: ...
    def done(self) -> bool: ...
    def cancel(self) -> None: ...
    def cancelled(self) -> bool: ...


def _as_completed(futures: list[TrialFuture]) -> Iterator[TrialFuture]:
    from distributed import as_completed

    typed = cast("Callable[[list[TrialFuture]], Iterable[TrialFuture]]", as_completed)
    return iter(typed(futures))


class ExperimentProgress(Protocol):
    def step(self, message: str) -> None: ...

    def trial(self, phase: str, done: int, total: int, record: TrialRecord) -> None:
        """A trial of ``phase`` finished: ``done`` of ``total`` in this phase."""
        ...


@dataclass(frozen=True)
class RunReport:
    name: str
    cluster: ClusterInfo
    ran: int  # trials run now
    reused: int  # trials found finished from an earlier (interrupted) run
    seconds: float
    winner: TrialRecord | None


def baseline_config(t: TrainSettings) -> TrialConfig:
    """The project's configured model, as a trial (fitted the way trials are)."""
    params = t.params.model_dump(exclude={"num_threads", "early_stopping_rounds"})
    weights = t.target_weights or [1.0] * len(t.targets)
    return TrialConfig(
        preset="example",
        feature_set=t.feature_set,
        feature_groups=tuple(t.feature_groups),
        targets=tuple(t.targets),
        aux_weight=weights[1] / weights[0] if len(weights) > 1 and weights[0] else 1.0,
        era_step=t.era_step,
        neutralize_proportion=t.neutralize_proportion,
        benchmark_inputs=t.benchmark_input is not None,
        params={k: float(v) for k, v in params.items()},
    )


def _work(task: TrialTask) -> TrialOutcome:
    """``run_trial`` on a worker, labelled with the worker that ran it."""
    from dataclasses import replace

    from distributed import get_worker

    outcome = run_trial(task)
    try:
        worker = str(get_worker().address)
    except ValueError:  # run outside a worker (e.g. a sequential benchmark)
        worker = "local"
    return replace(outcome, worker=worker)


def rank(records: Sequence[TrialRecord]) -> list[TrialRecord]:
    """Best objective first; failed or unscored trials last; ties by trial number."""

    def key(r: TrialRecord) -> tuple[float, int]:
        value = r.objective if r.objective is not None and math.isfinite(r.objective) else None
        return (-value if value is not None else math.inf, r.number)

    return sorted(records, key=key)


class _Run:
    def __init__(
        self,
        plan: ExperimentPlan,
        store: TrialStore,
        client: Client,
        info: ClusterInfo,
        progress: ExperimentProgress | None,
    ):
        self.plan = plan
        self.store = store
        self.client = client
        self.info = info
        self.progress = progress
        self.started = monotonic()
        self.ran = 0
        self.reused = 0

    @property
    def exp(self) -> str:
        return self.plan.name

    def _scout_features(self, config: TrialConfig) -> list[str]:
        features = self.plan.features_of(config)
        fraction = self.plan.experiment.scout.feature_fraction
        if fraction >= 1:
            return features
        keep = max(1, math.ceil(fraction * len(features)))
        rng = np.random.default_rng(self.plan.experiment.search.seed)
        return [features[i] for i in sorted(rng.choice(len(features), keep, replace=False))]

    def task(self, phase: str, number: int, config: TrialConfig) -> TrialTask:
        scout = phase == SCOUT
        factor = self.plan.experiment.scout.era_step_factor if scout else 1
        return TrialTask(
            experiment=self.exp,
            phase=phase,
            number=number,
            config=config,
            features=self._scout_features(config) if scout else self.plan.features_of(config),
            era_step=config.era_step * factor,
            folds=self.plan.experiment.evaluation.cv_folds,
            embargo=self.plan.embargo,
            last_search_era=self.plan.last_search_era,
            holdout_eras=self.plan.holdout_eras,
            paths=self.plan.paths,
            evaluation=self.plan.experiment.evaluation,
            benchmark=self.plan.experiment.evaluation.benchmark,
            num_threads=self.info.lightgbm_threads,
            memory_budget=self.plan.budget_per_worker,
            multipliers_source=self.plan.multipliers.source,
            rows_share=1 / factor,
        )

    def over_time(self) -> bool:
        minutes = self.plan.experiment.search.max_minutes
        return minutes > 0 and monotonic() - self.started > minutes * 60

    def run(
        self, phase: str, configs: dict[int, TrialConfig], *, stop: Callable[[], bool] = bool
    ) -> dict[int, TrialRecord]:
        """Every trial of ``configs`` not yet finished, as Dask tasks; results stored at once."""
        done = {
            r.number: r
            for r in self.store.trials(self.exp, phase)
            if r.number in configs and r.config_hash == configs[r.number].key()
        }
        self.reused += len(done)
        todo = {n: c for n, c in configs.items() if n not in done}
        if not todo:
            return done
        self.store.record_pending(self.exp, phase, todo)
        tasks = {n: self.task(phase, n, c) for n, c in todo.items()}
        futures: dict[TrialFuture, int] = {
            self.client.submit(_work, t, pure=False): n for n, t in tasks.items()
        }
        for future in _as_completed(list(futures)):
            number = futures[future]
            if future.cancelled():
                continue
            record = self._record(phase, number, todo[number], future)
            self.store.record_trial(record)
            done[number] = record
            self.ran += 1
            if self.progress is not None:
                self.progress.trial(phase, len(done), len(configs), record)
            if stop():
                for other in futures:
                    if not other.done():
                        other.cancel()
        return done

    def _record(
        self, phase: str, number: int, config: TrialConfig, future: TrialFuture
    ) -> TrialRecord:
        try:
            outcome = future.result()
        except TRIAL_ERRORS as e:
            log.warning("trial %s %d failed: %s", phase, number, e)
            return TrialRecord(
                experiment=self.exp,
                phase=phase,
                number=number,
                config_hash=config.key(),
                data_hash=self.plan.data_hash,
                config=config,
                status="failed",
                objective=None,
                scores=None,
                per_era={},
                wall_seconds=0.0,
                peak_memory_bytes=0,
                worker="",
                error=f"{type(e).__name__}: {e}",
            )
        objective = outcome.scores.objective(self.plan.experiment.evaluation.objective)
        return TrialRecord(
            experiment=self.exp,
            phase=phase,
            number=number,
            config_hash=config.key(),
            data_hash=self.plan.data_hash,
            config=config,
            status="done",
            objective=objective if math.isfinite(objective) else None,
            scores=outcome.scores,
            per_era=outcome.per_era,
            wall_seconds=outcome.seconds,
            peak_memory_bytes=outcome.peak_memory_bytes,
            worker=outcome.worker,
        )

    def scouts(self) -> list[TrialRecord]:
        search = self.plan.experiment.search
        total = self.plan.trials
        if search.method == "grid":
            configs = dict(
                enumerate(
                    c for c, _ in zip(grid(self.plan.experiment.space), range(total), strict=False)
                )
            )
            return list(self.run(SCOUT, configs, stop=self.over_time).values())
        tpe = TpeSearch(self.plan.experiment)
        records: dict[int, TrialRecord] = {}
        for batch, first in enumerate(range(0, total, search.batch)):
            if self.over_time():
                break
            numbers = range(first, min(first + search.batch, total))
            pending = self.store.pending(self.exp, SCOUT)
            known = {r.number: r.config for r in self.store.trials(self.exp, SCOUT)} | pending
            if all(n in known for n in numbers):
                configs = {n: known[n] for n in numbers}
            else:
                history = {
                    n: (r.config, r.objective if r.objective is not None else math.nan)
                    for n, r in records.items()
                }
                configs = dict(zip(numbers, tpe.ask(batch, len(numbers), history), strict=True))
            records.update(self.run(SCOUT, configs))
        return list(records.values())

    def full(self, scouts: list[TrialRecord]) -> list[TrialRecord]:
        exp = self.plan.experiment
        best = [r for r in rank(scouts) if r.status == "done"][: exp.search.finalists]
        if exp.scout.era_step_factor == 1 and exp.scout.feature_fraction >= 1:
            return best  # the scouts already ran at full scale
        records = self.run(FULL, {i: r.config for i, r in enumerate(best)})
        return rank(list(records.values()))

    def holdout(self, finalists: list[TrialRecord], base: TrialConfig) -> None:
        self.run(HOLDOUT, {i: r.config for i, r in enumerate(finalists) if r.status == "done"})
        self.run(BASELINE, {0: base})


def scheduler_address(settings: Settings, scheduler: str | None) -> str | None:
    """``--scheduler``, else the config's [research] scheduler (the file's comes after)."""
    return scheduler or settings.research.scheduler


def run_experiment(
    settings: Settings,
    plan: ExperimentPlan,
    store: TrialStore,
    *,
    progress: ExperimentProgress | None = None,
    scheduler: str | None = None,
    processes: bool = True,
) -> RunReport:
    """Run or resume a planned experiment (``plan_experiment`` refuses a bad file or an
    impossible plan before anything runs) on Dask; every trial is recorded in ``store``."""
    started = monotonic()
    name = plan.name
    address = scheduler_address(settings, scheduler) or plan.experiment.resources.scheduler
    store.start_experiment(name, plan.spec_hash, plan.data_hash)
    with trial_cluster(scheduler=address, workers=plan.workers, processes=processes) as (
        client,
        info,
    ):
        if progress is not None:
            progress.step(
                f"Dask: {info.workers} worker(s) x {info.lightgbm_threads} LightGBM thread(s) "
                f"at {info.address}; dashboard {info.dashboard or '-'}"
            )
            progress.step(
                f"holdout eras {plan.holdout_eras[0]}-{plan.holdout_eras[-1]} (never searched); "
                f"search eras up to {plan.last_search_era}, embargo {plan.embargo}"
            )
        run = _Run(plan, store, client, info, progress)
        scouts = run.scouts()
        finalists = run.full(scouts)
        run.holdout(finalists, baseline_config(settings.train))
    winner = finalists[0] if finalists and finalists[0].status == "done" else None
    store.finish_experiment(name, winner.config_hash if winner else None)
    return RunReport(name, info, run.ran, run.reused, monotonic() - started, winner)


__all__ = [
    "BASELINE",
    "ExperimentProgress",
    "RunReport",
    "baseline_config",
    "rank",
    "run_experiment",
    "scheduler_address",
]
