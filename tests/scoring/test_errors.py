"""Bad input fails with a typed, one-line DataError that says what is wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from numerpilot.errors import DataError
from numerpilot.scoring.exposure import feature_exposures, neutralize
from numerpilot.scoring.metrics import churn, correlation_contribution, numerai_corr
from numerpilot.scoring.summary import simulate_payout

ERAS = np.array([0, 0, 0, 1, 1, 1])
TARGET = np.array([0.0, 0.5, 1.0, 0.25, 0.5, 0.75])


def test_nan_predictions_name_the_column() -> None:
    preds = np.column_stack([np.arange(6.0), [0.1, np.nan, 0.3, np.nan, 0.5, 0.6]])
    with pytest.raises(DataError, match="column 1 has 2 NaN"):
        numerai_corr(preds, TARGET, ERAS)


def test_misaligned_lengths() -> None:
    with pytest.raises(DataError, match="5 rows but the eras cover 6"):
        numerai_corr(np.arange(5.0), TARGET, ERAS)
    with pytest.raises(DataError, match="target has shape"):
        numerai_corr(np.arange(6.0), TARGET[:4], ERAS)
    with pytest.raises(DataError, match="meta model has shape"):
        correlation_contribution(np.arange(6.0), np.arange(3.0), TARGET, ERAS)


def test_an_era_with_one_row() -> None:
    with pytest.raises(DataError, match="era 1 has 1 row"):
        numerai_corr(np.arange(4.0), TARGET[:4], np.array([0, 0, 0, 1]))


def test_prediction_shape() -> None:
    with pytest.raises(DataError, match="one column or a matrix"):
        numerai_corr(np.zeros((6, 1, 1)), TARGET, ERAS)


def test_feature_matrix_must_match() -> None:
    with pytest.raises(DataError, match="features have 5 rows"):
        feature_exposures(np.arange(6.0), np.zeros((5, 3), np.int8), ERAS)
    with pytest.raises(DataError, match="feature_rows points outside"):
        feature_exposures(
            np.arange(6.0), np.zeros((6, 3), np.int8), ERAS, feature_rows=np.arange(1, 7)
        )
    with pytest.raises(DataError, match="NaN"):
        feature_exposures(np.arange(6.0), np.full((6, 2), np.nan), ERAS)


def test_neutralize_proportion_range() -> None:
    with pytest.raises(DataError, match="within \\[0, 1\\]"):
        neutralize(np.arange(6.0), np.zeros((6, 2), np.int8), ERAS, proportion=1.5)


def test_churn_needs_overlap_and_variation() -> None:
    a = pd.Series([0.1, 0.2, 0.3, 0.4], index=list("abcd"))
    with pytest.raises(DataError, match="only 1 of 4"):
        churn(a, pd.Series([0.5, 0.6, 0.7, 0.8], index=list("dxyz")))
    with pytest.raises(DataError, match="constant"):
        churn(a, pd.Series(0.5, index=list("abcd")))


def test_payout_parameters() -> None:
    with pytest.raises(DataError, match="clip > 0"):
        simulate_payout([0.01], corr_multiplier=1, mmc_multiplier=0, clip=0)
    with pytest.raises(DataError, match="shape"):
        simulate_payout([0.01, 0.02], [0.0], corr_multiplier=1, mmc_multiplier=1)
