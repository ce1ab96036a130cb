"""Submission checks, as Numerai applies them before accepting predictions.

A submission is a CSV with the header ``id,prediction`` holding every live id of the round
exactly once, with finite predictions in [0, 1] that are not all equal. Anything else is
rejected with a message like Numerai's, and a stable reason code for tests.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

EXPECTED_HEADER = "id,prediction"


class Rejection(Exception):
    """A submission Numerai would refuse; ``reason`` is a stable code, the message Numerai-like."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _header(data: bytes) -> str:
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    return first.decode("utf-8-sig", errors="replace").strip()


def parse_submission(data: bytes, live_ids: pd.Index) -> pd.Series:
    """The predictions (float64, in ``live_ids`` order), or ``Rejection`` saying what is wrong."""
    if not data.strip():
        raise Rejection("empty", "Submission file is empty")
    header = _header(data)
    if header != EXPECTED_HEADER:
        raise Rejection(
            "header",
            f"Invalid submission header {header[:80]!r}: expected columns 'id' and 'prediction'",
        )
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype={"id": str}, keep_default_na=True, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise Rejection("unreadable", f"Submission is not a readable CSV: {e}") from None
    if frame.empty:
        raise Rejection("empty", "Submission has no rows")
    predictions = pd.to_numeric(frame["prediction"], errors="coerce")
    not_numbers = predictions.isna() & frame["prediction"].notna()
    if not_numbers.any():
        raise Rejection(
            "not_numeric",
            f"Submission has {int(not_numbers.sum())} predictions that are not numbers",
        )
    ids = pd.Index(frame["id"].astype(str))
    duplicated = int(ids.duplicated().sum())
    if duplicated:
        raise Rejection("duplicate_ids", f"Submission has {duplicated} duplicate ids")
    unknown = ids.difference(live_ids)
    if len(unknown):
        raise Rejection(
            "unknown_ids",
            f"Submission has {len(unknown)} ids that are not in this round's live data "
            f"(e.g. {unknown[0]!r})",
        )
    missing = live_ids.difference(ids)
    if len(missing):
        raise Rejection(
            "missing_ids",
            f"Submission is missing {len(missing)} of the round's {len(live_ids)} live ids",
        )
    series = pd.Series(predictions.to_numpy(dtype=np.float64), index=ids, name="prediction")
    if series.isna().any():
        raise Rejection("nan", f"Submission has {int(series.isna().sum())} NaN predictions")
    if not np.isfinite(series.to_numpy()).all():
        raise Rejection("range", "Predictions must be finite numbers between 0 and 1")
    if (series < 0).any() or (series > 1).any():
        raise Rejection(
            "range",
            f"Predictions must be between 0 and 1 (found {series.min():.4g} .. {series.max():.4g})",
        )
    if series.nunique() < 2:
        raise Rejection("constant", "Predictions are constant: every row has the same value")
    return series.reindex(live_ids)


def predictions_frame_to_csv(result: object) -> bytes:
    """A hosted model's output as the CSV Numerai writes from it (index included).

    Numerai requires a non-empty DataFrame without NaN whose first column lies in [0, 1];
    it writes that column with the frame's index, so the index must be named ``id``.
    """
    if not isinstance(result, pd.DataFrame):
        raise Rejection(
            "not_dataframe",
            f"predict() must return a pandas DataFrame, got {type(result).__name__}",
        )
    if result.empty or result.shape[1] == 0:
        raise Rejection("empty", "predict() returned an empty DataFrame")
    first = result.iloc[:, [0]].copy()
    first.columns = ["prediction"]
    text: str = first.to_csv(index=True)
    return text.encode("utf-8")


__all__ = ["EXPECTED_HEADER", "Rejection", "parse_submission", "predictions_frame_to_csv"]
