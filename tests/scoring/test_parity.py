"""numerpilot's vectorised metrics against numerai-tools applied era by era, within 1e-9."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numerai_tools import scoring as nt
from numerai_tools.signals import churn as nt_churn

from numerpilot.scoring import exposure
from numerpilot.scoring.eras import Eras
from numerpilot.scoring.exposure import (
    feature_exposures,
    feature_neutral_corr,
    max_feature_exposure,
    neutralize,
)
from numerpilot.scoring.metrics import (
    churn,
    correlation_contribution,
    numerai_corr,
    rank_correlation,
)
from tests.scoring.conftest import ERA_SIZES, Sample

ATOL = 1e-9
COLUMNS = list("abcd")


def quiet(fn: Callable[[], Any]) -> Any:
    """numerai-tools warns through numpy on constant columns; the numbers are what we test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def close(ours: np.ndarray, reference: Any) -> None:
    np.testing.assert_allclose(ours, np.asarray(reference, dtype=float), rtol=0, atol=ATOL)


def test_numerai_corr(sample: Sample) -> None:
    ours = numerai_corr(sample.predictions, sample.target, sample.eras)
    assert ours.shape == (len(ERA_SIZES), 4)
    for era in range(len(ERA_SIZES)):
        df = sample.frame(era)
        close(ours[era], quiet(lambda df=df: nt.numerai_corr(df[COLUMNS], df["target"])))
    # Not vacuous: the ordinary columns score real numbers in the larger eras.
    assert np.isfinite(ours[3:, :3]).all()
    assert np.isnan(ours[:, 3]).all()  # a constant column has no correlation


def test_numerai_corr_without_target_power(sample: Sample) -> None:
    ours = numerai_corr(sample.predictions, sample.target, sample.eras, target_pow15=False)
    for era in range(len(ERA_SIZES)):
        df = sample.frame(era)
        ref = quiet(lambda df=df: nt.numerai_corr(df[COLUMNS], df["target"], target_pow15=False))
        close(ours[era], ref)


def test_numerai_corr_top_bottom(sample: Sample) -> None:
    ours = numerai_corr(sample.predictions, sample.target, sample.eras, top_bottom=10)
    for era in (3, 4, 5):
        df = sample.frame(era)
        ref = quiet(lambda df=df: nt.numerai_corr(df[COLUMNS], df["target"], top_bottom=10))
        close(ours[era], ref)
    plain = numerai_corr(sample.predictions, sample.target, sample.eras)
    assert not np.allclose(ours[4:, :3], plain[4:, :3])


def test_correlation_contribution(sample: Sample) -> None:
    ours = correlation_contribution(sample.predictions, sample.meta, sample.target, sample.eras)
    for era in range(len(ERA_SIZES)):
        df = sample.frame(era)
        ref = quiet(
            lambda df=df: nt.correlation_contribution(df[COLUMNS], df["meta"], df["target"])
        )
        close(ours[era], ref)
    assert np.all(ours[3:, 1] != 0)


def test_correlation_contribution_top_bottom(sample: Sample) -> None:
    ours = correlation_contribution(
        sample.predictions, sample.meta, sample.target, sample.eras, top_bottom=10
    )
    for era in (3, 4, 5):
        df = sample.frame(era)
        ref = quiet(
            lambda df=df: nt.correlation_contribution(
                df[COLUMNS], df["meta"], df["target"], top_bottom=10
            )
        )
        close(ours[era], ref)


def test_contribution_skips_rows_without_meta_model(sample: Sample) -> None:
    meta = sample.meta.copy()
    meta[(sample.eras == 5) & (np.arange(meta.size) % 20 == 0)] = np.nan
    ours = correlation_contribution(sample.predictions, meta, sample.target, sample.eras)
    df = sample.frame(5)
    df["meta"] = meta[sample.eras == 5]
    ref = quiet(lambda: nt.correlation_contribution(df[COLUMNS], df["meta"], df["target"]))
    close(ours[5], ref)


def test_feature_exposures(sample: Sample) -> None:
    ours = feature_exposures(sample.predictions[:, :3], sample.features, sample.eras)
    assert ours.shape == (len(ERA_SIZES), 3, 7)
    for era in range(len(ERA_SIZES)):
        df, feats = sample.frame(era), sample.feature_frame(era)
        for k, column in enumerate("abc"):
            ref = [
                quiet(
                    lambda f=f, c=column, df=df, feats=feats: nt.pearson_correlation(
                        feats[f], df[c]
                    )
                )
                for f in feats.columns
            ]
            close(ours[era, k], ref)
    assert np.isnan(ours[3, :, 2]).all()  # the feature missing (all 2) in era 3


def test_max_feature_exposure(sample: Sample) -> None:
    ours = max_feature_exposure(sample.predictions[:, 1], sample.features, sample.eras)
    for era in range(2, len(ERA_SIZES)):  # eras of 2-3 rows can have every feature constant
        df, feats = sample.frame(era), sample.feature_frame(era)
        _, ref = quiet(lambda df=df, feats=feats: nt.max_feature_correlation(df["b"], feats))
        close(np.array([ours[era]]), [ref])


