"""Workers read the dataset from an fsspec URL every worker can see: file:// and memory://
(an fsspec filesystem that needs no network) give the same trial as the local paths, and a
URL that cannot be opened is one line naming the setting, before any trial runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from numerpilot.config import load_settings
from numerpilot.errors import ConfigError
from numerpilot.research._evaluate import SCOUT, TrialTask, run_trial
from numerpilot.research._space import grid
from numerpilot.research.plan import ExperimentPlan, plan_experiment
from tests.research.conftest import FAST_EXPERIMENT, make_project


def _with_url(url: str) -> str:
    return FAST_EXPERIMENT.replace("[space]", f'[resources]\ndata_url = "{url}"\n\n[space]')


def _task(plan: ExperimentPlan) -> TrialTask:
    config = next(iter(grid(plan.experiment.space)))
    return TrialTask(
        experiment=plan.name, phase=SCOUT, number=0, config=config,
        features=plan.features_of(config), era_step=config.era_step * 2, folds=2,
        embargo=plan.embargo, last_search_era=plan.last_search_era,
        holdout_eras=plan.holdout_eras, paths=plan.paths, evaluation=plan.experiment.evaluation,
        benchmark=None, num_threads=1, memory_budget=plan.budget_per_worker,
    )  # fmt: skip


@pytest.fixture
def memory_copy(demo_data_dir: Path) -> Iterator[str]:
    """The demo world's v5.3 files in fsspec's in-process memory filesystem."""
    fs = fsspec.filesystem("memory")
    for f in (demo_data_dir / "v5.3").glob("*.parquet"):
        fs.pipe(f"/world/v5.3/{f.name}", f.read_bytes())
    yield "memory://world"
    fs.rm("/world", recursive=True)


def test_a_trial_reads_the_same_rows_from_file_and_memory_urls(
    tmp_path: Path, demo_data_dir: Path, memory_copy: str
) -> None:
    file_url = f"file://{(demo_data_dir).resolve()}"
    projects = {
        name: make_project(tmp_path / name, demo_data_dir, {"e": text})
        for name, text in {
            "local": FAST_EXPERIMENT,
            "file": _with_url(file_url),
            "memory": _with_url(memory_copy),
        }.items()
    }
    plans = {name: plan_experiment(load_settings(p), "e") for name, p in projects.items()}
    assert plans["file"].paths.train == f"{file_url}/v5.3/train.parquet"
    assert plans["memory"].paths.validation == f"{memory_copy}/v5.3/validation.parquet"
    assert plans["memory"].paths.train_benchmark == (
        f"{memory_copy}/v5.3/train_benchmark_models.parquet"
    )
    assert plans["local"].spec_hash == plans["memory"].spec_hash  # where is not what
    scores = {name: run_trial(_task(plan)).scores for name, plan in plans.items()}
    assert scores["local"] == scores["file"] == scores["memory"]
    assert scores["local"].eras > 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuchprotocol://bucket/numerai", "protocol 'nosuchprotocol' is not available"),
        ("memory://nothing-here", "cannot open memory://nothing-here/v5.3/train.parquet"),
    ],
)
def test_a_url_that_cannot_be_opened_is_one_line_naming_the_setting(
    tmp_path: Path, demo_data_dir: Path, url: str, message: str
) -> None:
    project = make_project(tmp_path / "p", demo_data_dir, {"e": _with_url(url)})
    with pytest.raises(ConfigError) as caught:
        plan_experiment(load_settings(project), "e")
    text = str(caught.value)
    assert "\n" not in text and "setting 'resources.data_url'" in text and message in text
