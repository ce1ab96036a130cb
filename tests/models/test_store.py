from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from numerpilot.errors import DataError
from numerpilot.models.store import (
    BoosterInfo,
    CVScores,
    ModelManifest,
    PartialRun,
    Scores,
    list_models,
    load_model,
    read_model_manifest,
    resolve_model,
    write_model,
)
from numerpilot.models.train import BoosterResult

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def manifest(name: str, created: datetime = T0) -> ModelManifest:
    return ModelManifest(
        name=name,
        created=created,
        numerpilot_version="0.1.0",
        data_version="v5.3",
        data_files={"train.parquet": "ab" * 32},
        feature_set="small",
        feature_groups=[],
        features=["feature_a", "feature_b"],
        targets=["target"],
        weights={"target": 1.0},
        seeds=[0],
        params={"n_estimators": 10},
        era_step=4,
        holdout_eras=52,
        embargo_eras=4,
        train_rows=100,
        train_eras=10,
        neutralize_proportion=0.0,
        boosters=[
            BoosterInfo(
                target="target",
                seed=0,
                file="target__seed0.txt",
                best_iteration=10,
                holdout_corr=0.02,
                seconds=1.0,
            )
        ],
        validation={"ensemble": Scores(corr_mean=0.03, corr_std=0.02, corr_sharpe=1.5, eras=60)},
    )


def predictions() -> pd.DataFrame:
    return pd.DataFrame(
        {"target": [0.1, 0.9], "ensemble": [0.25, 0.75]},
        index=pd.Index(["n000000000000001", "n000000000000002"], name="id"),
    )


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    path = write_model(tmp_path, manifest("m1"), {"target__seed0.txt": "tree text"}, predictions())
    assert path == tmp_path / "m1"
    model = load_model(path)
    assert model.boosters == [("target", 0, "tree text")]
    assert model.weights == {"target": 1.0} and model.features == ["feature_a", "feature_b"]
    assert model.neutralize_proportion == 0.0 and model.data_version == "v5.3"
    saved = pd.read_parquet(path / "validation_predictions.parquet")
    pd.testing.assert_frame_equal(saved, predictions())
    assert [p.name for p in tmp_path.iterdir()] == ["m1"]  # no temporary left behind


def test_cv_scores_are_typed_and_read_from_manifests_written_before(tmp_path: Path) -> None:
    # Manifests written while cv was a plain dict hold these keys: they read back typed.
    written = {
        "folds": 3,
        "embargo_eras": 4,
        "corr_mean": 0.02,
        "corr_std": 0.01,
        "corr_sharpe": 2.0,
        "per_era": {"0031": 0.01, "0032": 0.03},
    }
    path = write_model(tmp_path, manifest("m1"), {"target__seed0.txt": "tree text"}, predictions())
    raw = json.loads((path / "manifest.json").read_text())
    raw["cv"] = written
    (path / "manifest.json").write_text(json.dumps(raw))
    cv = read_model_manifest(path).cv
    assert isinstance(cv, CVScores) and cv.folds == 3 and cv.per_era == written["per_era"]
    assert cv.model_dump() == written
    raw["cv"]["folds"] = "three"
    (path / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(DataError, match=r"field 'cv\.folds'"):
        read_model_manifest(path)


def test_a_model_without_scores_is_still_listed(tmp_path: Path) -> None:
    nan = float("nan")
    unscored = manifest("m1").model_copy(
        update={
            "validation": {"ensemble": Scores(corr_mean=nan, corr_std=nan, corr_sharpe=nan, eras=0)}
        }
    )
    write_model(tmp_path, unscored, {"target__seed0.txt": "tree text"}, predictions())
    [listed] = list_models(tmp_path)
    assert listed.name == "m1" and math.isnan(listed.validation["ensemble"].corr_mean)


def test_write_refuses_boosters_the_manifest_does_not_list(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="differ"):
        write_model(tmp_path, manifest("m1"), {"other.txt": "x"}, predictions())
    assert not (tmp_path / "m1").exists()


def test_list_and_resolve(tmp_path: Path) -> None:
    boosters = {"target__seed0.txt": "t"}
    write_model(tmp_path, manifest("later", T0 + timedelta(days=1)), boosters, predictions())
    write_model(tmp_path, manifest("earlier"), boosters, predictions())
    (tmp_path / ".x.partial").mkdir()
    (tmp_path / "junk").mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{}")
    assert [m.name for m in list_models(tmp_path)] == ["earlier", "later"]
    assert resolve_model(tmp_path, None) == tmp_path / "later"
    assert resolve_model(tmp_path, "earlier") == tmp_path / "earlier"
    assert resolve_model(tmp_path, str(tmp_path / "earlier")) == tmp_path / "earlier"
    with pytest.raises(DataError, match="stored: earlier, later"):
        resolve_model(tmp_path, "nope")
    with pytest.raises(DataError, match="numerpilot train"):
        resolve_model(tmp_path / "empty", None)
    with pytest.raises(DataError, match="field"):
        load_model(broken)


def test_a_missing_booster_is_a_data_error(tmp_path: Path) -> None:
    path = write_model(tmp_path, manifest("m1"), {"target__seed0.txt": "t"}, predictions())
    (path / "boosters" / "target__seed0.txt").unlink()
    with pytest.raises(DataError, match=r"target__seed0\.txt"):
        load_model(path)


def result(target: str, seed: int) -> BoosterResult:
    return BoosterResult(target, seed, f"text {target} {seed}", 7, 0.01, 2.0)


def test_partial_run_keeps_boosters_for_the_same_fingerprint_only(tmp_path: Path) -> None:
    run = PartialRun(tmp_path, "m1", {"targets": ["target"], "seed": [0, 1]})
    assert run.done() == {}
    run.save(result("target", 0))
    again = PartialRun(tmp_path, "m1", {"seed": [0, 1], "targets": ["target"]})
    assert again.done() == {("target", 0): result("target", 0)}
    changed = PartialRun(tmp_path, "m1", {"targets": ["target"], "seed": [0]})
    assert changed.done() == {}
    assert json.loads((changed.path / "run.json").read_text()) == {
        "seed": [0],
        "targets": ["target"],
    }
    changed.remove()
    assert not changed.path.exists()


def test_partial_booster_without_its_info_file_is_not_done(tmp_path: Path) -> None:
    run = PartialRun(tmp_path, "m1", {"a": 1})
    (run.path / "boosters" / "target__seed0.txt").write_text("half written")
    assert run.done() == {}