def test_neutralize(sample: Sample) -> None:
    ours = neutralize(sample.predictions, sample.features, sample.eras, proportion=0.5)
    assert ours.shape == sample.predictions.shape
    for era in range(3, len(ERA_SIZES)):
        df, feats = sample.frame(era), sample.feature_frame(era)
        ref = quiet(lambda df=df, feats=feats: nt.neutralize(df[COLUMNS], feats, 0.5))
        close(ours[sample.eras == era], ref.to_numpy())


def test_feature_neutral_corr(sample: Sample) -> None:
    ours = feature_neutral_corr(
        sample.predictions[:, :3], sample.features, sample.target, sample.eras
    )
    for era in range(2, len(ERA_SIZES)):
        df, feats = sample.frame(era), sample.feature_frame(era)
        ref = quiet(
            lambda df=df, feats=feats: nt.feature_neutral_corr(df[list("abc")], feats, df["target"])
        )
        close(ours[era], ref)
    assert np.isfinite(ours[3:]).all()


def test_rank_correlation_is_spearman(sample: Sample) -> None:
    ours = rank_correlation(sample.predictions[:, :3], sample.meta, sample.eras)
    for era in range(1, len(ERA_SIZES)):
        df = sample.frame(era)
        ref = [df[c].corr(df["meta"], method="spearman") for c in "abc"]
        close(ours[era], ref)


def test_churn() -> None:
    rng = np.random.default_rng(3)
    ids = [f"n{i:015x}" for i in range(300)]
    before = pd.Series(rng.integers(0, 20, 300) / 20, index=ids)
    after = pd.Series(0.7 * before.to_numpy() + 0.3 * rng.random(300), index=ids)
    after = after.drop(index=ids[:25]).iloc[::-1]  # some ids left, and a different order
    assert abs(churn(before, after) - quiet(lambda: nt_churn(before, after))) < ATOL
    for tb in (10, 40):
        assert churn(before, after, top_bottom=tb) == nt_churn(before, after, top_bottom=tb)


def test_scorecard_churn_is_numerblox_churn(sample: Sample) -> None:
    """numerblox's evaluator: nanmean over eras of numerai-tools' churn(predictions, target)."""
    from numerpilot.scoring.scorecard import score_columns

    preds = sample.predictions[:, :3]  # the fourth column is constant: no churn exists
    (scored,) = [
        c
        for c in score_columns(
            ["a", "b", "c"], preds, sample.target, Eras.from_codes(sample.eras), sample.features
        )
        if c.name == "b"
    ]
    frame = pd.DataFrame(
        {"era": sample.eras, "p": preds[:, 1], "t": sample.target}, index=sample.ids
    )
    # numerai-tools asserts on a constant series; numerpilot gives that era NaN instead.
    expected = [
        quiet(lambda g=g: nt_churn(g["p"], g["t"].dropna()))
        if g["t"].dropna().std() > 0
        else np.nan
        for _, g in frame.groupby("era", sort=True)
    ]
    np.testing.assert_allclose(scored.churn, expected, rtol=0, atol=ATOL)
    assert scored.churn_mean == pytest.approx(np.nanmean(expected), abs=ATOL)
    assert scored.as_dict()["churn_mean"] == scored.churn_mean


def test_rows_already_grouped_give_the_same_numbers(sample: Sample) -> None:
    order = np.argsort(sample.eras, kind="stable")
    grouped = Eras.from_codes(sample.eras[order])
    assert grouped.order is None
    shuffled = numerai_corr(sample.predictions, sample.target, sample.eras)
    np.testing.assert_array_equal(
        numerai_corr(sample.predictions[order], sample.target[order], grouped), shuffled
    )


def test_exposure_blocks_and_matrix_path_agree(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eras spanning several blocks, and the matrix product used for many columns."""
    preds = sample.predictions[:, :3]
    expected = feature_exposures(preds, sample.features, sample.eras)
    monkeypatch.setattr(exposure, "BLOCK_ROWS", 16)
    monkeypatch.setattr(exposure, "GEMV_COLUMNS", 1)
    np.testing.assert_allclose(
        feature_exposures(preds, sample.features, sample.eras), expected, rtol=0, atol=1e-12
    )


def test_constant_predictions_have_zero_exposure(sample: Sample) -> None:
    """Column d is constant in every era: numerai-tools says about 0, not the 1.0 that the
    centring's rounding residue would give."""
    constant = np.full(len(sample.eras), 0.37)  # not exactly representable: a residue remains
    ours = max_feature_exposure(constant, sample.features, sample.eras)
    assert (ours[2:] == 0.0).all()
    for era in range(2, len(ERA_SIZES)):
        feats = sample.feature_frame(era)
        preds = pd.Series(constant[sample.eras == era], index=feats.index)
        refs = [
            quiet(lambda f=f, p=preds, feats=feats: nt.pearson_correlation(feats[f], p))
            for f in feats.columns
        ]
        assert all(abs(r) < 1e-6 or np.isnan(r) for r in refs)
