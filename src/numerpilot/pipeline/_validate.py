"""Use case: score validation predictions per era as Numerai does, and report them.

Sources are stored models (their ``validation_predictions.parquet``) or any predictions file
with an ``id`` column and one or more prediction columns. Each column is scored on the
validation eras its file covers: CORR, BMC against the version's main benchmark model, MMC
against ``meta_model.parquet`` where that covers the era, max feature exposure, optionally
FNC, and the correlation with the example predictions and every benchmark model. Rows of
``test`` eras (no targets yet) are left out and counted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from numerpilot.config import Settings
from numerpilot.data import (
    MAIN_TARGET,
    META_MODEL_COLUMN,
    PREDICTION_COLUMN,
    VERSIONS,
    Dataset,
    load_dataset,
    load_predictions,
    memory_budget,
    read_feature_metadata,
    resolve_features,
)
from numerpilot.errors import DataError
from numerpilot.fsutil import write_text_atomic
from numerpilot.models import VALIDATION_PREDICTIONS, read_model_manifest, resolve_model
from numerpilot.report import Report, render_report, report_column
from numerpilot.scoring import (
    ColumnScores,
    Eras,
    FloatArray,
    PayoutParams,
    References,
    StepProgress,
    score_columns,
)

log = logging.getLogger(__name__)

VALIDATION_FILE = "validation.parquet"
BENCHMARK_FILE = "validation_benchmark_models.parquet"
META_MODEL_FILE = "meta_model.parquet"
EXAMPLE_FILE = "validation_example_preds.parquet"
NON_PREDICTION_COLUMNS = ("era", "data_type")


@dataclass(frozen=True)
class Source:
    """Where prediction columns come from: a stored model or a file."""

    name: str
    path: Path
    data_version: str | None = None


@dataclass(frozen=True)
class ValidationResult:
    sources: list[str]
    version: str
    feature_set: str
    n_features: int
    benchmark: str | None
    rows_scored: int
    eras_scored: int
    test_rows_excluded: int
    test_eras_excluded: int
    meta_model_eras: int
    payout_params: PayoutParams
    payout_contribution: str  # "mmc" or "bmc": what the payout simulation pairs with CORR
    columns: list[ColumnScores]
    report_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "version": self.version,
            "feature_set": self.feature_set,
            "features": self.n_features,
            "benchmark": self.benchmark,
            "rows_scored": self.rows_scored,
            "eras_scored": self.eras_scored,
            "test_rows_excluded": self.test_rows_excluded,
            "test_eras_excluded": self.test_eras_excluded,
            "meta_model_eras": self.meta_model_eras,
            "payout_params": vars(self.payout_params),
            "payout_contribution": self.payout_contribution,
            "report": str(self.report_path) if self.report_path else None,
            "columns": [c.as_dict() for c in self.columns],
        }


# -- finding the inputs -----------------------------------------------------------------------


def model_source(settings: Settings, name: str | None) -> Source:
    """A stored model's validation predictions (``None``: the newest stored model)."""
    path = resolve_model(settings.models_path, name)
    file = path / VALIDATION_PREDICTIONS
    if not file.is_file():
        raise DataError(
            f"stored model {path.name!r} has no validation predictions; retrain it",
            path=str(file),
        )
    return Source(path.name, file, read_model_manifest(path).data_version)


def file_source(path: Path) -> Source:
    if not path.is_file():
        raise DataError(f"{path} does not exist", path=str(path))
    return Source(path.stem, path)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name[1:].split("."))


def resolve_version(settings: Settings, sources: Sequence[Source]) -> str:
    """The pinned version, else the one the models were trained on, else the newest on disk."""
    if settings.data.version:
        return settings.data.version
    trained = {s.data_version for s in sources if s.data_version}
    if len(trained) == 1:
        return trained.pop()
    data_dir = settings.data_dir
    local = [
        d.name
        for d in (data_dir.iterdir() if data_dir.is_dir() else [])
        if re.fullmatch(r"v\d+\.\d+", d.name) and (d / VALIDATION_FILE).is_file()
    ]
    if not local:
        raise DataError(
            f"no {VALIDATION_FILE} under {data_dir}; run 'numerpilot data download' "
            "(or 'numerpilot data synth' for a local one)",
            path=str(data_dir),
        )
    return max(local, key=_version_key)


def _main_benchmark(version: str, columns: Sequence[str]) -> str | None:
    """The benchmark trained on the version's main target, else the file's first column."""
    spec = VERSIONS.get(version)
    if spec is not None:
        for bench in spec.benchmarks:
            if bench.column in columns and bench.targets == (spec.target_alias,):
                return bench.column
    return columns[0] if columns else None


