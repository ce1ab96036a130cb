"""A winner fed a benchmark model is promotable end to end: trained with the benchmark's
predictions, it predicts live by joining the live benchmark file by id (CSV-submitting
models), and its hosted pickle, called as Numerai calls it with the live benchmark frame,
predicts exactly the same."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.models.benchmark_input import benchmark_feature
from numerpilot.models.store import load_model
from numerpilot.pipeline import portable_model
from numerpilot.pipeline.predict import predict_live
from numerpilot.research._space import grid
from numerpilot.research._spec import SpaceSettings, load_experiment
from numerpilot.research.promote import train_winner
from numerpilot.runtime import portable_pickle_bytes
from tests.research.conftest import FAST_EXPERIMENT, make_project

BENCH = FAST_EXPERIMENT.replace("era_step = [4]", "era_step = [4]\nbenchmark_inputs = [true]")
LIVE_BENCH = "live_benchmark_models.parquet"
CLOCK = SteppedClock(datetime(2026, 3, 3, tzinfo=UTC))


def _project(tmp_path: Path, demo_data_dir: Path, extra: str = "") -> Path:
    project = make_project(tmp_path / "p", demo_data_dir, {"bench": BENCH})
    # Its own data folder (files linked), so this test may replace the live benchmark file.
    (project / "data" / "v5.3").unlink()
    (project / "data" / "v5.3").mkdir()
    for f in (demo_data_dir / "v5.3").iterdir():
        (project / "data" / "v5.3" / f.name).symlink_to(f)
    with (project / "numerpilot.toml").open("a") as toml:
        toml.write(extra)
    return project


def test_a_benchmark_input_winner_trains_and_predicts_live_from_the_live_file(
    tmp_path: Path, demo_data_dir: Path
) -> None:
    project = _project(tmp_path, demo_data_dir)
    settings = load_settings(project)
    [config] = list(grid(_space(project)))[:1]
    assert config.benchmark_inputs
    report = train_winner(settings, "bench", config, clock=CLOCK)
    assert not isinstance(report, Path)
    model = load_model(report.path)
    assert model.features[-1] == benchmark_feature("v53_lgbm_ender20")
    live = pd.read_parquet(demo_data_dir / "v5.3" / "live.parquet", columns=["era"])
    first = pd.read_csv(predict_live(settings, model.name).path, index_col="id")
    assert sorted(first.index) == sorted(live.index)
    assert first["prediction"].between(0, 1).all() and first["prediction"].nunique() > 1

    # Predictions follow the live benchmark file: reversed benchmark, other predictions.
    bench = pd.read_parquet(demo_data_dir / "v5.3" / LIVE_BENCH)
    path = project / "data" / "v5.3" / LIVE_BENCH
    path.unlink()
    bench.assign(v53_lgbm_ender20=-bench["v53_lgbm_ender20"]).to_parquet(path)
    second = pd.read_csv(predict_live(settings, model.name).path, index_col="id")
    assert not np.allclose(first["prediction"], second["prediction"].reindex(first.index))

    # No live benchmark for these ids: one line naming the file and the model.
    path.unlink()
    bench.set_axis([f"x{i}" for i in range(len(bench))]).rename_axis("id").to_parquet(path)
    with pytest.raises(Exception, match=f"{LIVE_BENCH}.*model {model.name} needs it"):
        predict_live(settings, model.name)

    # The hosted pickle, called as Numerai's runtime calls it, predicts the same values.
    path.unlink()
    path.symlink_to(demo_data_dir / "v5.3" / LIVE_BENCH)
    portable = portable_model(model)
    assert portable.benchmark_input == "v53_lgbm_ender20"
    predict = pickle.loads(portable_pickle_bytes(portable))
    features = pd.read_parquet(demo_data_dir / "v5.3" / "live.parquet")
    hosted = predict(features, pd.read_parquet(demo_data_dir / "v5.3" / LIVE_BENCH))
    np.testing.assert_allclose(
        hosted["prediction"].to_numpy(),
        first["prediction"].reindex(hosted.index).to_numpy(),
        atol=1e-6,  # the CSV's printed digits
    )
    with pytest.raises(KeyError, match="lack the model's input v53_lgbm_ender20"):
        predict(features, None)


def _space(project: Path) -> SpaceSettings:
    return load_experiment(project / "experiments" / "bench.toml").space
