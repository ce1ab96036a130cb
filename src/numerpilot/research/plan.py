"""An experiment's plan, decided and checked before any trial runs or any row is read.

The file is validated, the feature sets and targets are checked against features.json, the
embargo against the targets' horizon, the final holdout is fixed (the latest validation eras
with targets) and every shape of trial the space allows is checked against the memory budget:
a trial that would not fit is refused here, with the figure, and nothing is trained.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerpilot.config import Settings
from numerpilot.data import load_dataset, memory_budget, read_feature_metadata, resolve_features
from numerpilot.data.urls import is_url, url_size
from numerpilot.errors import ConfigError
from numerpilot.models import TrainingFile, embargo_eras, walk_forward
from numerpilot.pipeline import (
    FEATURES_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
    data_version,
    file_sha256,
)
from numerpilot.research._cluster import local_size
from numerpilot.research._evaluate import DataPaths, search_index
from numerpilot.research._payout import Multipliers, payout_multipliers
from numerpilot.research._space import TrialConfig, grid_size, plan_shapes
from numerpilot.research._spec import Experiment, experiment_path, load_experiment

BENCHMARK_FILES = ("train_benchmark_models.parquet", "validation_benchmark_models.parquet")
META_FILE = "meta_model.parquet"


@dataclass(frozen=True)
class ExperimentPlan:
    name: str
    path: Path
    experiment: Experiment
    version: str
    paths: DataPaths
    features: dict[tuple[str, tuple[str, ...]], list[str]]  # (set, groups) -> features
    embargo: int
    last_search_era: int
    holdout_eras: list[str]
    spec_hash: str
    data_hash: str
    workers: int
    budget_per_worker: int
    trials: int  # scout trials the budget allows
    multipliers: Multipliers  # the payout's, already in experiment.evaluation

    def features_of(self, config: TrialConfig) -> list[str]:
        return self.features[(config.feature_set, config.feature_groups)]


def _optional(path: Path) -> str | None:
    return str(path) if path.is_file() else None


def _holdout(validation: Path, target: str, count: int, budget: int) -> list[str]:
    rows = load_dataset(validation, features=[], targets=[target], memory_budget_bytes=budget)
    scored = np.unique(rows.eras[np.isfinite(rows.targets[:, 0])])
    if len(scored) < count:
        raise ConfigError(
            f"setting 'evaluation.holdout_eras': {count} eras wanted, {validation} has "
            f"{len(scored)} with targets"
        )
    return [str(e) for e in scored[-count:]]


# How trials are fitted and scored. Results stored under another method are not reused:
# 2 = scouts scale min_child_samples with their share of the rows.
TRIAL_METHOD = 2


def _hash(values: object) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


def plan_experiment(
    settings: Settings, name: str, *, workers: int | None = None, scheduler: str | None = None
) -> ExperimentPlan:
    path = experiment_path(settings.project_dir, name)
    experiment = load_experiment(path)
    # Resolved once, before anything runs: every trial of the run pays by the same rule, and
    # other multipliers (the tournament changed them) make another run, as another file would.
    multipliers = payout_multipliers(settings, experiment.evaluation)
    resolved = experiment.evaluation.model_copy(
        update={"corr_multiplier": multipliers.corr, "mmc_multiplier": multipliers.mmc}
    )
    experiment = experiment.model_copy(update={"evaluation": resolved})
    space, ev = experiment.space, experiment.evaluation
    version = data_version(settings)
    version_dir = settings.data_dir / version
    train, validation = version_dir / TRAIN_FILE, version_dir / VALIDATION_FILE
    for needed in (train, validation):
        if not needed.is_file():
            raise ConfigError(f"{needed} is missing; run 'numerpilot data download'")
    meta = read_feature_metadata(version_dir / FEATURES_FILE)
    features: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for fset, groups, _ in plan_shapes(space):
        key = "space.feature_groups" if groups else "space.feature_set"
        try:
            features[(fset, groups)] = resolve_features(meta, fset, list(groups))
        except ConfigError as e:
            raise ConfigError(f"{path}: setting '{key}': {e}") from None
    all_targets = sorted({t for targets in space.targets for t in targets})
    for target in all_targets:
        if target not in meta.targets:
            raise ConfigError(f"{path}: setting 'space.targets': {target!r} is not a target")
    horizon = embargo_eras(all_targets)
    embargo = horizon if ev.embargo_eras is None else ev.embargo_eras
    if embargo < horizon:
        raise ConfigError(
            f"{path}: setting 'evaluation.embargo_eras': {embargo} is shorter than the "
            f"targets' horizon of {horizon} eras; trials would see their test eras' future"
        )
    # The plan's own reads (era and target columns) are small; trials get the budget.
    machine = memory_budget(settings.data.memory_budget_fraction)
    total = machine
    if experiment.resources.memory_gb > 0:
        total = int(experiment.resources.memory_gb * 1e9)
    main_targets = sorted({targets[0] for targets in space.targets})
    holdout = _holdout(validation, main_targets[0], ev.holdout_eras, machine)
    labels = load_dataset(train, features=[], memory_budget_bytes=machine).era_codes()[1]
    last_train = max(int(label) for label in labels)
    last_search_era = min(last_train, int(holdout[0]) - embargo - 1)

    trials = experiment.search.trials
    if experiment.search.method == "grid":
        trials = min(trials, grid_size(space))
    # What each shape of trial needs at its largest (the last fold, or the holdout fit).
    needs = []
    for fset, groups, step in plan_shapes(space):
        file = TrainingFile(train, features[(fset, groups)], main_targets[:1], machine)
        index = search_index(file, step, last_search_era)
        if len(index.labels) < ev.cv_folds + 1:
            raise ConfigError(
                f"{path}: setting 'space.era_step': era_step {step} leaves {len(index.labels)} "
                f"eras before the holdout, too few for {ev.cv_folds} folds"
            )
        folds = walk_forward(index.numbers, ev.cv_folds, embargo)
        largest = max(folds, key=lambda s: len(s.train))
        need = file.plan_bytes(index, index.labels[largest.train], index.labels[largest.test])
        needs.append((need, fset, groups, step))
    need, fset, groups, step = max(needs)
    if workers:
        n_workers = workers
    elif scheduler or experiment.resources.scheduler:
        n_workers = 1  # an existing cluster's workers: each is planned against the budget
    else:
        n_workers = local_size(_cores(), total, need, trials, experiment.resources.workers)
    per_worker = total // n_workers
    if need > per_worker:
        what = "+".join(groups) if groups else repr(fset)
        raise ConfigError(
            f"{path}: setting 'resources.memory_gb': a trial on features {what} with era_step "
            f"{step} needs about {need / 1e9:.3f} GB, more than the {per_worker / 1e9:.3f} GB "
            f"each of {n_workers} worker(s) may use; raise the budget, 'space.era_step' or "
            "use fewer features"
        )

    files = {f: file_sha256(version_dir / f) for f in (FEATURES_FILE, TRAIN_FILE, VALIDATION_FILE)}
    return ExperimentPlan(
        name=name,
        path=path,
        experiment=experiment,
        version=version,
        paths=_worker_paths(
            DataPaths(
                train=str(train),
                validation=str(validation),
                train_benchmark=_optional(version_dir / BENCHMARK_FILES[0]),
                validation_benchmark=_optional(version_dir / BENCHMARK_FILES[1]),
                meta_model=_optional(version_dir / META_FILE),
            ),
            experiment.resources.data_url,
            version,
        ),
        features=features,
        embargo=embargo,
        last_search_era=last_search_era,
        holdout_eras=holdout,
        # The budget and the cluster may change between runs without starting afresh; a new
        # way of fitting or scoring trials (TRIAL_METHOD) does start afresh.
        spec_hash=_hash(
            {
                "method": TRIAL_METHOD,
                **experiment.model_dump(
                    mode="json", exclude={"resources": True, "search": {"trials", "max_minutes"}}
                ),
            }
        ),
        data_hash=_hash(files),
        workers=n_workers,
        budget_per_worker=per_worker,
        trials=trials,
        multipliers=multipliers,
    )


def _worker_paths(local: DataPaths, data_url: str | None, version: str) -> DataPaths:
    """The paths workers read: ``local`` (data.dir), or the same files under ``data_url``,
    each checked there now (present, same size) so a wrong URL fails before any trial."""
    if data_url is None:
        return local
    setting = "resources.data_url"
    base = f"{data_url.rstrip('/')}/{version}"

    def remote(path: str | None) -> str | None:
        if path is None:
            return None
        name, want = Path(path).name, Path(path).stat().st_size
        url = f"{base}/{name}"
        if is_url(url):
            size = url_size(url, setting)
        else:  # a plain folder: a path every worker can see
            size = Path(url).stat().st_size if Path(url).is_file() else -1
        if size != want:
            found = "missing" if size < 0 else f"{size:,} bytes"
            raise ConfigError(
                f"setting '{setting}': {url} is {found}, not the {want:,} bytes of {name} "
                "in data.dir"
            )
        return url

    return DataPaths(
        train=str(remote(local.train)),
        validation=str(remote(local.validation)),
        train_benchmark=remote(local.train_benchmark),
        validation_benchmark=remote(local.validation_benchmark),
        meta_model=remote(local.meta_model),
    )


def _cores() -> int:
    return os.cpu_count() or 1


__all__ = ["ExperimentPlan", "plan_experiment"]
