"""``numerpilot models``: the stored models and which one each tournament model submits
(pinned in numerpilot.toml, else the newest), as a table and as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from numerpilot.models import BoosterInfo, CVScores, ModelManifest, Scores, write_model
from tests.cli_run import run
from tests.contract import check_document

T0 = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def store(models_dir: Path, name: str, created: datetime, corr: float) -> None:
    booster = BoosterInfo(
        target="target",
        seed=0,
        file="target__seed0.txt",
        best_iteration=10,
        holdout_corr=None,
        seconds=1.0,
    )
    manifest = ModelManifest(
        name=name,
        created=created,
        numerpilot_version="0.1.0",
        data_version="v5.3",
        data_files={"train.parquet": "ab" * 32},
        feature_set="small",
        feature_groups=[],
        features=["feature_a", "feature_b", "feature_c"],
        targets=["target", "target_cyrusd_20"],
        weights={"target": 1.0},
        seeds=[0],
        params={"n_estimators": 10},
        era_step=4,
        holdout_eras=0,
        embargo_eras=4,
        train_rows=100,
        train_eras=10,
        neutralize_proportion=0.0,
        boosters=[booster],
        validation={
            "ensemble": Scores(corr_mean=corr, corr_std=0.02, corr_sharpe=corr / 0.02, eras=60)
        },
        cv=CVScores(
            folds=2,
            embargo_eras=4,
            corr_mean=0.01,
            corr_std=0.02,
            corr_sharpe=0.5,
            per_era={"0001": 0.0, "0002": 0.02},
        ),
    )
    frame = pd.DataFrame({"ensemble": [0.5]}, index=pd.Index(["n0"], name="id"))
    write_model(models_dir, manifest, {booster.file: "tree"}, frame)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    store(tmp_path / "models", "old", T0, 0.031)
    store(tmp_path / "models", "new", T0 + timedelta(days=7), 0.0225)
    (tmp_path / "numerpilot.toml").write_text(
        '[[tournament.models]]\nname = "pinned"\nmodel = "old"\n\n'
        '[[tournament.models]]\nname = "follows"\n\n'
        '[[tournament.models]]\nname = "lost"\nmodel = "gone"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_models_json_says_which_stored_model_each_tournament_model_submits(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["-C", str(project), "models", "--json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert check_document(document) == "models"
    old, new = document["models"]  # oldest first
    assert (old["name"], old["submitted_by"]) == ("old", ["pinned"])
    assert (new["name"], new["submitted_by"]) == ("new", ["follows"])
    assert new["features"] == 3 and new["targets"] == ["target", "target_cyrusd_20"]
    assert old["validation_corr_mean"] == 0.031
    choices = {c["name"]: c for c in document["tournament_models"]}
    assert choices["pinned"]["why"] == "pinned in numerpilot.toml"
    assert (choices["follows"]["stored_model"], choices["follows"]["why"]) == ("new", "the newest")
    assert choices["lost"]["stored_model"] is None and choices["lost"]["wanted_model"] == "gone"


def test_models_table_and_the_warning_for_a_missing_model(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["-C", str(project), "models"], capsys)
    assert code == 0
    old_row = next(line for line in out.splitlines() if "old" in line)
    assert "2026-03-01 12:30" in old_row and "0.0310" in old_row and "pinned" in old_row
    new_row = next(line for line in out.splitlines() if "new " in line)
    assert "0.0225" in new_row and "follows" in new_row
    assert "lost has no stored model to submit (pinned in numerpilot.toml: gone)" in err
    assert "pinned has no" not in err and "follows has no" not in err


def test_models_without_any_stored_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "numerpilot.toml").write_text(
        '[[tournament.models]]\nname = "follows"\n', encoding="utf-8"
    )
    code, out, err = run(["-C", str(tmp_path), "models"], capsys)
    assert code == 0
    assert out.strip() == f"no models in {tmp_path / 'models'}"
    assert "follows has no stored model to submit (the newest: none)" in err
