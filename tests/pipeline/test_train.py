"""``numerpilot train`` / ``models`` / ``predict`` on the demo data, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from numerpilot.cli import app
from numerpilot.clock import SteppedClock
from numerpilot.config import LightGBMParams, Settings, load_settings
from numerpilot.data import MemoryBudgetExceeded, load_dataset
from numerpilot.errors import ConfigError, DataError
from numerpilot.fsutil import sha256_file
from numerpilot.models import fit as fit_module
from numerpilot.models import list_models, load_model, predict_frame
from numerpilot.models import rows as train_rows
from numerpilot.pipeline import train as train_pipeline
from numerpilot.pipeline.predict import predict_live
from numerpilot.pipeline.train import train_model
from numerpilot.scoring import numerai_corr
from tests.contract import check_document

CLOCK = SteppedClock(datetime(2026, 3, 3, 12, tzinfo=UTC))
FAST = LightGBMParams(
    n_estimators=40,
    learning_rate=0.1,
    max_depth=3,
    num_leaves=7,
    colsample_bytree=0.5,
    min_child_samples=50,
    early_stopping_rounds=10,
    num_threads=1,
)


def make_project(root: Path, demo_data_dir: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "v5.3").symlink_to(demo_data_dir / "v5.3")
    return root


def settings_for(project: Path, params: LightGBMParams = FAST, **train: object) -> Settings:
    settings = load_settings(project, train={"era_step": 1, "holdout_eras": 20, **train})
    settings.train.params = params
    return settings


@pytest.fixture
def project(tmp_path: Path, demo_data_dir: Path) -> Path:
    return make_project(tmp_path / "project", demo_data_dir)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Settings:
    """One fast model trained on the demo data, shared by the tests that only read it."""
    project = make_project(tmp_path_factory.mktemp("trained"), demo_data_dir)
    settings = settings_for(project, seeds=[0, 1])
    train_model(settings, clock=CLOCK)
    return settings


def test_train_stores_a_complete_model(trained: Settings, demo_data_dir: Path) -> None:
    root = demo_data_dir / "v5.3"
    [manifest] = list_models(trained.models_path)
    assert manifest.name == "v5.3-medium-20260303"
    meta = json.loads((root / "features.json").read_text())
    assert manifest.features == meta["feature_sets"]["medium"]
    assert manifest.targets == ["target", "target_cyrusd_20", "target_teager2b_20"]
    assert manifest.weights == {t: 1.0 for t in manifest.targets}
    assert manifest.data_files["train.parquet"] == sha256_file(root / "train.parquet")
    assert manifest.embargo_eras == 4 and manifest.train_eras == 120 - 20 - 4
    assert [(b.target, b.seed) for b in manifest.boosters] == [
        (t, s) for t in manifest.targets for s in (0, 1)
    ]
    assert all(1 <= b.best_iteration <= 40 for b in manifest.boosters)
    assert set(manifest.validation) == {*manifest.targets, "ensemble"}
    assert manifest.validation["ensemble"].eras == 56  # 60 validation eras, 4 test eras unscored
    assert set(manifest.holdout) == set(manifest.validation) and manifest.cv is None

    path = trained.models_path / manifest.name
    assert sorted(p.name for p in trained.models_path.iterdir()) == [manifest.name]  # no partial
    preds = pd.read_parquet(path / "validation_predictions.parquet")
    validation = pd.read_parquet(root / "validation.parquet", columns=["era", "target"])
    assert preds.index.name == "id" and sorted(preds.index) == sorted(validation.index)
    assert list(preds.columns) == [*manifest.targets, "ensemble"]
    assert preds.to_numpy().min() > 0 and preds.to_numpy().max() < 1
    # The manifest's score is the per-era numerai_corr of the stored predictions.
    aligned = validation.loc[preds.index]
    per_era = numerai_corr(preds["ensemble"], aligned["target"], aligned["era"])
    assert manifest.validation["ensemble"].corr_mean == pytest.approx(np.nanmean(per_era))
    assert manifest.validation["ensemble"].corr_mean > 0


def test_predict_writes_a_submission_of_the_newest_model(
    trained: Settings, demo_data_dir: Path
) -> None:
    result = predict_live(trained)
    assert result.path == trained.project_dir / "predictions" / f"{result.model}-live.csv"
    frame = pd.read_csv(result.path)
    assert list(frame.columns) == ["id", "prediction"]
    live = load_dataset(demo_data_dir / "v5.3" / "live.parquet", features=[])
    assert frame["id"].tolist() == live.ids.tolist() and result.rows == len(live)
    assert frame["prediction"].between(0, 1, inclusive="neither").all()
    model = load_model(trained.models_path / result.model)
    features = load_dataset(demo_data_dir / "v5.3" / "live.parquet", features=model.features)
    expected = predict_frame(model, features.features, features.eras)
    np.testing.assert_allclose(frame["prediction"], expected, rtol=0, atol=1e-15)


def test_predict_refuses_data_of_another_layout(trained: Settings, tmp_path: Path) -> None:
    other = trained.data_dir / "v5.0"
    other.mkdir(exist_ok=True)
    (other / "features.json").write_text(
        json.dumps({"feature_sets": {"all": ["feature_x"]}, "targets": ["target"]})
    )
    settings = trained.model_copy(deep=True)
    settings.data.version = "v5.0"
    with pytest.raises(DataError, match=r"trained on v5\.3 features; v5\.0 lacks 40 of its 40"):
        predict_live(settings, out=tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()


class Interrupting:
    """Progress that interrupts the run (as Ctrl-C would) when the given booster starts."""

    def __init__(self, at: tuple[str, int] | None = None):
        self.at = at
        self.started: list[tuple[str, int]] = []

    def step(self, message: str) -> None:
        pass

    def rows(self, done: int, total: int) -> None:
        pass

    def start(self, target: str, seed: int, total: int) -> None:
        if (target, seed) == self.at:
            raise KeyboardInterrupt
        self.started.append((target, seed))

    def advance(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


def test_rerun_after_an_interruption_trains_only_the_missing_boosters(project: Path) -> None:
    settings = settings_for(project, targets=["target", "target_cyrusd_20"])
    first = Interrupting(at=("target_cyrusd_20", 0))
    with pytest.raises(KeyboardInterrupt):
        train_model(settings, clock=CLOCK, name="m", progress=first)
    assert first.started == [("target", 0)]
    assert not (settings.models_path / "m").exists()
    kept = (settings.models_path / ".m.partial" / "boosters" / "target__seed0.txt").read_text()

    second = Interrupting()
    report = train_model(settings, clock=CLOCK, name="m", progress=second)
    assert second.started == [("target_cyrusd_20", 0)]
    assert report.reused == 1
    model = load_model(report.path)
    assert model.boosters[0] == ("target", 0, kept)
    assert not (settings.models_path / ".m.partial").exists()


def test_changed_settings_do_not_reuse_boosters(project: Path) -> None:
    settings = settings_for(project, targets=["target"], seeds=[0, 1])
    with pytest.raises(KeyboardInterrupt):
        train_model(settings, clock=CLOCK, name="m", progress=Interrupting(at=("target", 1)))
    settings.train.params = FAST.model_copy(update={"max_depth": 2})
    report = train_model(settings, clock=CLOCK, name="m")
    assert report.reused == 0


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"feature_set": "huge"}, r"'train\.feature_set': 'huge' is not a feature set"),
        ({"feature_groups": ["agility", "qantum"]}, r"did you mean 'quantum'"),
        ({"targets": ["target", "target_cyrus_20"]}, r"'train\.targets'.*'target_cyrusd_20'"),
        ({"targets": ["target", "target"]}, r"lists a target twice"),
        ({"targets": ["target"], "target_weights": [0.0]}, r"'train\.target_weights'"),
        ({"targets": ["my_label"]}, r"'my_label' is not a target"),
    ],
)
def test_bad_requests_fail_before_any_data_is_loaded(
    project: Path, monkeypatch: pytest.MonkeyPatch, train: dict[str, object], message: str
) -> None:
    def no_loading(*args: object, **kwargs: object) -> None:
        raise AssertionError("data was loaded")

    monkeypatch.setattr(fit_module, "load_dataset", no_loading)
    monkeypatch.setattr(train_rows, "load_dataset", no_loading)
    with pytest.raises(ConfigError, match=message):
        train_model(settings_for(project, **train), clock=CLOCK)
    with pytest.raises(ConfigError, match="letters, digits"):
        train_model(settings_for(project), clock=CLOCK, name="../escape")


def test_no_dataset_names_the_command_to_run(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="numerpilot data download"):
        train_model(load_settings(tmp_path), clock=CLOCK)


def test_features_missing_from_the_train_file_fail_before_training(
    project: Path, demo_data_dir: Path
) -> None:
    """features.json of one layout, a train file of another: the loader names the column."""
    fake = project / "data" / "v5.2"
    fake.mkdir()
    (fake / "train.parquet").symlink_to(demo_data_dir / "v5.3" / "train.parquet")
    meta = json.loads((demo_data_dir / "v5.3" / "features.json").read_text())
    meta["feature_sets"]["medium"] = [*meta["feature_sets"]["medium"], "feature_only_in_v52"]
    (fake / "features.json").write_text(json.dumps(meta))
    (fake / "validation.parquet").symlink_to(demo_data_dir / "v5.3" / "validation.parquet")
    settings = settings_for(project)
    settings.data.version = "v5.2"
    progress = Interrupting()
    with pytest.raises(DataError, match="feature_only_in_v52"):
        train_model(settings, clock=CLOCK, progress=progress)
    assert progress.started == []


def test_streaming_in_small_chunks_trains_the_same_model(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(project, targets=["target", "target_teager2b_20"])
    whole = train_model(settings, clock=CLOCK, name="whole")
    monkeypatch.setattr(train_rows, "CHUNK_BYTES", 3 * 300 * 40)  # about 3 eras per chunk
    chunked = train_model(settings, clock=CLOCK, name="chunked")
    assert load_model(chunked.path).boosters == load_model(whole.path).boosters
    assert chunked.manifest.validation == whole.manifest.validation


def test_training_beyond_the_memory_budget_is_refused_before_binning(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(train_pipeline, "memory_budget", lambda fraction: 2_000_000)
    progress = Interrupting()
    with pytest.raises(MemoryBudgetExceeded, match=r"raise 'train\.era_step'"):
        train_model(settings_for(project), clock=CLOCK, progress=progress)
    assert progress.started == []


class InterruptAt(Interrupting):
    """Interrupts when the ``n``-th booster (counting from 1) starts."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def start(self, target: str, seed: int, total: int) -> None:
        if len(self.started) + 1 == self.n:
            raise KeyboardInterrupt
        self.started.append((target, seed))