class _Aligned:
    """Columns of a reference file (benchmarks, meta model, example predictions) on the scored
    rows, NaN where the file has no such id. The id lookup is done once per file."""

    def __init__(self, frame: pd.DataFrame | None, ids: pd.Index):
        self.frame = frame
        self.position = frame.index.get_indexer(ids) if frame is not None else None

    def column(self, name: str | None) -> FloatArray | None:
        if self.frame is None or self.position is None or name not in self.frame.columns:
            return None
        values = self.frame[name].to_numpy(dtype=np.float64)
        out = np.full(self.position.size, np.nan)
        found = self.position >= 0
        out[found] = values[self.position[found]]
        return out


def _optional(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        log.info("%s not found; its metrics are skipped", path)
        return None
    return load_predictions(path)


@dataclass
class _Validation:
    """Loaded validation data: rows with targets, and what was left out."""

    dataset: Dataset
    scored: npt.NDArray[np.bool_]  # per dataset row
    ids: pd.Index
    target: FloatArray
    codes: npt.NDArray[np.int32]
    labels: npt.NDArray[np.str_]


def _load_validation(
    settings: Settings, version_dir: Path, features: list[str], progress: StepProgress | None
) -> _Validation:
    def rows_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("loading validation", done, total)

    dataset = load_dataset(
        version_dir / VALIDATION_FILE,
        features=features,
        targets=[MAIN_TARGET],
        memory_budget_bytes=memory_budget(settings.data.memory_budget_fraction),
        progress=rows_progress,
    )
    target = dataset.target(MAIN_TARGET).astype(np.float64)
    # Test rows have no targets; the data_type check also drops any that carry one anyway.
    scored = ~np.isnan(target) & (dataset.data_type != "test")
    codes, labels = dataset.era_codes()
    return _Validation(dataset, scored, pd.Index(dataset.ids), target, codes, labels)


# -- scoring ----------------------------------------------------------------------------------


@dataclass
class _References:
    benchmarks: pd.DataFrame | None
    benchmark: str | None
    meta: pd.DataFrame | None
    example: pd.DataFrame | None


def _prediction_columns(frame: pd.DataFrame, source: Source) -> list[str]:
    columns = [c for c in frame.columns if c not in NON_PREDICTION_COLUMNS]
    if not columns:
        raise DataError(f"{source.path} has no prediction column", path=str(source.path))
    return columns


def _rows_for(
    frame: pd.DataFrame, source: Source, val: _Validation
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Dataset rows to score for this file (scored rows of the eras it covers) and the
    matching row of ``frame`` for each. Every scored row of a covered era needs a prediction."""
    position = frame.index.get_indexer(val.ids)
    present = position >= 0
    usable = val.scored & present
    if not usable.any():
        raise DataError(
            f"none of the {len(frame):,} ids in {source.path} is a validation id with a target "
            "(is it a live or train predictions file?)",
            path=str(source.path),
            column="id",
        )
    covered = np.zeros(len(val.labels), dtype=bool)
    covered[np.unique(val.codes[usable])] = True
    rows = val.scored & covered[val.codes]
    missing = rows & ~present
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"{source.path} lacks predictions for {int(missing.sum()):,} validation row(s) of "
            f"eras it covers, e.g. id {val.ids[first]} of era {val.labels[val.codes[first]]}",
            path=str(source.path),
            column="id",
        )
    index = np.flatnonzero(rows)
    return index, position[index]


def _score_source(
    source: Source,
    frame: pd.DataFrame,
    val: _Validation,
    refs: _References,
    *,
    fnc: bool,
    payout: PayoutParams,
    prefix: str,
    progress: StepProgress | None,
) -> list[ColumnScores]:
    columns = _prediction_columns(frame, source)
    rows, frame_rows = _rows_for(frame, source, val)
    matrix = frame[columns].to_numpy(dtype=np.float64)[frame_rows]
    bad = np.isnan(matrix)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        raise DataError(
            f"{source.path}: column '{columns[j]}' has {int(bad[:, j].sum()):,} NaN "
            "prediction(s) on validation rows; every row needs a value",
            path=str(source.path),
            column=str(columns[j]),
        )
    eras = Eras.from_codes(val.codes[rows], val.labels)
    eras.require_min_rows(2)
    ids = val.ids[rows]
    benchmarks = _Aligned(refs.benchmarks, ids)
    compared = {}
    if refs.benchmarks is not None:
        for name in refs.benchmarks.columns:
            values = benchmarks.column(name)
            if name not in NON_PREDICTION_COLUMNS and values is not None:
                compared[str(name)] = values
    references = References(
        benchmark=benchmarks.column(refs.benchmark),
        meta_model=_Aligned(refs.meta, ids).column(META_MODEL_COLUMN),
        example=_Aligned(refs.example, ids).column(PREDICTION_COLUMN),
        benchmarks=compared,
    )
    return score_columns(
        [f"{prefix}{c}" for c in columns],
        matrix,
        val.target[rows],
        eras,
        val.dataset.features,
        feature_rows=rows,
        references=references,
        fnc=fnc,
        payout=payout,
        source=source.name,
        progress=progress,
    )


def validate(
    settings: Settings,
    sources: Sequence[Source],
    *,
    feature_set: str = "medium",
    fnc: bool = False,
    payout: PayoutParams | None = None,
    write_report: bool = True,
    progress: StepProgress | None = None,
) -> ValidationResult:
    """Score every prediction column of ``sources`` on validation; write the HTML report."""
    if not sources:
        raise DataError("nothing to validate: name a stored model or a predictions file")
    payout = payout or PayoutParams()
    version = resolve_version(settings, sources)
    version_dir = settings.data_dir / version
    meta = read_feature_metadata(version_dir / "features.json")
    features = resolve_features(meta, feature_set)
    val = _load_validation(settings, version_dir, features, progress)
    benchmarks = _optional(version_dir / BENCHMARK_FILE)
    bench_columns = (
        [c for c in benchmarks.columns if c not in NON_PREDICTION_COLUMNS]
        if benchmarks is not None
        else []
    )
    refs = _References(
        benchmarks=benchmarks,
        benchmark=_main_benchmark(version, bench_columns),
        meta=_optional(version_dir / META_MODEL_FILE),
        example=_optional(version_dir / EXAMPLE_FILE),
    )
    columns: list[ColumnScores] = []
    for source in sources:
        frame = load_predictions(source.path)
        prefix = f"{source.name}/" if len(sources) > 1 else ""
        columns += _score_source(
            source, frame, val, refs, fnc=fnc, payout=payout, prefix=prefix, progress=progress
        )
    meta_eras = max((c.mmc_summary.eras for c in columns if c.mmc_summary), default=0)

    all_codes = np.unique(val.codes)
    scored_codes = np.unique(val.codes[val.scored])
    uses_mmc = refs.meta is not None and meta_eras > 0
    result = ValidationResult(
        sources=[s.name for s in sources],
        version=version,
        feature_set=feature_set,
        n_features=len(features),
        benchmark=refs.benchmark,
        rows_scored=int(val.scored.sum()),
        eras_scored=int(scored_codes.size),
        test_rows_excluded=int((~val.scored).sum()),
        test_eras_excluded=int(all_codes.size - scored_codes.size),
        meta_model_eras=meta_eras,
        payout_params=payout,
        payout_contribution="mmc" if uses_mmc else "bmc",
        columns=columns,
    )
    if write_report:
        name = "+".join(_safe(s.name) for s in sources)
        path = settings.reports_path / f"validate-{name}.html"
        write_text_atomic(path, render_report(build_report(result)))
        result = replace(result, report_path=path)
    return result


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80] or "predictions"


# -- the report ---------------------------------------------------------------------------------


def build_report(result: ValidationResult) -> Report:
    """The HTML report's content for ``result``."""
    p = result.payout_params
    contribution = result.payout_contribution.upper()
    facts = [
        ("data", result.version),
        ("features", f"{result.feature_set} ({result.n_features})"),
        ("eras scored", f"{result.eras_scored:,}"),
        ("rows scored", f"{result.rows_scored:,}"),
        ("benchmark", result.benchmark or "none"),
        ("meta model eras", f"{result.meta_model_eras:,}"),
    ]
    notes = []
    if result.test_rows_excluded:
        notes.append(
            f"{result.test_eras_excluded} test era(s) ({result.test_rows_excluded:,} rows) have "
            "no targets yet and are not scored."
        )
    notes.append(
        f"Payout simulated per era as clip({p.payout_factor:g} × ({p.corr_multiplier:g} × CORR + "
        f"{p.mmc_multiplier:g} × {contribution}), ±{p.clip:g}) of the stake."
    )
    if result.payout_contribution == "bmc":
        notes.append("No meta model covers these eras: BMC stands in for MMC in the payout.")
    return Report(
        title=f"Validation: {', '.join(result.sources)}",
        facts=facts,
        columns=[report_column(c) for c in result.columns],
        notes=notes,
    )


__all__ = [
    "PayoutParams",
    "Source",
    "ValidationResult",
    "build_report",
    "file_source",
    "model_source",
    "resolve_version",
    "validate",
]
