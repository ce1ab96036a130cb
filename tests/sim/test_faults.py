"""Fault injection: loading, deterministic decisions, and each fault as a client sees it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numerapi
import numerapi.base_api
import pytest
import requests

from numerpilot.clock import SteppedClock
from numerpilot.errors import ConfigError
from numerpilot.sim import (
    DEFAULT_START,
    DataConfig,
    EndpointFaults,
    FaultConfig,
    Faults,
    RunningSim,
    SimConfig,
    load_faults,
    run_sim,
)
from numerpilot.sim import _httpfaults as httpfaults
from numerpilot.sim import _server as sim_server_module
from tests.sim.helpers import live_ids, predictions

ROUNDS_QUERY = {"query": "query { rounds(tournament: 8, number: 0) { number } }"}


def test_load_faults_from_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "faults.toml"
    toml.write_text(
        "seed = 7\n[endpoints.create_submission]\nerror_rate = 0.5\ndrop_rate = 1.0\n"
        "[endpoints.download]\ntruncate_rate = 1.0\n[late_rounds]\n1191 = 3600\n"
    )
    config = load_faults(toml)
    assert config.seed == 7 and config.late_rounds == {1191: 3600.0}
    assert config.endpoints["create_submission"] == EndpointFaults(error_rate=0.5, drop_rate=1.0)
    as_json = tmp_path / "faults.json"
    as_json.write_text(json.dumps(config.model_dump()))
    assert load_faults(as_json) == config
    bad = tmp_path / "bad.toml"
    bad.write_text("[endpoints.rounds]\nerror_rate = 2\n")
    with pytest.raises(ConfigError, match=r"bad.toml: endpoints.rounds.error_rate"):
        load_faults(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[endpoints\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid"):
        load_faults(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_faults(tmp_path / "missing.toml")


def test_decisions_are_seeded_and_keyed_by_endpoint() -> None:
    config = FaultConfig(
        seed=3,
        endpoints={
            "rounds": EndpointFaults(error_rate=0.5),
            "graphql": EndpointFaults(latency_seconds=0.1),
            "*": EndpointFaults(hang_rate=1.0),
        },
    )
    a, b = Faults(config), Faults(config)
    run_a = [a.decide("rounds").error_status for _ in range(40)]
    run_b = [b.decide("rounds").error_status for _ in range(40)]
    assert run_a == run_b  # the same seed replays the same faults
    assert set(run_a) == {503, None}
    other = Faults(config.model_copy(update={"seed": 4}))
    assert [other.decide("rounds").error_status for _ in range(40)] != run_a
    assert a.decide("account").latency == 0.1  # GraphQL fields fall back to "graphql"
    assert a.decide("download").hang_seconds == 0.5  # paths fall back to "*" only
    assert Faults().decide("rounds") == Faults().decide("download")
    assert not Faults().enabled and Faults(config).enabled


def _swap(sim: RunningSim, **endpoints: EndpointFaults) -> None:
    sim.server.faults = Faults(FaultConfig(endpoints=endpoints))


def test_errors_hangs_and_latency(sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []  # what the sim held each answer for, without waiting for it
    real_sleep = asyncio.sleep

    async def held(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(httpfaults, "asyncio", SimpleNamespace(sleep=held))
    _swap(sim, rounds=EndpointFaults(error_rate=1.0, error_status=502))
    assert requests.post(sim.url, json=ROUNDS_QUERY, timeout=30).status_code == 502
    assert waits == []
    _swap(sim, rounds=EndpointFaults(hang_rate=1.0, hang_seconds=0.3))
    answer = requests.post(sim.url, json=ROUNDS_QUERY, timeout=30)
    assert answer.status_code == 504 and waits == [0.3]
    _swap(sim, rounds=EndpointFaults(latency_seconds=0.2))
    answer = requests.post(sim.url, json=ROUNDS_QUERY, timeout=30)
    assert answer.json() == {"data": {"rounds": [{"number": 1190}]}}
    assert waits == [0.3, 0.2]
    _swap(sim)
    assert requests.post(sim.url, json=ROUNDS_QUERY, timeout=30).ok
    assert waits == [0.3, 0.2]


def test_truncated_download_resumes(
    napi: numerapi.NumerAPI, sim: RunningSim, tmp_path: Path
) -> None:
    # 60 % of the 2.5 MB file: past numerapi's first 1 MiB chunk, which it writes to .temp.
    _swap(sim, download=EndpointFaults(truncate_rate=1.0, truncate_fraction=0.6))
    dest = tmp_path / "train.parquet"
    with pytest.raises(requests.exceptions.RequestException):
        napi.download_dataset("v5.3/train.parquet", str(dest))
    whole = (sim.server.datasets_dir / "v5.3" / "train.parquet").read_bytes()
    partial = Path(str(dest) + ".temp")
    assert 0 < partial.stat().st_size < len(whole) and not dest.exists()
    _swap(sim)
    napi.download_dataset("v5.3/train.parquet", str(dest))  # resumes with a Range request
    assert dest.read_bytes() == whole


def test_dropped_uploads(napi: numerapi.NumerAPI, sim: RunningSim) -> None:
    model_id = napi.get_models()["demo_csv"]
    df = predictions(live_ids(sim, 1190), 1)
    _swap(sim, create_submission=EndpointFaults(drop_rate=1.0))
    phantom = napi.upload_predictions(df=df, model_id=model_id)  # looks accepted
    assert phantom and napi.submission_ids(model_id) == []
    _swap(sim, upload=EndpointFaults(drop_rate=1.0))  # the PUT says 200, stores nothing
    with pytest.raises(ValueError, match="was not uploaded"):
        napi.upload_predictions(df=df, model_id=model_id)
    _swap(sim)
    real = napi.upload_predictions(df=df, model_id=model_id)
    assert [s["id"] for s in napi.submission_ids(model_id)] == [real]


class _Gate:
    """Stands in for the sim's real-time hold of a slow answer: records how long it was asked
    to hold, and holds until the test opens it."""

    def __init__(self) -> None:
        self.held: list[float] = []
        self.reached, self.opened = threading.Event(), threading.Event()

    def wait(self, seconds: float) -> bool:
        self.held.append(seconds)
        self.reached.set()
        return self.opened.wait(timeout=60)  # a bound, should the test fail before opening


class _WatchedLock:
    """The sim's lock, saying when a request had to wait for it."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.contended = inner, threading.Event()

    def __enter__(self) -> _WatchedLock:
        if not self.inner.acquire(blocking=False):
            self.contended.set()
            self.inner.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.release()


