"""Fixtures of the research tests: a project on the demo data with a fast experiment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import free_port

PROJECT_TOML = """
[train]
feature_set = "small"
targets = ["target"]
era_step = 4
holdout_eras = 12

[train.params]
n_estimators = 30
learning_rate = 0.1
max_depth = 3
num_leaves = 7
colsample_bytree = 0.8
min_child_samples = 20
early_stopping_rounds = 0
num_threads = 1
"""

# Two scouts on every 8th era, both re-run at full scale (every 4th), then the holdout.
FAST_EXPERIMENT = """
[search]
method = "grid"
trials = 2
finalists = 2

[evaluation]
cv_folds = 2
holdout_eras = 12

[scout]
era_step_factor = 2

[space]
feature_set = ["small"]
targets = [["target"]]
era_step = [4]

[space.params]
n_estimators = [30]
learning_rate = [0.05, 0.2]
num_leaves = [7]
min_child_samples = [20]
max_depth = [3]
colsample_bytree = [0.8]
"""


def make_project(
    root: Path, demo_data_dir: Path, experiments: dict[str, str], api_url: str | None = None
) -> Path:
    """A project on the demo data. Its tournament is ``api_url``, else a loopback port that
    nothing listens on: experiments that ask for the payout multipliers never leave the
    machine (and fall back to the file's)."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "v5.3").symlink_to(demo_data_dir / "v5.3")
    url = api_url or f"http://127.0.0.1:{free_port()}"
    (root / "numerpilot.toml").write_text(f'{PROJECT_TOML}\n[tournament]\napi_url = "{url}"\n')
    (root / "experiments").mkdir()
    for name, text in experiments.items():
        (root / "experiments" / f"{name}.toml").write_text(text)
    return root


@pytest.fixture
def project(tmp_path: Path, demo_data_dir: Path) -> Path:
    return make_project(tmp_path / "project", demo_data_dir, {"fast": FAST_EXPERIMENT})
