"""Summary statistics and the payout simulation, on hand-checked numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numerpilot.scoring.summary import (
    apy,
    autocorrelation,
    calmar_ratio,
    drawdown,
    max_drawdown,
    sharpe,
    simulate_payout,
    smart_sharpe,
    summarize,
)

SCORES = [0.1, -0.2, 0.3, 0.0]


def test_summary_of_four_eras() -> None:
    s = summarize(SCORES)
    std = math.sqrt(((0.05**2) + (0.25**2) + (0.25**2) + (0.05**2)) / 4)
    assert s.mean == pytest.approx(0.05, abs=1e-15)
    assert s.std == pytest.approx(std, abs=1e-15)
    assert s.sharpe == pytest.approx(0.05 / std, abs=1e-12)
    # cumulative 0.1, -0.1, 0.2, 0.2: the fall from 0.1 to -0.1 is the largest.
    assert s.max_drawdown == pytest.approx(0.2, abs=1e-15)
    assert s.positive_eras == 0.5
    assert s.autocorrelation == pytest.approx(np.corrcoef([0.1, -0.2, 0.3], [-0.2, 0.3, 0.0])[0, 1])
    assert s.eras == 4


def test_nan_eras_are_left_out() -> None:
    assert summarize([0.1, np.nan, -0.2, 0.3, 0.0]) == summarize(SCORES)
    empty = summarize([np.nan])
    assert empty.eras == 0 and math.isnan(empty.mean)


def test_drawdown_peaks_start_at_the_first_era() -> None:
    assert drawdown([-0.1, -0.1, 0.3]).tolist() == pytest.approx([0.0, 0.1, 0.0])
    assert max_drawdown([0.01, 0.02]) == 0.0


def test_degenerate_series() -> None:
    assert math.isnan(sharpe([0.1, 0.1, 0.1]))
    assert math.isnan(autocorrelation([0.1, 0.2]))
    assert math.isnan(autocorrelation([0.1, 0.1, 0.1, 0.1]))


def test_payout_simulation_clips_and_skips_unscored_eras() -> None:
    sim = simulate_payout(
        [0.02, -0.2, 0.01],
        [0.01, 0.0, np.nan],
        corr_multiplier=0.5,
        mmc_multiplier=2.0,
        payout_factor=0.8,
        clip=0.05,
    )
    # 0.8 * (0.01 + 0.02) = 0.024; 0.8 * (-0.1) = -0.08 -> -0.05; no MMC -> not paid.
    assert sim.per_era[:2].tolist() == pytest.approx([0.024, -0.05])
    assert math.isnan(sim.per_era[2])
    assert sim.eras == 2
    assert sim.mean == pytest.approx(-0.013)
    assert sim.total == pytest.approx(-0.026)
    assert sim.worst == pytest.approx(-0.05) and sim.best == pytest.approx(0.024)
    assert sim.final_stake == pytest.approx(1.024 * 0.95)
    assert "per_era" not in sim.as_dict()


def test_payout_without_contribution_uses_corr_alone() -> None:
    sim = simulate_payout([0.04, 0.2], corr_multiplier=1.0, mmc_multiplier=3.0, stake=10)
    assert sim.per_era.tolist() == pytest.approx([0.04, 0.05])
    assert sim.final_stake == pytest.approx(10 * 1.04 * 1.05)


def test_smart_sharpe_penalises_autocorrelation() -> None:
    # [2, 0, 2, 0]: mean 1, sample std sqrt(4/3), lag-1 autocorrelation -1, so the penalty is
    # sqrt(1 + 2 * (3/4 + 2/4 + 1/4)) = 2.
    assert smart_sharpe([2.0, 0.0, 2.0, 0.0]) == pytest.approx(1 / (math.sqrt(4 / 3) * 2))
    assert math.isnan(smart_sharpe([0.1, 0.1, 0.1])) and math.isnan(smart_sharpe([0.1, 0.2]))
    assert summarize([2.0, 0.0, 2.0, 0.0]).smart_sharpe == pytest.approx(0.4330127)


def test_apy_compounds_over_a_year_of_eras() -> None:
    # Two eras of +1 %: growth 1.01**2, raised to (52 - 4) / 2 = 24.
    assert apy([0.01, 0.01]) == pytest.approx(1.01**48 - 1)
    assert apy([0.01, np.nan, 0.01], periods_per_year=6, compounding_lag=0) == pytest.approx(
        1.01**6 - 1
    )
    assert apy([0.5, -1.0]) == -1.0  # the stake is gone
    assert math.isnan(apy([]))


def test_calmar_is_apy_over_the_max_drawdown() -> None:
    returns = [0.02, -0.01, 0.01]  # cumulative 0.02, 0.01, 0.02: drawdown 0.01
    assert calmar_ratio(returns) == pytest.approx(apy(returns) / 0.01)
    assert math.isnan(calmar_ratio([0.01, 0.02]))  # never fell