def test_a_slow_request_is_applied_though_its_client_gave_up(
    napi: numerapi.NumerAPI, sim: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client with a timeout gives up on a mutation the server still carries out, and
    what it asks next is answered once the slow one is done."""
    model_id = napi.get_models()["demo_csv"]
    before = napi.get_account()["availableNmr"]
    gate, lock = _Gate(), _WatchedLock(sim.server.lock)
    monkeypatch.setattr(sim_server_module, "threading", SimpleNamespace(Event=lambda: gate))
    monkeypatch.setattr(sim.server, "lock", lock)
    _swap(sim, v2ChangeStake=EndpointFaults(slow_rate=1.0, slow_seconds=0.8))
    headers = {"Authorization": f"Token {sim.demo.public_id}${sim.demo.secret_key}"}
    body = {
        "query": "mutation($v: String!, $m: String) { v2ChangeStake(value: $v type: "
        '"increase" modelId: $m tournamentNumber: 8) { status } }',
        "variables": {"v": "3", "m": model_id},
    }
    asked: dict[str, Decimal] = {}
    nextq = threading.Thread(
        target=lambda: asked.update(nmr=napi.get_account()["availableNmr"]), daemon=True
    )
    try:
        # The one real wait left: the client's own timeout, which is real time by nature.
        with pytest.raises(requests.Timeout):
            requests.post(sim.url, json=body, headers=headers, timeout=0.3)
        assert gate.reached.wait(timeout=60) and gate.held == [0.8]
        nextq.start()
        assert lock.contended.wait(timeout=60)  # the next question waits behind it
        assert asked == {}
    finally:
        gate.opened.set()
    nextq.join(timeout=60)
    assert asked == {"nmr": before - 3}  # applied all the same
    _swap(sim)


@pytest.fixture
def late_sim(tmp_path: Path, demo_data_dir: Path) -> Iterator[RunningSim]:
    faults = FaultConfig(late_rounds={1191: 3600.0})
    with run_sim(
        tmp_path / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=SimConfig(data=DataConfig(live_rows=50)),
        faults=faults,
        datasets_dir=demo_data_dir,
    ) as sim:
        yield sim


def test_a_round_opening_late(late_sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", late_sim.url)
    api = numerapi.NumerAPI()
    late_sim.step(timedelta(hours=24, minutes=15))  # Wednesday 12:30: 1191 is not open yet
    assert api.get_current_round() == 1190
    late_sim.step(timedelta(minutes=35))  # 13:05
    (r,) = api.list_rounds(number=1191)
    assert r["openTime"] == datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    assert r["closeStakingTime"] == datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    assert api.get_current_round() == 1191
    late_sim.step(timedelta(days=1))  # 1192 keeps its own schedule
    assert api.list_rounds(number=1192)[0]["openTime"] == datetime(2026, 3, 5, 12, tzinfo=UTC)
