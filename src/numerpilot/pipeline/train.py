"""``numerpilot train``: plan, fit, store.

The request is checked first (``train_plan``), before any data is read; fitting, cross-
validation and prediction are ``models.fit``'s (the same code every research trial runs).
Each finished booster is kept in the model's partial directory at once; a rerun after an
interruption trains only the (target, seed) pairs still missing.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from numerpilot import __version__
from numerpilot.clock import Clock, monotonic
from numerpilot.config import Settings, TrainSettings
from numerpilot.data import Dataset, matches, memory_budget, read_dataset_manifest
from numerpilot.fsutil import sha256_file
from numerpilot.models import (
    BinnedRows,
    BoosterResult,
    CVScores,
    EnsembleParts,
    EnsembleRecipe,
    EnsembleTrainer,
    EraIndex,
    FitProgress,
    ModelManifest,
    PartialRun,
    Scores,
    Split,
    TrainingFile,
    TrainingRows,
    booster_file,
    booster_info,
    corr_per_column,
    cross_validate,
    holdout_split,
    predict_columns,
    predict_file,
    walk_forward,
    write_model,
)
from numerpilot.models.benchmark_input import (
    TRAIN_BENCHMARK_FILE,
    VALIDATION_BENCHMARK_FILE,
    BenchmarkFile,
    benchmark_values,
    with_benchmark,
)
from numerpilot.pipeline.train_plan import (
    FEATURES_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
    TrainPlan,
    plan_training,
)
from numerpilot.scoring import summarize

logger = logging.getLogger(__name__)


class TrainProgress(FitProgress, Protocol):
    """Progress of a whole run: steps, rows loaded, and each booster's iterations."""

    def rows(self, done: int, total: int) -> None:
        """Training rows read and binned so far, of ``total``."""
        ...


@dataclass(frozen=True)
class TrainReport:
    name: str
    path: Path
    manifest: ModelManifest
    reused: int  # boosters taken over from an interrupted run
    seconds: float
    notes: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    """The download manifest's hash while the file is unchanged, else a fresh one."""
    record = read_dataset_manifest(path.parent).files.get(path.name)
    if record is not None and matches(path, record, full=False):
        return record.sha256
    return sha256_file(path)


def _scores(per_era: npt.NDArray[np.float64]) -> Scores:
    s = summarize(per_era)
    return Scores(corr_mean=s.mean, corr_std=s.std, corr_sharpe=s.sharpe, eras=s.eras)


def recipe_of(t: TrainSettings, weights: dict[str, float]) -> EnsembleRecipe:
    return EnsembleRecipe(
        targets=list(t.targets),
        weights=weights,
        seeds=list(t.seeds),
        params=t.params,
        neutralize_proportion=t.neutralize_proportion,
    )


def _validate(
    parts: EnsembleParts,
    plan: TrainPlan,
    budget: int,
    progress: TrainProgress | None,
    benchmark: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Scores]]:
    """Predict the whole validation file (test eras too), chunk by chunk; score on targets.
    With a ``benchmark`` input, its validation predictions join each chunk."""
    extra = None
    if benchmark is not None:
        values = benchmark_values(plan.version_dir / VALIDATION_BENCHMARK_FILE, benchmark)
        extra = functools.partial(with_benchmark, values=values)
    predicted = predict_file(
        parts,
        plan.version_dir / VALIDATION_FILE,
        plan.features,
        plan.targets[0],
        budget,
        progress=progress,
        extra=extra,
    )
    frame = pd.DataFrame(predicted.columns, index=pd.Index(predicted.ids, name="id"))
    per_era = corr_per_column(predicted.columns, predicted.target, predicted.eras)
    return frame, {c: _scores(v) for c, v in per_era.items()}


def _cross_validate(
    rows: TrainingRows,
    plan: TrainPlan,
    t: TrainSettings,
    results: list[BoosterResult],
    partial: PartialRun,
    progress: TrainProgress | None,
) -> CVScores:
    """Walk-forward folds with the trees each target needed on the holdout; out-of-fold
    per-era corr of the ensemble against the main target. Finished folds are kept."""
    rounds = {
        target: max(1, round(np.mean([r.best_iteration for r in results if r.target == target])))
        for target in plan.targets
    }
    folds = walk_forward(rows.index.numbers, t.cv_folds, plan.embargo)
    key = f"cv{len(folds)}_fold{{}}"

    def cached(k: int) -> dict[str, float] | None:
        found = partial.result(key.format(k))
        return None if found is None else {str(e): float(v) for e, v in found.items()}

    per_era = cross_validate(
        recipe_of(t, plan.weights),
        rows.file,
        rows.index,
        folds,
        rounds=rounds,
        reference=rows.reference,
        cached=cached,
        save=lambda k, v: partial.save_result(key.format(k), v),
        progress=progress,
    )
    s = summarize(np.array(list(per_era.values())))
    return CVScores(
        folds=len(folds),
        embargo_eras=plan.embargo,
        corr_mean=s.mean,
        corr_std=s.std,
        corr_sharpe=s.sharpe,
        per_era=per_era,
    )


