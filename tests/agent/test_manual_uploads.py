"""Uploads by hand go through the ledger (``status`` shows them, ``run`` does not upload the
round again); a refused key is exit 3 everywhere, with no intent left pending; ``status``
judges rounds by the tournament's clock. The CLI in-process, against a local tournament."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import AcceleratedClock, SystemClock
from numerpilot.errors import ExitCode
from numerpilot.sim import (
    DEFAULT_START,
    DataConfig,
    RunningSim,
    SimConfig,
    current_round,
    run_sim,
)
from tests.agent.test_exactly_once import on_server
from tests.agent.test_worker_cli import make_project
from tests.cli_run import run
from tests.sim.helpers import live_ids, predictions


def current_number(sim: RunningSim) -> int:
    with sim.server.store.session() as s:
        r = current_round(s)
        assert r is not None
        return r.number


def predictions_file(sim: RunningSim, path: Path) -> Path:
    number = current_number(sim)
    predictions(live_ids(sim, number), seed=number).to_csv(path, index=False)
    return path


def test_a_submission_by_hand_is_in_the_ledger_and_not_repeated_by_run(
    live_sim: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = make_project(tmp_path / "project", live_sim, monkeypatch)
    csv = predictions_file(live_sim, tmp_path / "mine.csv")
    number = current_number(live_sim)
    p = ["--project", str(folder)]
    code, out, err = run([*p, "submit", "demo_csv", "--predictions", str(csv), "--dry-run"], capsys)
    assert code == ExitCode.OK, err
    assert not (folder / "numerpilot.db").exists()  # a dry run records nothing
    assert on_server(live_sim, "demo_csv", number) == []
    code, out, err = run([*p, "submit", "demo_csv", "--predictions", str(csv), "--json"], capsys)
    assert code == ExitCode.OK, err
    sent = json.loads(out)
    (stored,) = on_server(live_sim, "demo_csv", number)
    assert sent["uploaded"] and sent["submission_id"] == stored.id

    with Ledger(folder / "numerpilot.db", SystemClock()) as ledger:
        recorded = ledger.submission_for(number, "demo_csv")
    assert recorded is not None and recorded.status == "confirmed"
    assert recorded.server_id == stored.id and recorded.file_sha256 == sent["sha256"]

    code, out, err = run([*p, "status", "--json"], capsys)
    assert code == ExitCode.OK, err
    rounds = {r["number"]: r for r in json.loads(out)["rounds"]}
    assert rounds[number]["models"]["demo_csv"]["submission"] == "confirmed"

    code, out, err = run([*p, "submit", "demo_csv", "--predictions", str(csv)], capsys)
    assert code == ExitCode.REJECTED and "already" in err and len(err.splitlines()) == 1

    code, out, err = run([*p, "run", "--once", "--json"], capsys)
    assert json.loads(out)["outcomes"] == {"demo_csv": "done"}, err
    assert [s.id for s in on_server(live_sim, "demo_csv", number)] == [stored.id]


def test_a_refused_key_is_exit_3_for_submit_run_and_doctor(
    live_sim: RunningSim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = make_project(tmp_path / "project", live_sim, monkeypatch)
    wrong = "NOT" + live_sim.demo.secret_key[3:]
    monkeypatch.setenv("NUMERAI_SECRET_KEY", wrong)
    csv = predictions_file(live_sim, tmp_path / "mine.csv")
    p = ["--project", str(folder)]

    code, _, err = run([*p, "submit", "demo_csv", "--predictions", str(csv)], capsys)
    assert code == ExitCode.CREDENTIALS
    assert "session is invalid or has expired" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and wrong not in err

    code, _, err = run([*p, "run", "--once"], capsys)
    assert code == ExitCode.CREDENTIALS and "Traceback" not in err
    with Ledger(folder / "numerpilot.db", SystemClock()) as ledger:
        assert ledger.pending_submissions() == []
        assert [s.status for s in ledger.submissions()] == ["failed"]  # the submit's, closed
        assert ledger.events(kind="credentials_refused")
    notified = (folder / "notifications.log").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["kind"] for line in notified] == ["credentials_refused"]
    assert on_server(live_sim, "demo_csv", current_number(live_sim)) == []

    code, out, err = run([*p, "doctor"], capsys)
    assert code != ExitCode.OK
    assert "credentials accepted" in err.replace("\n", " ") + out
    assert "session is invalid" in " ".join((out + err).split())


def test_status_judges_rounds_by_the_tournaments_clock(
    tmp_path: Path, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The local tournament's clock is months away from this machine's: a round open by its
    clock is open in ``status``."""
    clock = AcceleratedClock(DEFAULT_START, speed=1)
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=clock,
        config=SimConfig(data=DataConfig(live_rows=200)),
        datasets_dir=demo_data_dir,
    ) as sim:
        folder = make_project(tmp_path / "project", sim, monkeypatch)
        with Ledger(folder / "numerpilot.db", clock) as ledger:
            now = clock.now()
            ledger.record_round(1190, now - timedelta(hours=1), now + timedelta(minutes=30))
        code, out, err = run(["--project", str(folder), "status", "--json"], capsys)
    assert code == ExitCode.OK, err
    (only,) = json.loads(out)["rounds"]
    assert only["number"] == 1190 and only["state"] == "open"
