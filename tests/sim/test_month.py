"""A simulated month on the stepped clock: every score and payout recomputed independently.

Three models of two accounts submit for two weeks of rounds (one of them late, unstaked), stakes
change at round boundaries, and every round resolves. The test rebuilds each round's hidden
target from the synthetic world, the daily targets from the documented reveal scheme, the meta
model from the staked submissions and the house benchmark, and scores everything with
numerai-tools; the server's answers (through numerapi) must agree.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numerapi
import numerapi.base_api
import numpy as np
import pandas as pd
import pytest
from numerai_tools.scoring import correlation_contribution, numerai_corr
from scipy import stats

from numerpilot.clock import SteppedClock
from numerpilot.data import SyntheticWorld
from numerpilot.sim import DEFAULT_START, RunningSim, run_sim
from numerpilot.sim._config import DataConfig, PayoutConfig, SimConfig
from tests.sim.helpers import live_file

SEED, ROWS, DAYS = 0, 200, 20
PAYOUT = PayoutConfig(corr_multiplier=0.75, mmc_multiplier=2.25, clip=0.05, stake_threshold=40.0)
HOUSE = 1000.0
FIRST_ROUND = 1190


@pytest.fixture
def month_sim(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    config = SimConfig(data=DataConfig(live_rows=ROWS, seed=SEED), payout=PAYOUT)
    with run_sim(
        tmp_path / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=config,
        datasets_dir=demo_data_dir,
    ) as sim:
        yield sim


def gauss_rank(values: np.ndarray) -> np.ndarray:
    return stats.norm.ppf((stats.rankdata(values) - 0.5) / len(values))


def pow15(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.abs(x) ** 1.5


def corr_of(preds: np.ndarray, target: np.ndarray) -> float:
    """numerai_corr written out: gaussianised ranks and centred target, both to the power 1.5."""
    return float(np.corrcoef(pow15(gauss_rank(preds)), pow15(target - target.mean()))[0, 1])


def mmc_of(preds: np.ndarray, meta: np.ndarray, target: np.ndarray) -> float:
    """correlation_contribution written out: orthogonalise to the meta model, dot the target."""
    p, m = gauss_rank(preds), gauss_rank(meta)
    neutral = p - m * (p @ m) / (m @ m)
    scaled = target * 4 if ((target >= 0) & (target <= 1)).all() else target
    return float((scaled - scaled.mean()) @ neutral / len(target))


def _download(api: numerapi.NumerAPI, name: str, number: int, tmp: Path) -> pd.DataFrame:
    path = tmp / f"{number}_{name}"
    api.download_dataset(f"v5.3/{name}", str(path), round_num=number)
    return pd.read_parquet(path)


def test_a_month_of_rounds_scores_and_payouts(
    month_sim: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = month_sim
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", sim.url)
    demo = numerapi.NumerAPI(sim.demo.public_id, sim.demo.secret_key, show_progress_bars=False)
    rival_keys = sim.server.add_account("rival", ("rival_model",))
    rival = numerapi.NumerAPI(rival_keys.public_id, rival_keys.secret_key, show_progress_bars=False)
    ids = {**demo.get_models(), **rival.get_models()}
    api_of = {"demo_csv": demo, "demo_upload": demo, "rival_model": rival}

    demo.stake_increase(20, ids["demo_csv"])
    rival.stake_increase(30, ids["rival_model"])
    stake = {"demo_csv": Decimal(0), "rival_model": Decimal(0), "demo_upload": Decimal(0)}
    pending: list[tuple[str, Decimal]] = [("demo_csv", Decimal(20)), ("rival_model", Decimal(30))]

    rng = np.random.default_rng(42)
    world = SyntheticWorld("v5.3", "demo", SEED)
    sent: dict[int, dict[str, tuple[np.ndarray, bool]]] = {}  # round -> model -> (preds, on time)
    at_risk: dict[int, dict[str, Decimal]] = {}
    live: dict[int, pd.Index] = {}
    bench: dict[int, np.ndarray] = {}
    for k in range(10):
        number = demo.get_current_round()
        assert number == FIRST_ROUND + k
        live_frame = _download(demo, "live.parquet", number, tmp_path)
        live[number] = live_frame.index
        era = world.make_era(world.scale.live_era_index + k, ROWS)
        assert list(live_frame.index) == list(era.ids)  # round k's live era, as documented
        bench_frame = pd.read_parquet(live_file(sim, number, "live_benchmark_models.parquet"))
        bench[number] = bench_frame.loc[live_frame.index, "v53_lgbm_ender20"].to_numpy(float)
        n = len(live_frame)
        submissions = {
            "demo_csv": bench[number] + rng.normal(0, 0.3, n),
            "rival_model": rng.random(n),
        }
        sent[number] = {}
        for name, values in submissions.items():
            preds = stats.rankdata(values) / (n + 1)
            frame = pd.DataFrame({"id": live_frame.index, "prediction": preds})
            api_of[name].upload_predictions(df=frame, model_id=ids[name])
            sent[number][name] = (preds, True)
        at_risk[number] = {m: stake[m] for m in submissions if stake[m] > 0}
        if k == 3:
            demo.stake_decrease(5, ids["demo_csv"])
            pending.append(("demo_csv", Decimal(-5)))
        sim.step(timedelta(hours=1))  # staking closes at 13:00; a late submission still counts
        late = rng.random(n)
        frame = pd.DataFrame({"id": live_frame.index, "prediction": late})
        demo.upload_predictions(df=frame, model_id=ids["demo_upload"])
        sent[number]["demo_upload"] = (
            pd.read_csv(io.StringIO(frame.to_csv(index=False)))["prediction"].to_numpy(),
            False,
        )
        upcoming = demo.list_rounds(status="upcoming")[0]["openTime"]
        sim.step(upcoming + timedelta(minutes=15) - sim.clock.now())
        # The next round has opened: the stake changes requested until then apply.
        for name, change in pending:
            stake[name] += change
        pending = []

    last = demo.list_rounds(number=FIRST_ROUND + 9)[0]
    sim.step(last["resolveTime"] - sim.clock.now())  # every round of the fortnight resolves
    assert {r["number"] for r in demo.list_rounds(status="resolved")} == set(sent)

    rounds = {r["number"]: r for r in demo.list_rounds()}
    expected_stake = dict(stake)
    scores = {
        (name, s["roundNumber"], s["day"], s["displayName"]): s["value"]
        for name in api_of
        for s in api_of[name].submission_scores(ids[name])
    }
    assert len(scores) == 10 * 3 * DAYS * 2
    checked = 0
    for number, by_model in sent.items():
        r = rounds[number]
        assert r["resolvedGeneral"] is True
        total = sum(at_risk[number].values(), Decimal(0))
        factor = (
            min(Decimal(1), Decimal(repr(PAYOUT.stake_threshold)) / total) if total else Decimal(1)
        )
        assert r["payoutFactor"] == factor.quantize(Decimal("0.000001"))

        # The meta model: staked on-time submissions plus the house benchmark.
        columns = [gauss_rank(by_model[m][0]) for m in at_risk[number]] + [
            gauss_rank(bench[number])
        ]
        weights = [float(s) for s in at_risk[number].values()] + [HOUSE]
        meta = pd.Series(
            np.column_stack(columns) @ weights / sum(weights), index=live[number], name="meta"
        )

        era = world.make_era(world.scale.live_era_index + (number - FIRST_ROUND), ROWS)
        target = era.targets[:, 0].astype(np.float64)
        shadow = target[np.random.default_rng([SEED, number, 20]).permutation(ROWS)]
        for day in range(1, DAYS + 1):
            realised = day / DAYS * target + (1 - day / DAYS) * shadow
            for name, (values, _) in by_model.items():
                got_corr = scores[(name, number, day, "v2_corr20")]
                assert got_corr == pytest.approx(corr_of(values, realised), abs=1e-9)
                got_mmc = scores[(name, number, day, "mmc")]
                assert got_mmc == pytest.approx(mmc_of(values, meta.to_numpy(), realised), abs=1e-9)
                checked += 2
        # The final (payout) scores once more with numerai-tools itself.
        preds = pd.DataFrame({m: v for m, (v, _) in by_model.items()}, index=live[number])
        final_target = pd.Series(target, index=live[number], name="target")
        corr = numerai_corr(preds, final_target)
        mmc = correlation_contribution(preds, meta, final_target)
        finals = {name: {"corr": corr[name], "mmc": mmc[name]} for name in by_model}
        for name in by_model:
            assert scores[(name, number, DAYS, "v2_corr20")] == pytest.approx(corr[name], abs=1e-9)
            assert scores[(name, number, DAYS, "mmc")] == pytest.approx(mmc[name], abs=1e-9)

        for name in by_model:
            with pytest.warns(DeprecationWarning):
                perfs = api_of[name].round_model_performances_v2(ids[name])
            perf = next(p for p in perfs if p["roundNumber"] == number)
            settled = {s["payoutSettled"] for s in perf["submissionScores"]}
            if name not in at_risk[number]:
                assert perf["atRisk"] in (None, Decimal(0)) and settled == {None}
                continue
            assert perf["atRisk"] == at_risk[number][name]
            score = float(factor) * (0.75 * finals[name]["corr"] + 2.25 * finals[name]["mmc"])
            clipped = max(-0.05, min(0.05, float(score)))
            payout = (at_risk[number][name] * Decimal(repr(clipped))).quantize(
                Decimal("0.000001"), rounding=ROUND_HALF_EVEN
            )
            assert settled == {payout}
            expected_stake[name] += payout

    assert checked == 10 * 3 * DAYS * 2
    assert demo.stake_get("demo_csv") == expected_stake["demo_csv"]
    assert rival.stake_get("rival_model") == expected_stake["rival_model"]
    assert demo.stake_get("demo_upload") is None
    # Balances moved only by the stake requests: 100 - 20 + 5 and 100 - 30.
    assert demo.get_account()["availableNmr"] == Decimal(85)
    assert rival.get_account()["availableNmr"] == Decimal(70)