def _describe(index: EraIndex, split: Split | None) -> str:
    if split is None:
        return f"no holdout: trained on all {index.rows.sum():,} rows of {len(index.labels)} eras"
    train, test = index.numbers[split.train], index.numbers[split.test]
    return (
        f"trained on eras {train.min()}-{train.max()} "
        f"({index.rows_of(index.labels[split.train]):,} rows), held out eras "
        f"{test.min()}-{test.max()} ({index.rows_of(index.labels[split.test]):,} rows), "
        f"embargo {test.min() - train.max() - 1} eras"
    )


def train_model(
    settings: Settings,
    *,
    clock: Clock,
    name: str | None = None,
    progress: TrainProgress | None = None,
) -> TrainReport:
    """Train, validate and store the configured ensemble; resume an interrupted run."""
    started = monotonic()
    t = settings.train
    plan = plan_training(settings, name=name, clock=clock)
    budget = memory_budget(settings.data.memory_budget_fraction)
    if progress is not None:
        progress.step(f"hashing the {plan.version} input files")
    files = {
        f: file_sha256(plan.version_dir / f) for f in (FEATURES_FILE, TRAIN_FILE, VALIDATION_FILE)
    }
    fingerprint = {
        "data_version": plan.version,
        "files": files,
        "features": plan.features,
        "targets": plan.targets,
        "seeds": t.seeds,
        "params": t.params.model_dump(),
        "era_step": t.era_step,
        "holdout_eras": t.holdout_eras,
        "embargo_eras": plan.embargo,
    }
    file = TrainingFile(plan.version_dir / TRAIN_FILE, plan.features, plan.targets, budget)
    if t.benchmark_input is not None:  # the benchmark's predictions as a last feature
        file = BenchmarkFile(
            plan.version_dir / TRAIN_FILE,
            plan.features,
            plan.targets,
            budget,
            plan.version_dir / TRAIN_BENCHMARK_FILE,
            t.benchmark_input,
        )
        fingerprint["features"] = file.features
    index = file.index(t.era_step)
    split = holdout_split(index.numbers, t.holdout_eras, plan.embargo)
    train_eras = index.labels[split.train] if split is not None else index.labels
    holdout_eras = index.labels[split.test] if split is not None else index.labels[:0]
    file.check_budget(index, train_eras, holdout_eras)
    rows = TrainingRows(file, index, train_eras, t.params)

    partial = PartialRun(settings.models_path, plan.name, fingerprint)
    done = partial.done()
    todo = [(g, s) for g in plan.targets for s in t.seeds if (g, s) not in done]
    holdout: Dataset | None = None
    if todo:
        if progress is not None:
            progress.step(
                f"binning {index.rows_of(train_eras):,} rows x {len(plan.features)} features "
                f"(era_step {t.era_step}); {len(todo)} booster(s) to train"
            )
        held: BinnedRows | None = None
        if split is not None:
            holdout, held = file.in_memory(holdout_eras, rows.reference)
        rows_progress = progress.rows if progress is not None else None
        binned = file.streamed(index, train_eras, rows.reference, rows_progress)
        trainer = EnsembleTrainer(t.params, binned, held)
        trainer.train_all(
            plan.targets, t.seeds, skip=done, on_result=partial.save, progress=progress
        )
        del trainer, held, binned
    finished = partial.done()
    results = [finished[(g, s)] for g in plan.targets for s in t.seeds]
    spec = EnsembleParts.of(results, plan.weights, t.neutralize_proportion)

    holdout_scores: dict[str, Scores] = {}
    if split is not None:
        if holdout is None:
            holdout = file.load(holdout_eras)
        columns = predict_columns(spec, holdout.features, holdout.eras)
        per_era = corr_per_column(columns, holdout.targets[:, 0], holdout.eras)
        holdout_scores = {c: _scores(v) for c, v in per_era.items()}
        del holdout
    cv = _cross_validate(rows, plan, t, results, partial, progress) if t.cv_folds else None

    frame, validation = _validate(spec, plan, budget, progress, t.benchmark_input)
    manifest = ModelManifest(
        name=plan.name,
        created=clock.now(),
        numerpilot_version=__version__,
        data_version=plan.version,
        data_files=files,
        feature_set=t.feature_set,
        feature_groups=list(t.feature_groups),
        features=file.features,
        targets=plan.targets,
        weights=plan.weights,
        seeds=list(t.seeds),
        params=t.params.model_dump(),
        era_step=t.era_step,
        holdout_eras=t.holdout_eras,
        embargo_eras=plan.embargo,
        train_rows=index.rows_of(train_eras),
        train_eras=len(train_eras),
        neutralize_proportion=t.neutralize_proportion,
        boosters=[booster_info(r) for r in results],
        validation=validation,
        holdout=holdout_scores,
        cv=cv,
    )
    boosters = {booster_file(r.target, r.seed): r.model_text for r in results}
    path = write_model(settings.models_path, manifest, boosters, frame)
    partial.remove()
    return TrainReport(
        name=plan.name,
        path=path,
        manifest=manifest,
        reused=len(done),
        seconds=monotonic() - started,
        notes=[_describe(index, split)],
    )


__all__ = ["TrainProgress", "TrainReport", "file_sha256", "train_model"]
