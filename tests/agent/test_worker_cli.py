"""``numerpilot run``: one pass for cron (exit codes, --json), and the long-running worker
stopped cleanly by SIGTERM, against a local tournament on real time."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numerapi
import numerapi.base_api
import pytest

from numerpilot.agent._step_context import Prepared
from numerpilot.agent.ledger import Ledger
from numerpilot.agent.services import TournamentServices
from numerpilot.clock import AcceleratedClock, SystemClock
from numerpilot.config import ModelEntry, Settings
from numerpilot.credentials import Credentials
from numerpilot.errors import ExitCode, SubmissionRejected
from numerpilot.sim import DEFAULT_START, DataConfig, RunningSim, SimConfig, run_sim
from numerpilot.tournament import TournamentClient, list_submissions
from tests.cli_run import run
from tests.contract import check_document

PROJECT = """
[data]
version = "v5.3"
files = ["features.json", "train.parquet", "validation.parquet", "live.parquet",
         "live_benchmark_models.parquet"]

[train]
feature_set = "medium"
targets = ["target"]
holdout_eras = 10

[train.params]
learning_rate = 0.1
n_estimators = 20
max_depth = 3
num_leaves = 7
min_child_samples = 20
early_stopping_rounds = 0
num_threads = 1

[submit]
max_feature_exposure = 0.9

[[tournament.models]]
name = "demo_csv"
"""


def make_project(folder: Path, sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of ``PROJECT`` in ``folder`` whose environment points at ``sim``."""
    folder.mkdir()
    (folder / "numerpilot.toml").write_text(PROJECT, encoding="utf-8")
    monkeypatch.setenv("NUMERAI_PUBLIC_ID", sim.demo.public_id)
    monkeypatch.setenv("NUMERAI_SECRET_KEY", sim.demo.secret_key)
    monkeypatch.setenv("NUMERPILOT_API_URL", sim.url)
    return folder


@pytest.fixture
def project(tmp_path: Path, live_sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path / "project", live_sim, monkeypatch)


def test_run_once_trains_submits_and_then_has_nothing_left(
    project: Path,
    live_sim: RunningSim,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    code, out, err = run(["--project", str(project), "run", "--once", "--json"], capsys)
    assert code == ExitCode.OK, err
    report = json.loads(out)
    assert check_document(report) == "run_pass"
    assert report["round_open"] and report["outcomes"] == {"demo_csv": "confirmed"}
    assert report["exit_code"] == 0 and report["errors"] == []
    code, out, _ = run(["--project", str(project), "run", "--once", "--json"], capsys)
    assert code == ExitCode.OK and json.loads(out)["outcomes"] == {"demo_csv": "done"}
    with Ledger(project / "numerpilot.db", SystemClock()) as ledger:
        (sub,) = ledger.submissions()
        assert sub.status == "confirmed" and sub.model_version is not None
        promoted = ledger.promoted_model_version()
        assert promoted is not None and promoted.name == sub.model_version
        beat = ledger.last_heartbeat()
        assert beat is not None and beat.state == "once" and beat.beats == 2
    # The server holds the very file the intent hashed: checked once, uploaded as checked.
    monkeypatch.setattr(numerapi.base_api, "API_TOURNAMENT_URL", live_sim.url)
    api = numerapi.NumerAPI(live_sim.demo.public_id, live_sim.demo.secret_key)
    copy = api.download_submission(submission_id=sub.server_id, dest_path=str(tmp_path / "s"))
    assert hashlib.sha256(Path(copy).read_bytes()).hexdigest() == sub.file_sha256


def test_run_without_credentials_says_what_to_do(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NUMERAI_SECRET_KEY")
    monkeypatch.delenv("NUMERAI_PUBLIC_ID")
    code, _, err = run(["--project", str(project), "run", "--once"], capsys)
    assert code == ExitCode.CREDENTIALS and "NUMERAI_PUBLIC_ID" in err
    assert not (project / "numerpilot.db").exists()


@pytest.mark.slow
def test_sigterm_stops_the_worker_between_steps(project: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen(
        [sys.executable, "-m", "numerpilot", "--project", str(project), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
    )
    assert worker.stderr is not None
    try:
        first = worker.stderr.readline()  # blocks until the worker announces itself
        assert "numerpilot is running for demo_csv" in first
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:  # never leave a worker behind, whatever failed
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, rest
    assert "stopping after the current step" in rest and "stopped after" in rest
    with Ledger(project / "numerpilot.db", SystemClock()) as ledger:
        beat = ledger.last_heartbeat()
        assert beat is not None and beat.state == "stopped"


def test_run_once_judges_the_round_by_a_simulated_tournament_clock(
    tmp_path: Path, demo_data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """``sim serve --start 2026-03-03T12:15 --speed 1`` in another process: its round 1190 is
    open on its clock (12:00-13:00 in March), whatever the wall clock says."""
    config = SimConfig(data=DataConfig(live_rows=200))
    clock = AcceleratedClock(DEFAULT_START, speed=1)
    with run_sim(
        tmp_path / "sim" / "sim.db", clock=clock, config=config, datasets_dir=demo_data_dir
    ) as sim:
        folder = make_project(tmp_path / "project", sim, monkeypatch)
        code, out, err = run(["--project", str(folder), "run", "--once", "--json"], capsys)
    assert code == ExitCode.OK, err
    report = json.loads(out)
    assert report["round_open"] and report["round"] == 1190
    assert report["outcomes"] == {"demo_csv": "confirmed"}


def test_a_checked_file_changed_before_its_upload_is_not_uploaded(
    live_sim: RunningSim, tmp_path: Path
) -> None:
    csv = tmp_path / "demo_csv-round1.csv"
    csv.write_text("id,prediction\nn1,0.5\n")
    prepared = Prepared(csv, hashlib.sha256(b"what was checked").hexdigest(), None)
    keys = Credentials(live_sim.demo.public_id, live_sim.demo.secret_key, source="test")
    with TournamentClient(api_url=live_sim.url, credentials=keys, retries=0) as client:
        services = TournamentServices(Settings(project_dir=tmp_path), client, client.clock)
        rnd = client.current_round()
        assert rnd is not None
        with pytest.raises(SubmissionRejected, match="file_changed"):
            services.upload(ModelEntry(name="demo_csv"), prepared, rnd)
        assert list_submissions(client, services.model_id("demo_csv")) == []
