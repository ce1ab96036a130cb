"""Killing the server mid-round loses nothing: accounts, submissions, stakes, uploads, scores."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numerapi
import numerapi.base_api
import pandas as pd
import pytest
from sqlalchemy import select

from numerpilot.clock import SteppedClock
from numerpilot.errors import ConfigError
from numerpilot.sim import DEFAULT_START, DataConfig, Payout, Score, SimConfig, SimServer, run_sim
from tests.sim.helpers import predictions

START_TIMEOUT = 120.0  # real seconds for a cold interpreter to import and bind


@contextmanager
def serve_subprocess(
    state: Path, datasets: Path, *, start: bool = True
) -> Iterator[tuple[subprocess.Popen[str], dict]]:
    """``numerpilot sim serve --json`` in a child process; yields it and its JSON line. A
    restart (``start=False``) resumes at the time the state file saved."""
    command = [
        sys.executable,
        "-m",
        "numerpilot",
        "sim",
        "serve",
        "--state",
        str(state),
        "--datasets",
        str(datasets),
        *(["--start", "2026-03-03T12:15:00"] if start else []),
        "--speed",
        "1",
        "--no-run-models",
        "--json",
    ]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=START_TIMEOUT):
            raise AssertionError("sim serve printed nothing")
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_kill_9_mid_round_and_restart(
    tmp_path: Path, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "sim.db"
    with serve_subprocess(state, demo_data_dir) as (proc, info):
        assert {"url", "public_id", "secret_key", "models"} <= set(info)
        assert info["kind"] == "sim_serve" and info["open_round"] == 1190
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["models"] == ["demo_csv", "demo_upload"]
        monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", info["url"])
        api = numerapi.NumerAPI(info["public_id"], info["secret_key"], show_progress_bars=False)
        models = api.get_models()
        assert api.get_current_round() == 1190
        live = tmp_path / "live.parquet"
        api.download_dataset("v5.3/live.parquet", str(live))
        frame = predictions(pd.read_parquet(live).index, seed=9)
        submission_id = api.upload_predictions(df=frame, model_id=models["demo_csv"])
        api.stake_increase(12, models["demo_csv"])
        pickle_path = tmp_path / "model.pkl"
        pickle_path.write_bytes(b"\x80\x04N.")
        upload_id = api.model_upload(str(pickle_path), model_id=models["demo_upload"])
        api.set_submission_webhook(models["demo_upload"], "http://127.0.0.1:9/hook")
        os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
        assert proc.wait(timeout=30) == -signal.SIGKILL

    with serve_subprocess(state, demo_data_dir, start=False) as (proc, again):
        assert {k: again[k] for k in ("public_id", "secret_key")} == {
            k: info[k] for k in ("public_id", "secret_key")
        }
        monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", again["url"])
        api = numerapi.NumerAPI(again["public_id"], again["secret_key"], show_progress_bars=False)
        assert api.get_models() == models
        assert api.get_current_round() == 1190
        assert [s["id"] for s in api.submission_ids(models["demo_csv"])] == [submission_id]
        back = api.download_submission(submission_id=submission_id, dest_path=str(tmp_path / "b"))
        assert Path(back).read_bytes() == frame.to_csv(index=False).encode()
        account = api.get_account()
        assert account["availableNmr"] == Decimal(88)
        demo_csv = next(m for m in account["models"] if m["name"] == "demo_csv")
        assert demo_csv["submissions"][0]["id"] == submission_id
        query = """query($id: String) { model(modelId: $id) { submissionWebhook
            v2Stake { pendingV2ChangeStakeRequest { requestedAmount type status } }
            computePickleUpload { id filename } } }"""
        upload = api.raw_query(query, {"id": models["demo_upload"]}, authorization=True)
        assert upload["data"]["model"]["computePickleUpload"] == {
            "id": upload_id,
            "filename": "model.pkl",
        }
        assert upload["data"]["model"]["submissionWebhook"] == "http://127.0.0.1:9/hook"
        csv = api.raw_query(query, {"id": models["demo_csv"]}, authorization=True)
        assert csv["data"]["model"]["v2Stake"]["pendingV2ChangeStakeRequest"] == {
            "requestedAmount": "12",
            "type": "increase",
            "status": "pending",
        }
        # The same round's live data, and the upload is the same file.
        again_live = tmp_path / "live_again.parquet"
        api.download_dataset("v5.3/live.parquet", str(again_live))
        assert again_live.read_bytes() == live.read_bytes()
        proc.send_signal(signal.SIGTERM)  # a polite stop ends the server cleanly
        assert proc.wait(timeout=60) == 0


def test_scores_payouts_and_stakes_survive_a_reopen(
    tmp_path: Path, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server abandoned without closing (as after a crash) reopens with every score."""
    state = tmp_path / "sim.db"
    config = SimConfig(data=DataConfig(live_rows=200))
    clock = SteppedClock(DEFAULT_START)
    with run_sim(state, clock=clock, config=config, datasets_dir=demo_data_dir) as sim:
        monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", sim.url)
        api = numerapi.NumerAPI(sim.demo.public_id, sim.demo.secret_key, show_progress_bars=False)
        model_id = api.get_models()["demo_csv"]
        api.stake_increase(10, model_id)
        sim.step(timedelta(days=1))
        live = sim.server.live.live_ids(1191)
        api.upload_predictions(df=predictions(live, 1), model_id=model_id)
        sim.step(timedelta(days=34))  # round 1191 resolved, later rounds mid-way
        before_scores = api.submission_scores(model_id)
        before_stake = api.stake_get("demo_csv")
    with sim.server.store.session() as s:
        counted = (len(list(s.scalars(select(Score)))), len(list(s.scalars(select(Payout)))))
    assert counted == (40, 1)

    reopened = SimServer(state, clock=clock, config=config, datasets_dir=demo_data_dir)
    try:
        with reopened.store.session() as s:
            scores = {
                (sc.submission_id, sc.day, sc.display_name): sc.value
                for sc in s.scalars(select(Score))
            }
            (payout,) = s.scalars(select(Payout))
        assert len(scores) == 40 and reopened.advance() == 0  # nothing left to redo
        assert before_stake == Decimal(10) + payout.amount
        assert {
            (b["submissionId"], b["day"], b["displayName"]): b["value"] for b in before_scores
        } == scores
    finally:
        reopened.close()
    other_world = SimConfig(data=DataConfig(live_rows=200, seed=1))
    with pytest.raises(ConfigError, match="other data settings"):
        SimServer(state, clock=clock, config=other_world, datasets_dir=demo_data_dir)


def test_a_ticking_sim_moves_on_by_itself(
    tmp_path: Path, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a background ticker, rounds open without any request: two days on the sim's clock,
    and the ticker's next pass (no request in between) has opened round 1192."""
    clock = SteppedClock(DEFAULT_START)
    config = SimConfig(data=DataConfig(live_rows=50))
    with run_sim(
        tmp_path / "sim.db",
        clock=clock,
        config=config,
        datasets_dir=demo_data_dir,
        tick_seconds=0.05,
    ) as sim:
        done = threading.Condition()
        ticks = 0
        real_tick = sim.server.tick

        def counted_tick() -> None:
            nonlocal ticks
            real_tick()
            with done:
                ticks += 1
                done.notify_all()

        monkeypatch.setattr(sim.server, "tick", counted_tick)
        assert not sim.server.live.exists(1192)
        with done:
            stepped_at = ticks
        clock.advance(timedelta(days=2))
        with done:  # a pass under way at the step may have read the clock before it: wait two
            assert done.wait_for(lambda: ticks >= stepped_at + 2, timeout=60)
        assert sim.server.live.exists(1192)
