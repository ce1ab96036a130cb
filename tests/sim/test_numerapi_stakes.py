"""numerapi against the sim: stakes, model uploads, scores and payouts."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numerapi
import pandas as pd
import pytest

from numerpilot.sim import RunningSim
from numerpilot.sim._actions import DOCKER_IMAGES
from tests.sim.helpers import live_ids, predictions

WEDNESDAY_OPEN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_stake_changes_wait_for_the_round_boundary(
    napi: numerapi.NumerAPI, sim: RunningSim
) -> None:
    model_id = napi.get_models()["demo_csv"]
    assert napi.stake_get("demo_csv") is None
    increase = napi.stake_increase(10, model_id)
    assert increase == {
        "dueDate": WEDNESDAY_OPEN,
        "requestedAmount": Decimal("10"),
        "status": "pending",
        "type": "increase",
    }
    assert napi.get_account()["availableNmr"] == Decimal("90")  # taken at once
    assert napi.stake_get("demo_csv") is None  # but not staked before the boundary
    sim.step(timedelta(hours=24))  # Wednesday 12:15: round 1191 opened
    assert napi.stake_get("demo_csv") == Decimal("10")
    assert napi.public_user_profile("demo_csv")["nmrStaked"] == Decimal("10")

    decrease = napi.stake_decrease("2.5", model_id)
    assert decrease["requestedAmount"] == Decimal("2.5") and decrease["type"] == "decrease"
    with pytest.raises(ValueError, match="Cannot decrease the stake by 8"):
        napi.stake_decrease(8, model_id)  # only 7.5 would be left to decrease
    with pytest.raises(ValueError, match="Insufficient NMR"):
        napi.stake_increase(1000, model_id)
    with pytest.raises(ValueError, match="positive"):
        napi.stake_increase(0, model_id)
    sim.step(timedelta(hours=24))
    assert napi.stake_get("demo_csv") == Decimal("7.5")
    assert napi.get_account()["availableNmr"] == Decimal("92.5")
    assert napi.stake_set(9, model_id)["requestedAmount"] == Decimal("1.5")

    drained = napi.stake_drain(model_id)
    assert drained["drain"] is True and drained["requestedAmount"] == "9"
    assert drained["dueDate"] == "2026-03-06T12:00:00Z"  # numerapi leaves these as strings
    sim.step(timedelta(hours=24))
    assert napi.stake_get("demo_csv") is None
    assert napi.get_account()["availableNmr"] == Decimal("100")
    with pytest.raises(ValueError, match="no stake"):
        napi.stake_drain(model_id)


def test_scores_and_payouts_through_numerapi(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_csv"]
    napi.stake_increase(20, model_id)
    sim.step(timedelta(hours=24))  # 1191 opens with the stake in place
    napi.upload_predictions(df=predictions(live_ids(sim, 1191), 7), model_id=model_id)
    # Scoring starts 4 days after the close, on scoring weekdays (Tue-Sat): Tuesday 13:00
    # and Wednesday 13:00 are in by Thursday.
    sim.step(timedelta(days=8))
    with pytest.warns(DeprecationWarning):
        perfs = napi.round_model_performances_v2(model_id)
    perf = perfs[0]
    assert perf["roundNumber"] == 1191 and perf["roundResolved"] is False
    assert perf["atRisk"] == Decimal("20")
    assert perf["roundOpenTime"] == WEDNESDAY_OPEN
    assert {m["displayName"]: m["multiplier"] for m in perf["payoutMultipliers"]} == {
        "v2_corr20": 0.75,
        "mmc": 2.25,
    }
    latest = {s["displayName"]: s for s in perf["submissionScores"]}
    assert set(latest) == {"v2_corr20", "mmc"} and latest["mmc"]["day"] == 2
    assert isinstance(latest["mmc"]["value"], float)
    assert isinstance(latest["mmc"]["payoutPending"], Decimal)
    assert latest["mmc"]["payoutSettled"] is None
    assert latest["mmc"]["date"].utcoffset() == timedelta(0)

    sim.step(timedelta(days=28))  # resolved
    scores = napi.submission_scores(model_id)
    assert len(scores) == 40 and {s["day"] for s in scores} == set(range(1, 21))
    assert all(s["resolved"] and s["roundNumber"] == 1191 for s in scores)
    final = napi.submission_scores(model_id, distinct_on_round=True)
    assert sorted(s["displayName"] for s in final) == ["mmc", "v2_corr20"]
    assert {s["day"] for s in final} == {20}
    assert len(napi.submission_scores(model_id, display_name="mmc")) == 20
    assert len(napi.submission_scores(model_id, day=4)) == 2
    assert napi.submission_scores(model_id, resolved=False) == []
    assert napi.submission_scores(model_id, last_n_rounds=0) == []

    with pytest.warns(DeprecationWarning):
        perf = napi.round_model_performances_v2(model_id)[0]
    assert perf["roundResolved"] is True
    settled = {s["payoutSettled"] for s in perf["submissionScores"]}
    assert len(settled) == 1
    (payout,) = settled
    assert isinstance(payout, Decimal) and abs(payout) <= Decimal("1")  # clip 5% of 20
    assert napi.stake_get("demo_csv") == Decimal(20) + payout
    payouts = napi.pending_model_payouts()
    assert payouts["actual"][0]["payoutNmr"] == payout and payouts["pending"] == []
    intra = napi.intra_round_scores(model_id)[0]["intraRoundSubmissionScores"]
    assert len(intra) == 40


def _pickle_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"a": "model"}))
    return path


def test_model_upload_choices_and_record(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    versions = napi.model_upload_data_versions()
    assert list(versions) == ["v5.3"]
    images = napi.model_upload_docker_images()
    assert (
        list(images)
        == list(DOCKER_IMAGES)
        == [
            "numerai_predict_py_3_10",
            "numerai_predict_py_3_11",
            "numerai_predict_py_3_12",
            "numerai_predict_py_3_13",
        ]
    )
    model_id = napi.get_models()["demo_upload"]
    upload_id = napi.model_upload(
        str(_pickle_file(tmp_path)),
        model_id=model_id,
        data_version="v5.3",
        docker_image="numerai_predict_py_3_12",
    )
    query = """query($id: ID) { computePickles(modelId: $id, unassigned: false) {
        id filename dataVersion dockerImage validationStatus assignedModelSlots
        triggers { roundId status } } }"""
    (record,) = napi.raw_query(query, {"id": model_id}, authorization=True)["data"][
        "computePickles"
    ]
    assert record["id"] == upload_id and record["filename"] == "model.pkl"
    assert record["dataVersion"] == "v5.3" and record["dockerImage"] == "numerai_predict_py_3_12"
    assert record["assignedModelSlots"] == ["demo_upload"]
    # The sim has no model runner here: the run for the open round waits.
    assert [t["status"] for t in record["triggers"]] == ["pending"]
    with pytest.raises(ValueError, match="needs to be one of"):
        napi.model_upload(str(_pickle_file(tmp_path)), model_id=model_id, data_version="v9")
    by_id = napi.model_upload(
        str(_pickle_file(tmp_path)),
        model_id=model_id,
        docker_image=images["numerai_predict_py_3_10"],
    )
    assert by_id != upload_id


def test_uploaded_models_run_at_every_round_open(
    sim_server: RunningSim, napi: numerapi.NumerAPI, tmp_path: Path
) -> None:
    calls: list[tuple[Path, Path, Path]] = []

    def runner(pickle_path: Path, live_path: Path, benchmark_path: Path) -> pd.DataFrame:
        calls.append((pickle_path, live_path, benchmark_path))
        live = pd.read_parquet(live_path)
        bench = pd.read_parquet(benchmark_path)
        assert bench.index.equals(live.index)
        if len(calls) == 2:
            raise __import__("numerpilot.errors").errors.CheckFailed("predict() ran out of memory")
        return bench.iloc[:, 1:].rename(columns=lambda _c: "prediction")

    sim_server.server.model_runner = runner
    model_id = napi.get_models()["demo_upload"]
    napi.model_upload(str(_pickle_file(tmp_path)), model_id=model_id)
    sim_server.server.tick()  # round 1190 is open: the model runs for it right away
    assert calls[0][0].read_bytes() == _pickle_file(tmp_path).read_bytes()
    assert calls[0][1].name == "live.parquet" and "1190" in str(calls[0][1])
    (first,) = napi.submission_ids(model_id)
    sim_server.step(timedelta(days=1))  # 1191 opens: the run fails
    sim_server.step(timedelta(days=1))  # 1192 opens: it works again
    assert len(calls) == 3
    rounds = [f["round_num"] for f in napi.get_submission_filenames(model_id=model_id)]
    assert rounds == [1190, 1192]
    query = """query($id: ID) { computePickles(modelId: $id) { triggerStatus validationStatus
        triggers { status submissionId statuses { description } } } }"""
    (record,) = napi.raw_query(query, {"id": model_id}, authorization=True)["data"][
        "computePickles"
    ]
    assert record["validationStatus"] == "validated"
    assert record["triggerStatus"] == "submission_succeeded"
    statuses = [t["status"] for t in record["triggers"]]
    assert statuses == ["submission_succeeded", "failed", "submission_succeeded"]
    assert record["triggers"][0]["submissionId"] == first["id"]
    assert record["triggers"][1]["statuses"][0]["description"] == "predict() ran out of memory"


def test_wallet_transactions_show_each_stake_move(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_csv"]
    assert napi.wallet_transactions() == []
    napi.stake_increase(10, model_id)
    (pending,) = napi.wallet_transactions()
    assert pending["status"] == "pending" and pending["type"] == "stake"
    assert pending["amount"] == Decimal("10") and pending["tournament"] == 8
    assert pending["from"] == napi.get_account()["walletAddress"]
    sim.step(timedelta(hours=24))  # applied at the next round's open
    napi.stake_decrease("2.5", model_id)
    unstake, stake = napi.wallet_transactions()  # newest first
    assert stake["status"] == "confirmed" and stake["time"] == WEDNESDAY_OPEN
    assert unstake["type"] == "unstake" and unstake["amount"] == Decimal("2.5")
    assert unstake["to"] == stake["from"] and unstake["from"] == stake["to"]