def test_walk_forward_cv_gives_out_of_fold_scores_per_era(project: Path) -> None:
    settings = settings_for(project, targets=["target"], cv_folds=3)
    first = InterruptAt(3)  # the main booster, fold 1, then stop as fold 2 starts
    with pytest.raises(KeyboardInterrupt):
        train_model(settings, clock=CLOCK, name="cv", progress=first)
    second = Interrupting()
    report = train_model(settings, clock=CLOCK, name="cv", progress=second)
    assert len(second.started) == 2  # folds 2 and 3 only
    cv = report.manifest.cv
    assert cv is not None and cv.folds == 3 and cv.embargo_eras == 4
    eras = sorted(cv.per_era)
    assert eras[0] == "0031" and eras[-1] == "0120" and len(eras) == 90  # blocks 2-4 of 4
    assert cv.corr_mean == pytest.approx(np.mean(list(cv.per_era.values())))


def test_cli_train_models_predict(project: Path) -> None:
    (project / "numerpilot.toml").write_text(
        "[train]\nera_step = 1\nholdout_eras = 20\ntargets = ['target']\n"
        "[train.params]\nn_estimators = 20\nlearning_rate = 0.1\nmax_depth = 3\n"
        "num_leaves = 7\nmin_child_samples = 50\nnum_threads = 1\n"
    )
    runner = CliRunner()
    trained = runner.invoke(app, ["-C", str(project), "train", "--name", "cli", "--json"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout.strip().splitlines()[-1])
    assert check_document(summary) == "train"
    assert summary["name"] == "cli" and summary["features"] == 40
    assert summary["validation"]["ensemble"]["eras"] == 56

    listed = runner.invoke(app, ["-C", str(project), "models", "--json"])
    document = json.loads(listed.stdout)
    assert check_document(document) == "models"
    assert document["kind"] == "models" and document["tournament_models"] == []
    [row] = document["models"]
    assert row["name"] == "cli" and row["targets"] == ["target"] and row["submitted_by"] == []
    assert row["validation_corr_mean"] == pytest.approx(summary["validation_corr_mean"])

    out = project / "sub.csv"
    predicted = runner.invoke(app, ["-C", str(project), "predict", "cli", "--out", str(out)])
    assert predicted.exit_code == 0 and predicted.stdout.strip() == str(out)
    assert out.read_text().startswith("id,prediction\n")


@pytest.mark.slow
def test_default_shaped_model_reaches_a_share_of_the_oracle(
    project: Path, demo_data_dir: Path
) -> None:
    """The default ensemble (targets, weights, feature set, tree shape, learning rate, early
    stopping) with only the data-size settings scaled to the demo's 36,000 rows."""
    defaults = LightGBMParams()
    params = defaults.model_copy(update={"min_child_samples": 200, "num_threads": 1})
    settings = settings_for(project, params=params)
    report = train_model(settings, clock=CLOCK)
    preds = pd.read_parquet(report.path / "validation_predictions.parquet")
    root = demo_data_dir / "v5.3"
    oracle = pd.read_parquet(root / "oracle" / "validation.parquet").loc[preds.index]
    truth = pd.read_parquet(root / "validation.parquet", columns=["era", "target"])
    truth = truth.loc[preds.index]
    best = np.nanmean(numerai_corr(oracle["prediction"], truth["target"], truth["era"]))
    ours = report.manifest.validation["ensemble"].corr_mean
    assert best > 0.08
    assert ours / best > 0.15


def test_trains_on_the_v50_layout(tmp_path: Path) -> None:
    """v5.0 has other feature and target counts (37 targets, no 'quantum' group)."""
    from numerpilot.data import write_dataset

    write_dataset(tmp_path / "data", version="v5.0", scale="demo", seed=1)
    settings = settings_for(tmp_path, targets=["target", "target_victor_20"])
    report = train_model(settings, clock=CLOCK)
    assert report.manifest.data_version == "v5.0" and report.name.startswith("v5.0-medium-")
    meta = json.loads((tmp_path / "data" / "v5.0" / "features.json").read_text())
    assert report.manifest.features == meta["feature_sets"]["medium"]
    assert len(meta["targets"]) == 37
    settings.train.feature_groups = ["quantum"]
    with pytest.raises(ConfigError, match="'quantum' is not a feature set"):
        train_model(settings, clock=CLOCK)
