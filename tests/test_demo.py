"""``numerpilot demo``: the README's first command, run as a user runs it (shortened to two
simulated days), offline, with no credentials anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from numerpilot.config import CONFIG_FILE
from numerpilot.demo import MARKER, prepare_folder
from numerpilot.errors import ConfigError, ExitCode
from tests.cli_run import run
from tests.contract import check_document


@pytest.mark.slow
def test_demo_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runtime_cache_dir: Path
) -> None:
    project = tmp_path / "demo-project"
    code, out, err = run(["--project", str(project), "demo", "--days", "2", "--json"], capsys)
    assert code == ExitCode.OK, err
    result = json.loads(out)
    assert check_document(result) == "demo"
    # From Tuesday 12:05 to Thursday 12:05: three rounds, both models in each, none missed.
    assert result["rounds"] == 3 and result["confirmed_submissions"] == 6
    models = {m["model"]: m for m in result["status"]["models"]}
    assert set(models) == {"demo_csv", "demo_upload"}
    assert all(m["confirmed"] == 3 and m["missed"] == 0 for m in models.values())
    assert result["validation_corr"] is not None
    for key in ("validation_report", "dashboard", "ledger"):
        assert Path(result[key]).is_file(), key
    # The one notification is the experiment's winner becoming demo_csv's model (every
    # promotion is notified); heartbeats are not notifications.
    notified = Path(result["notifications"]).read_text(encoding="utf-8").splitlines()
    assert len(notified) == 1 and "research_promoted" in notified[0]
    # Two configurations of one experiment: the winner and the runner-up, one per model.
    experiment = result["experiment"]
    assert experiment["trials"] >= 4 and experiment["winner"] != experiment["runner_up"]
    assert "<svg" in Path(result["validation_report"]).read_text(encoding="utf-8")
    assert set(result["phases"]) >= {"data, training, validation", "simulated month"}
    # Progress went to stderr, step by step.
    for step in ("starting the local tournament", "training", "pre-flighting", "autopilot"):
        assert step in err


def test_demo_never_overwrites_a_real_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / CONFIG_FILE).write_text("[train]\nfeature_set = 'small'\n", encoding="utf-8")
    code, _, err = run(["--project", str(tmp_path), "demo"], capsys)
    assert code == ExitCode.CONFIG and "empty folder" in err
    assert (tmp_path / CONFIG_FILE).read_text(encoding="utf-8").startswith("[train]")


def test_a_previous_demo_is_cleared_but_its_data_kept(tmp_path: Path) -> None:
    prepare_folder(tmp_path)
    for name in ("sim/sim.db", "models/m/manifest.json", "numerpilot.db", "data/v5.3/x.parquet"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    prepare_folder(tmp_path)
    assert not (tmp_path / "sim").exists() and not (tmp_path / "models").exists()
    assert not (tmp_path / "numerpilot.db").exists()
    assert (tmp_path / "data/v5.3/x.parquet").exists()  # downloads are reused
    assert (tmp_path / CONFIG_FILE).read_text(encoding="utf-8").startswith(MARKER)


def test_a_folder_with_data_of_its_own_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with pytest.raises(ConfigError, match="data of its own"):
        prepare_folder(tmp_path)
