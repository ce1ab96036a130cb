"""The plain HTTP side: dataset files (HEAD, Range), presigned PUTs, submission downloads."""

from __future__ import annotations

from datetime import timedelta

import numerapi
import pytest
import requests

from numerpilot.sim import RunningSim
from tests.sim.helpers import live_ids, predictions

AUTH_QUERY = """query($filename: String!, $modelId: String) {
    submission_upload_auth(filename: $filename, tournament: 8, modelId: $modelId) {
        filename url } }"""
CREATE = """mutation($filename: String!, $modelId: String) {
    create_submission(filename: $filename, tournament: 8, modelId: $modelId) { id } }"""


def _dataset_url(napi: numerapi.NumerAPI, filename: str) -> str:
    query = "query($f: String!) { dataset(filename: $f) }"
    url = napi.raw_query(query, {"f": filename})["data"]["dataset"]
    assert isinstance(url, str) and url.startswith("http://127.0.0.1:")
    return url


def test_head_and_range_requests(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    url = _dataset_url(napi, "v5.3/validation.parquet")
    whole = (sim.server.datasets_dir / "v5.3" / "validation.parquet").read_bytes()
    head = requests.head(url, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(whole)
    assert head.headers["accept-ranges"] == "bytes"
    part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    tail = requests.get(url, headers={"Range": f"bytes={len(whole) - 10}-"}, timeout=30)
    assert tail.status_code == 206 and tail.content == whole[-10:]


def test_only_served_files_are_reachable(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    base = sim.url
    for path in (
        "/data/v5.3/oracle/live.parquet",
        "/data/v5.3/../../sim.db",
        "/data/rounds/1190/hidden.parquet",
        "/data/rounds/1190/v5.3/hidden.parquet",
        "/data/v5.2/train.parquet",
    ):
        assert requests.get(base + path, timeout=30).status_code == 404, path
    assert requests.get(base + "/data/rounds/1190/v5.3/live.parquet", timeout=30).ok
    assert requests.get(base + "/", timeout=30).text.startswith("numerpilot local tournament")
    bad = requests.post(base + "/", data=b"{nope", timeout=30)
    assert bad.status_code == 400 and "JSON" in bad.json()["errors"][0]["message"]


def test_upload_urls_are_single_use_and_expire(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_csv"]
    body = predictions(live_ids(sim, 1190), 1).to_csv(index=False).encode()
    auth = napi.raw_query(AUTH_QUERY, {"filename": "p.csv", "modelId": model_id}, True)
    target = auth["data"]["submission_upload_auth"]
    assert target["filename"].endswith("/p.csv")
    assert requests.put(target["url"], data=body, timeout=30).status_code == 200
    again = requests.put(target["url"], data=body, timeout=30)
    assert again.status_code == 403 and "already used" in again.text
    created = napi.raw_query(CREATE, {"filename": target["filename"], "modelId": model_id}, True)
    assert created["data"]["create_submission"]["id"]
    with pytest.raises(ValueError, match="already used"):
        napi.raw_query(CREATE, {"filename": target["filename"], "modelId": model_id}, True)

    late = napi.raw_query(AUTH_QUERY, {"filename": "q.csv", "modelId": model_id}, True)
    late_target = late["data"]["submission_upload_auth"]
    sim.step(timedelta(hours=6, seconds=1))  # the URL lives 6 hours of sim time
    expired = requests.put(late_target["url"], data=body, timeout=30)
    assert expired.status_code == 403 and "expired" in expired.text
    with pytest.raises(ValueError, match="was not uploaded"):
        napi.raw_query(CREATE, {"filename": late_target["filename"], "modelId": model_id}, True)
    assert requests.put(sim.url + "/uploads/forged", data=body, timeout=30).status_code == 403


def test_an_upload_is_bound_to_its_account_and_model(
    napi: numerapi.NumerAPI, sim: RunningSim
) -> None:
    models = napi.get_models()
    body = predictions(live_ids(sim, 1190), 2).to_csv(index=False).encode()
    auth = napi.raw_query(AUTH_QUERY, {"filename": "p.csv", "modelId": models["demo_csv"]}, True)
    target = auth["data"]["submission_upload_auth"]
    requests.put(target["url"], data=body, timeout=30)
    with pytest.raises(ValueError, match="another model"):
        napi.raw_query(
            CREATE, {"filename": target["filename"], "modelId": models["demo_upload"]}, True
        )
    keys = sim.server.add_account("rival", ("rival_model",))
    rival = numerapi.NumerAPI(keys.public_id, keys.secret_key)
    rival_model = rival.get_models()["rival_model"]
    with pytest.raises(ValueError, match="not found"):
        rival.raw_query(CREATE, {"filename": target["filename"], "modelId": rival_model}, True)


def test_submission_download_needs_the_signed_url(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_csv"]
    sub_id = napi.upload_predictions(df=predictions(live_ids(sim, 1190), 3), model_id=model_id)
    query = "query($id: String) { submissionDownloadAuth(id: $id) { filename url } }"
    url = napi.raw_query(query, {"id": sub_id}, True)["data"]["submissionDownloadAuth"]["url"]
    assert requests.get(url, timeout=30).ok
    forged = url.split("?")[0] + "?signature=" + "0" * 64
    assert requests.get(forged, timeout=30).status_code == 403
