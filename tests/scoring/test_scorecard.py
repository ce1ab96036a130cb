"""score_columns: the per-column bundle the validate command and the report are built on."""

from __future__ import annotations

import numpy as np
import pytest

from numerpilot.report import report_column
from numerpilot.scoring.eras import Eras
from numerpilot.scoring.metrics import correlation_contribution, numerai_corr
from numerpilot.scoring.scorecard import PayoutParams, References, score_columns
from numerpilot.scoring.summary import simulate_payout
from tests.scoring.conftest import make_sample


def test_without_meta_model_the_payout_uses_bmc() -> None:
    s = make_sample(5)
    eras = Eras.from_codes(s.eras, labels=[f"{e:04d}" for e in range(6)])
    preds = s.predictions[:, :2]
    refs = References(benchmark=s.meta, example=s.meta, benchmarks={"bench": s.meta})
    payout = PayoutParams(corr_multiplier=1.0, mmc_multiplier=3.0, payout_factor=0.5)
    a, b = score_columns(
        ["a", "b"], preds, s.target, eras, s.features, references=refs, payout=payout
    )
    corr = numerai_corr(preds, s.target, eras)
    bmc = correlation_contribution(preds, s.meta, s.target, eras)
    np.testing.assert_array_equal(b.corr, corr[:, 1])
    assert b.bmc is not None and b.mmc is None and b.fnc is None
    expected = simulate_payout(
        corr[:, 1], bmc[:, 1], corr_multiplier=1.0, mmc_multiplier=3.0, payout_factor=0.5
    )
    assert b.payout.mean == pytest.approx(expected.mean)
    assert b.corr_with_example == b.corr_with_benchmarks["bench"]
    assert a.eras == ["0000", "0001", "0002", "0003", "0004", "0005"]

    doc = b.as_dict()
    assert doc["mmc_eras"] == 0 and "per_era_mmc" not in doc and "per_era_bmc" in doc
    assert doc["per_era"]["0004"] == pytest.approx(corr[4, 1])
    assert doc["bmc_mean"] == pytest.approx(np.nanmean(bmc[:, 1]))

    # TB200 is CORR on each era's 200 highest and lowest rows (all of a small era).
    np.testing.assert_array_equal(
        b.tb200, numerai_corr(preds, s.target, eras, top_bottom=200)[:, 1]
    )
    assert doc["tb200_mean"] == pytest.approx(np.nanmean(b.tb200))

    labels = [stat.label for stat in report_column(b).stats]
    assert labels[:3] == ["CORR mean", "CORR Sharpe", "smart Sharpe"]
    assert "FNC mean" not in labels
    assert {"TB200 mean", "APY", "Calmar", "churn"} <= set(labels)


def test_progress_is_reported_per_step() -> None:
    s = make_sample(6)
    eras = Eras.from_codes(s.eras)
    seen: list[tuple[str, int, int]] = []
    score_columns(
        ["a"],
        s.predictions[:, 1],
        s.target,
        eras,
        s.features,
        fnc=True,
        source="m",
        progress=lambda step, done, total: seen.append((step, done, total)),
    )
    assert ("feature exposure (m)", 6, 6) in seen
    assert ("FNC (m)", 6, 6) in seen
