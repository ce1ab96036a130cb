"""The worker's queries against the local tournament: upcoming round, scores with payout
multipliers, stakes, and finding a submission after a crash."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from numerpilot.agent.ledger import Ledger
from numerpilot.agent.services import TournamentServices
from numerpilot.clock import SteppedClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.credentials import Credentials
from numerpilot.sim import RunningSim
from numerpilot.tournament import (
    TournamentClient,
    change_stake,
    current_stake,
    model_ids,
    performances,
    upcoming_round,
    upload_predictions,
)


@pytest.fixture
def client(sim_server: RunningSim) -> TournamentClient:
    keys = sim_server.demo
    return TournamentClient(
        api_url=sim_server.url,
        credentials=Credentials(keys.public_id, keys.secret_key, source="test"),
        clock=sim_server.clock,
        retries=2,
    )


def submit_random(client: TournamentClient, tmp_path: Path, model: str, seed: int) -> str:
    live = tmp_path / f"live-{seed}.parquet"
    client.download("v5.3/live.parquet", live)
    ids = pd.read_parquet(live, columns=["era"]).index
    values = np.random.default_rng(seed).random(len(ids))
    csv = tmp_path / f"{model}-{seed}.csv"
    pd.DataFrame({"prediction": values}, index=ids).to_csv(csv)
    rnd = client.current_round()
    assert rnd is not None
    return upload_predictions(client, model_name=model, csv_path=csv, round_info=rnd).submission_id


def test_upcoming_round_is_the_next_open(sim_server: RunningSim, client: TournamentClient):
    current = client.current_round()
    upcoming = upcoming_round(client)
    assert current is not None and upcoming is not None
    assert upcoming.number == current.number + 1
    assert upcoming.open_time == current.open_time + timedelta(days=1)  # Tuesday -> Wednesday


def test_scores_and_payouts_of_a_staked_model(
    sim_server: RunningSim, client: TournamentClient, tmp_path: Path
):
    ids = model_ids(client)
    assert set(ids) == {"demo_csv", "demo_upload"}
    assert current_stake(client, "demo_csv") == Decimal(0)
    change = change_stake(client, ids["demo_csv"], "increase", Decimal("1.5"))
    assert change.action == "increase" and change.amount == Decimal("1.5")
    assert change.due is not None and "increase 1.5 NMR requested" in change.describe()
    rnd = client.current_round()
    assert rnd is not None
    sim_server.step(change.due - sim_server.clock.now())  # the next round opens: applied
    assert current_stake(client, "demo_csv") == Decimal("1.5")
    submit_random(client, tmp_path, "demo_csv", 1)
    staked_round = client.current_round()
    assert staked_round is not None
    assert performances(client, ids["demo_csv"])[-1].day == 0
    sim_server.step(timedelta(days=40))
    perfs = performances(client, ids["demo_csv"])
    (p,) = [p for p in perfs if p.round_number == staked_round.number]
    assert p.resolved and p.day == 20 and p.at_risk == Decimal("1.5")
    assert p.corr is not None and p.mmc is not None and p.payout is not None
    assert p.percentile is not None and 0 < p.percentile <= 1  # the API's rank of CORR
    assert set(p.multipliers) == {"v2_corr20", "mmc"}
    expected = p.multipliers["v2_corr20"] * p.corr + p.multipliers["mmc"] * p.mmc
    assert p.payout_score == pytest.approx(expected)
    # payout = stake * clip(factor * score, +-0.05), the factor being 1 with so little at risk
    bound = Decimal("1.5") * Decimal("0.05")
    assert abs(p.payout) <= bound
    assert float(p.payout) == pytest.approx(1.5 * max(-0.05, min(0.05, expected)), abs=1e-6)


def test_find_submission_after_a_crash(
    sim_server: RunningSim, client: TournamentClient, tmp_path: Path
):
    clock = sim_server.clock
    assert isinstance(clock, SteppedClock)
    settings = Settings(project_dir=tmp_path)
    settings.tournament.models = [ModelEntry(name="demo_csv")]
    services = TournamentServices(settings, client, clock)
    ledger = Ledger(tmp_path / "numerpilot.db", clock)
    rnd = client.current_round()
    assert rnd is not None
    ledger.record_round(rnd.number, rnd.open_time, rnd.close_staking_time)
    early = submit_random(client, tmp_path, "demo_csv", 1)  # someone else's, before the intent
    clock.advance(timedelta(minutes=5))
    intent = ledger.begin_submission(rnd.number, "demo_csv", "sha").submission
    assert services.find_submission(intent) is None  # older than the intent: not this one
    clock.advance(timedelta(minutes=1))
    late = submit_random(client, tmp_path, "demo_csv", 2)
    assert services.find_submission(intent) == late != early
    hosted = services.hosted_run(ModelEntry(name="demo_csv"), rnd)
    assert hosted.submission_id == late
    assert services.active_pickle(ModelEntry(name="demo_upload", mode="upload")) is None
