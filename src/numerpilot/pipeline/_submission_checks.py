"""Checks of a predictions file before it leaves the machine.

Numerai's own rules (the file is refused otherwise): header exactly ``id,prediction``, every
live id once and no other, no NaN, values within [0, 1], not constant. Then numerpilot's sanity
checks, which catch a broken model rather than a broken file: rank correlation with the model's
previous predictions and with the benchmark model above configured floors, and feature
exposure below a ceiling. Every failure raises ``SubmissionRejected`` with a stable reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from numerpilot.config import SubmitSettings
from numerpilot.errors import SubmissionRejected
from numerpilot.fsutil import write_bytes_atomic
from numerpilot.scoring import max_feature_exposure, rank_correlation

HEADER = "id,prediction"
# Below this share of common ids a comparison says nothing (ids are new every era).
MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "ok" or "skipped"
    value: float | None = None
    bound: float | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _examples(ids: pd.Index | list[str], limit: int = 3) -> str:
    shown = ", ".join(str(i) for i in list(ids)[:limit])
    return shown + (", ..." if len(ids) > limit else "")


def read_checked_csv(path: Path, live_ids: pd.Index) -> pd.Series:
    """The predictions of ``path`` after Numerai's rules; ``SubmissionRejected`` otherwise."""
    with path.open(encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n")
    if header != HEADER:
        raise SubmissionRejected("bad_header", f"{path}: header is {header!r}, must be {HEADER!r}")
    frame = pd.read_csv(path, dtype={"id": str}, float_precision="round_trip")
    ids = pd.Index(frame["id"])
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise SubmissionRejected(
            "duplicate_ids",
            f"{len(duplicated)} id(s) appear more than once: {_examples(duplicated)}",
        )
    missing = live_ids.difference(ids)
    if len(missing):
        raise SubmissionRejected(
            "missing_ids",
            f"{len(missing)} of {len(live_ids)} live ids have no prediction: {_examples(missing)}",
        )
    unknown = ids.difference(live_ids)
    if len(unknown):
        raise SubmissionRejected(
            "unknown_ids", f"{len(unknown)} id(s) are not in the live data: {_examples(unknown)}"
        )
    values = pd.to_numeric(frame["prediction"], errors="coerce")
    values.index = ids
    if values.isna().any():
        bad = values.index[values.isna()]
        raise SubmissionRejected(
            "nan", f"{len(bad)} prediction(s) are NaN or not numbers: {_examples(bad)}"
        )
    outside = values[(values < 0) | (values > 1)]
    if len(outside):
        raise SubmissionRejected(
            "out_of_range",
            f"{len(outside)} prediction(s) outside [0, 1], e.g. {outside.iloc[0]!r} "
            f"for {outside.index[0]}",
        )
    if values.nunique() <= 1:
        raise SubmissionRejected("constant", f"all predictions equal {values.iloc[0]!r}")
    return values.reindex(live_ids)


def _overlap_corr(predictions: pd.Series, other: pd.Series) -> tuple[float | None, str]:
    common = predictions.index.intersection(other.dropna().index)
    if len(common) < MIN_OVERLAP * len(predictions):
        return None, f"only {len(common)} of {len(predictions)} ids in common"
    p = predictions.loc[common].to_numpy(dtype=np.float64)
    o = other.loc[common].to_numpy(dtype=np.float64)
    value = float(rank_correlation(p, o, np.zeros(len(common), dtype=np.int32))[0])
    return value, f"over {len(common)} ids"


def _floor(name: str, reason: str, value: float | None, bound: float, detail: str) -> CheckResult:
    if value is None:
        return CheckResult(name, "skipped", None, bound, detail)
    if not value >= bound:  # NaN (e.g. a constant comparison column) fails too
        raise SubmissionRejected(
            reason, f"{name} is {value:.3f}, below the floor {bound:g} ({detail})"
        )
    return CheckResult(name, "ok", value, bound, detail)


def sanity_checks(
    predictions: pd.Series,
    settings: SubmitSettings,
    *,
    previous: pd.Series | None,
    benchmark: pd.Series | None,
    features: npt.NDArray[np.int8] | None,
    eras: npt.NDArray[Any] | None = None,
) -> list[CheckResult]:
    """numerpilot's own checks of ``predictions`` (indexed by live id)."""
    results = []
    # (check, rejection reason, reference, floor, why skipped, what the detail names)
    floors = (
        (
            "corr_with_previous",
            "low_corr_previous",
            previous,
            settings.min_corr_with_previous,
            "no previous predictions",
            "",
        ),
        (
            "corr_with_benchmark",
            "low_corr_benchmark",
            benchmark,
            settings.min_corr_with_benchmark,
            "no benchmark file",
            "" if benchmark is None else f"{benchmark.name}, ",
        ),
    )
    for name, reason, reference, bound, missing, named in floors:
        if reference is None:
            results.append(CheckResult(name, "skipped", None, bound, missing))
            continue
        value, detail = _overlap_corr(predictions, reference)
        results.append(_floor(name, reason, value, bound, f"{named}{detail}"))
    ceiling = settings.max_feature_exposure
    if features is None:
        results.append(CheckResult("feature_exposure", "skipped", None, ceiling, "no features"))
    else:
        era_labels = np.zeros(len(predictions), dtype=np.int32) if eras is None else eras
        per_era = max_feature_exposure(predictions.to_numpy(dtype=np.float64), features, era_labels)
        exposure = float(np.nanmean(per_era))
        if not exposure <= ceiling:
            raise SubmissionRejected(
                "high_exposure",
                f"max feature exposure is {exposure:.3f}, above the ceiling {ceiling:g}",
            )
        results.append(
            CheckResult(
                "feature_exposure", "ok", exposure, ceiling, f"{features.shape[1]} features"
            )
        )
    return results


def predictions_csv(predictions: pd.Series) -> bytes:
    """``id,prediction`` CSV, as Numerai expects it (values written exactly)."""
    frame = pd.DataFrame(
        {"prediction": predictions.to_numpy(dtype=np.float64)}, index=predictions.index
    )
    frame.index.name = "id"
    text: str = frame.to_csv(float_format=None)
    return text.encode("utf-8")


def write_predictions_csv(predictions: pd.Series, path: Path) -> Path:
    """``predictions_csv`` written to ``path`` atomically (a full disk: ``StorageError``)."""
    write_bytes_atomic(path, predictions_csv(predictions))
    return path


__all__ = [
    "HEADER",
    "CheckResult",
    "predictions_csv",
    "read_checked_csv",
    "sanity_checks",
    "write_predictions_csv",
]
