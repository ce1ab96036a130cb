"""numerapi against the sim: accounts, auth, isolation, submissions, webhooks."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numerapi
import pandas as pd
import pytest

from numerpilot.sim import RunningSim
from numerpilot.sim._accounts import INVALID_TOKEN, NOT_AUTHENTICATED
from tests.sim.helpers import live_ids, predictions


def test_account_and_models(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    account = napi.get_account()
    assert account["username"] == "demo"
    assert account["availableNmr"] == Decimal("100")
    assert account["insertedAt"].utcoffset() == timedelta(0)
    assert [m["name"] for m in account["models"]] == ["demo_csv", "demo_upload"]
    assert all(m["submissions"] == [] for m in account["models"])
    assert account["apiTokens"][0]["public_id"] == sim.demo.public_id
    models = napi.get_models()
    assert set(models) == {"demo_csv", "demo_upload"}
    assert all(uuid.UUID(v) for v in models.values())
    assert napi.get_models(tournament=11) == {}


def test_wrong_or_missing_keys_are_refused(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    wrong = numerapi.NumerAPI(sim.demo.public_id, "X" * 64)
    with pytest.raises(ValueError, match="Your session is invalid or has expired"):
        wrong.get_account()
    unknown = numerapi.NumerAPI("NOSUCHPUBLICID", sim.demo.secret_key)
    with pytest.raises(ValueError) as e:
        unknown.get_models()
    assert str(e.value) == INVALID_TOKEN
    with pytest.raises(ValueError) as e:
        napi.raw_query("query { account { username } }")  # no Authorization header
    assert str(e.value) == NOT_AUTHENTICATED
    # Public queries need no key.
    assert numerapi.NumerAPI().get_current_round() == 1190


def test_one_account_cannot_see_or_write_anothers_models(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    other_keys = sim.server.add_account("rival", ("rival_model",))
    other = numerapi.NumerAPI(other_keys.public_id, other_keys.secret_key)
    demo_models = napi.get_models()
    assert set(other.get_models()) == {"rival_model"}
    df = predictions(live_ids(sim, 1190), seed=1)
    sub_id = napi.upload_predictions(df=df, model_id=demo_models["demo_csv"])
    for call in (
        lambda: other.upload_predictions(df=df, model_id=demo_models["demo_csv"]),
        lambda: other.submission_ids(demo_models["demo_csv"]),
        lambda: other.stake_increase(1, demo_models["demo_csv"]),
        lambda: other.set_submission_webhook(demo_models["demo_csv"], "http://127.0.0.1/x"),
        lambda: other.modelid_to_modelname(demo_models["demo_csv"]),
    ):
        with pytest.raises(ValueError, match="not found"):
            call()
    with pytest.raises(ValueError, match="not found"):
        other.download_submission(submission_id=sub_id, dest_path=str(tmp_path / "x.csv"))
    # The rival's own upload works, and the demo account still sees only its own.
    own = other.upload_predictions(df=df, model_id=other.get_models()["rival_model"])
    assert [s["id"] for s in napi.submission_ids(demo_models["demo_csv"])] == [sub_id]
    assert own != sub_id
    assert sim.server.balance("demo") == Decimal(100)


def test_upload_list_and_download_predictions(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    model_id = napi.get_models()["demo_csv"]
    first = predictions(live_ids(sim, 1190), seed=2)
    path = tmp_path / "predictions.csv"
    first.to_csv(path, index=False)
    first_id = napi.upload_predictions(str(path), model_id=model_id)
    sim.step(timedelta(minutes=1))  # numerapi picks the latest by insertedAt
    second = predictions(live_ids(sim, 1190), seed=3)
    second_id = napi.upload_predictions(df=second, model_id=model_id)
    listed = napi.submission_ids(model_id)
    assert [s["id"] for s in listed] == [first_id, second_id]
    assert listed[0]["filename"] == "predictions.csv"
    assert listed[0]["insertedAt"].endswith("Z")  # numerapi leaves this one a string

    latest = napi.download_submission(model_id=model_id, dest_path=str(tmp_path / "latest.csv"))
    assert Path(latest).read_bytes() == second.to_csv(index=False).encode()
    older = napi.download_submission(submission_id=first_id, dest_path=str(tmp_path / "old.csv"))
    assert Path(older).read_bytes() == path.read_bytes()

    # The account view shows both, and the round of each.
    account_models = {m["name"]: m for m in napi.get_account()["models"]}
    assert [s["id"] for s in account_models["demo_csv"]["submissions"]] == [first_id, second_id]
    filenames = napi.get_submission_filenames(model_id=model_id)
    assert filenames == [{"round_num": 1190, "tournament": 8, "filename": "predictions.csv"}]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.iloc[5:], "missing 5 of the round's 200 live ids"),
        (lambda df: pd.concat([df, df.iloc[:2]]), "2 duplicate ids"),
        (lambda df: df.assign(prediction=df.prediction.where(df.index != 3)), "NaN"),
        (lambda df: df.assign(prediction=df.prediction * 2), "between 0 and 1"),
        (lambda df: df.assign(prediction=0.5), "constant"),
        (lambda df: df.rename(columns={"prediction": "pred"}), "header"),
        (lambda df: df.assign(id=df.id.where(df.index != 0, "n000000000000000")), "not in this"),
    ],
)
def test_invalid_predictions_are_rejected(
    napi: numerapi.NumerAPI, sim: RunningSim, change: object, message: str
) -> None:
    model_id = napi.get_models()["demo_csv"]
    bad = change(predictions(live_ids(sim, 1190), seed=4))  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        napi.upload_predictions(df=bad, model_id=model_id)
    assert napi.submission_ids(model_id) == []


def test_late_and_closed_submissions(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_upload"]
    sim.step(timedelta(hours=1))  # 13:15: staking closed, late submissions still count
    late = napi.upload_predictions(df=predictions(live_ids(sim, 1190), 5), model_id=model_id)
    round_info = napi.get_submission_filenames(model_id=model_id)
    assert round_info[0]["round_num"] == 1190
    assert late
    sim.step(timedelta(hours=22))  # Wednesday 11:15: 1190 closed, 1191 not open yet
    with pytest.raises(ValueError, match="Current round not open for submissions"):
        napi.upload_predictions(df=predictions(live_ids(sim, 1190), 6), model_id=model_id)


def test_submission_webhook(napi: numerapi.NumerAPI) -> None:
    model_id = napi.get_models()["demo_csv"]
    assert napi.set_submission_webhook(model_id, "http://127.0.0.1:9/hook") is True
    query = "query($id: String) { model(modelId: $id) { name submissionWebhook } }"
    model = napi.raw_query(query, {"id": model_id}, authorization=True)["data"]["model"]
    assert model == {"name": "demo_csv", "submissionWebhook": "http://127.0.0.1:9/hook"}
    assert napi.set_submission_webhook(model_id, None) is True
    model = napi.raw_query(query, {"id": model_id}, authorization=True)["data"]["model"]
    assert model["submissionWebhook"] is None
    with pytest.raises(ValueError, match="http"):
        napi.set_submission_webhook(model_id, "ftp://nope")


def test_upload_and_fetch_diagnostics(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    from numerai_tools.scoring import numerai_corr

    folder = sim.server.datasets_dir / "v5.3"
    example = pd.read_parquet(folder / "validation_example_preds.parquet")
    df = pd.DataFrame({"id": example.index, "prediction": example["prediction"].to_numpy()})
    model_id = napi.get_models()["demo_csv"]
    diag_id = napi.upload_diagnostics(df=df, model_id=model_id)
    results = napi.diagnostics(model_id, diag_id)
    assert isinstance(results, list) and len(results) == 1  # Numerai answers a list
    diag = results[0]
    assert diag["status"] == "done" and diag["updatedAt"] == "2026-03-03T12:15:00Z"

    validation = pd.read_parquet(folder / "validation.parquet", columns=["era", "target"])
    validation = validation[validation["target"].notna()].astype({"target": "float64"})
    sent = pd.read_csv(io.StringIO(df.to_csv(index=False)), index_col="id")  # as uploaded
    joined = validation.join(sent)
    per_era = joined.groupby("era").apply(
        lambda g: numerai_corr(g[["prediction"]], g["target"])["prediction"], include_groups=False
    )
    assert diag["erasAcceptedCount"] == len(per_era) == 56
    assert diag["validationCorrMean"] == pytest.approx(per_era.mean(), abs=1e-12)
    assert diag["validationCorrStd"] == pytest.approx(per_era.std(ddof=0), abs=1e-12)
    eras = {e["era"]: e for e in diag["perEraDiagnostics"]}
    assert eras["0121"]["validationCorr"] == pytest.approx(per_era["0121"], abs=1e-12)
    assert diag["examplePredsCorrMean"] == pytest.approx(1.0)
    assert isinstance(diag["validationMmcMean"], float)

    bad = io.StringIO("id,prediction\nnope,0.5\n")
    bad_df = pd.read_csv(bad)
    bad_id = napi.upload_diagnostics(df=bad_df, model_id=model_id)
    failed = napi.diagnostics(model_id, bad_id)[0]
    assert failed["status"] == "failed" and "No validation ids" in failed["message"]
    assert [d["status"] for d in napi.diagnostics(model_id)] == ["done", "failed"]
