"""The sim's rules in isolation: submission checks, payouts, meta model, daily targets, keys."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from numerai_tools.scoring import correlation_contribution, numerai_corr

from numerpilot.sim import _scoring as scoring
from numerpilot.sim._accounts import AuthError, derived_keys
from numerpilot.sim._config import PayoutConfig
from numerpilot.sim._payouts import payout, payout_factor, payout_score
from numerpilot.sim._validation import Rejection, parse_submission, predictions_frame_to_csv

IDS = pd.Index(["n0a", "n0b", "n0c", "n0d"])


def csv(rows: list[tuple[str, object]], header: str = "id,prediction") -> bytes:
    return ("\n".join([header, *(f"{i},{p}" for i, p in rows)]) + "\n").encode()


GOOD = [("n0b", 0.2), ("n0a", 0.9), ("n0d", 0.5), ("n0c", 0.1)]


def test_a_valid_submission_comes_back_in_live_order() -> None:
    got = parse_submission(csv(GOOD), IDS)
    assert list(got.index) == list(IDS) and got.tolist() == [0.9, 0.2, 0.1, 0.5]
    crlf = csv(GOOD).replace(b"\n", b"\r\n")
    assert parse_submission(b"\xef\xbb\xbf" + crlf, IDS).tolist() == got.tolist()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (csv(GOOD, header="id,pred"), "header"),
        (csv(GOOD, header="prediction,id"), "header"),
        (csv([*GOOD, ("n0c", 0.2)]), "duplicate_ids"),
        (csv(GOOD[:3]), "missing_ids"),
        (csv([*GOOD, ("n0z", 0.3)]), "unknown_ids"),
        (csv([*GOOD[:3], ("n0c", "")]), "nan"),
        (csv([*GOOD[:3], ("n0c", "abc")]), "not_numeric"),
        (csv([*GOOD[:3], ("n0c", 1.5)]), "range"),
        (csv([*GOOD[:3], ("n0c", -0.1)]), "range"),
        (csv([*GOOD[:3], ("n0c", "inf")]), "range"),
        (csv([(i, 0.5) for i, _ in GOOD]), "constant"),
    ],
)
def test_numerai_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(Rejection) as e:
        parse_submission(data, IDS)
    assert e.value.reason == reason and str(e.value)


def test_a_hosted_models_output_is_written_with_its_index() -> None:
    frame = pd.DataFrame({"whatever": [0.1, 0.2]}, index=pd.Index(["n0a", "n0b"], name="id"))
    assert predictions_frame_to_csv(frame) == b"id,prediction\nn0a,0.1\nn0b,0.2\n"
    unnamed = pd.DataFrame({"prediction": [0.1, 0.2]}, index=["n0a", "n0b"])
    with pytest.raises(Rejection) as e:
        parse_submission(predictions_frame_to_csv(unnamed), IDS[:2])
    assert e.value.reason == "header"  # Numerai needs the index named id
    for bad in (pd.Series([0.1]), pd.DataFrame()):
        with pytest.raises(Rejection):
            predictions_frame_to_csv(bad)


def test_payout_formula() -> None:
    config = PayoutConfig(
        corr_multiplier=0.75, mmc_multiplier=2.25, clip=0.05, stake_threshold=72000
    )
    assert payout_factor(Decimal(0), config) == Decimal(1)
    assert payout_factor(Decimal(36000), config) == Decimal(1)
    assert payout_factor(Decimal(144000), config) == Decimal("0.5")
    assert payout_factor(Decimal(7000000), config) == Decimal("0.010286")  # 72000 / 7e6
    assert payout_score(0.02, 0.004, Decimal(1), config) == pytest.approx(0.024)
    assert payout_score(0.02, 0.004, Decimal("0.5"), config) == pytest.approx(0.012)
    assert payout_score(0.1, 0.02, Decimal(1), config) == 0.05  # clipped
    assert payout_score(-0.1, -0.02, Decimal(1), config) == -0.05
    assert payout(Decimal(100), 0.02, 0.004, Decimal(1), config) == Decimal("2.400000")
    assert payout(Decimal(100), -1, 0, Decimal(1), config) == Decimal("-5.000000")
    assert payout(Decimal("3.3"), 0.011, 0.0, Decimal(1), config) == Decimal("0.027225")


def test_meta_model_and_scores_match_numerai_tools() -> None:
    rng = np.random.default_rng(0)
    n = 300
    target = rng.choice([0, 0.25, 0.5, 0.75, 1.0], n, p=[0.05, 0.2, 0.5, 0.2, 0.05])
    a, b, bench = rng.random(n), rng.random(n), rng.random(n) + target
    meta = scoring.meta_model([a, b, bench], [10.0, 30.0, 60.0])
    ranked = [scoring.gauss_rank(x) for x in (a, b, bench)]
    assert meta == pytest.approx((10 * ranked[0] + 30 * ranked[1] + 60 * ranked[2]) / 100)
    index = pd.Index([f"n{i:015x}" for i in range(n)])
    preds = pd.DataFrame({"a": a, "b": b}, index=index)
    corr, mmc = scoring.score_day(preds, target, meta)
    t = pd.Series(target, index=index, name="target")
    m = pd.Series(meta, index=index, name="meta")
    assert corr.to_numpy() == pytest.approx(numerai_corr(preds, t).to_numpy(), abs=1e-12)
    assert mmc.to_numpy() == pytest.approx(
        correlation_contribution(preds, m, t).to_numpy(), abs=1e-12
    )
    assert scoring.percentiles(pd.Series([0.3, -0.1, 0.2])).tolist() == [1.0, 1 / 3, 2 / 3]
    with pytest.raises(ValueError):
        scoring.meta_model([a], [0.0])


def test_daily_targets_converge_to_the_final_target() -> None:
    target = np.array([0.0, 0.25, 0.5, 0.5, 0.75, 1.0])
    shadow = scoring.shadow_target(target, seed=0, round_number=1190)
    assert sorted(shadow) == sorted(target)  # same distribution, no signal
    assert (scoring.shadow_target(target, 0, 1190) == shadow).all()
    assert not (scoring.shadow_target(target, 0, 1191) == shadow).all()
    first = scoring.daily_target(target, shadow, 1, 20)
    assert first == pytest.approx(0.05 * target + 0.95 * shadow)
    assert (scoring.daily_target(target, shadow, 20, 20) == target).all()
    with pytest.raises(ValueError):
        scoring.daily_target(target, shadow, 21, 20)


def test_keys_are_deterministic_and_shaped_like_numerai() -> None:
    keys = derived_keys("demo", 0, ("demo_csv",))
    assert keys == derived_keys("demo", 0, ("demo_csv",))
    assert keys.public_id != derived_keys("demo", 1, ("demo_csv",)).public_id
    assert len(keys.public_id) == 32 and len(keys.secret_key) == 64
    assert keys.public_id.isupper() and keys.secret_key.isalnum()
    assert issubclass(AuthError, Exception)
