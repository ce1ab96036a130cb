"""What the submit and upload-model tests share: a tiny trained model and a project that
talks to a local tournament."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from numerpilot.clock import SteppedClock
from numerpilot.config import LightGBMParams, ModelEntry, Settings, load_settings
from numerpilot.credentials import Credentials
from numerpilot.pipeline.train import train_model
from numerpilot.sim import RunningSim
from numerpilot.tournament import TournamentClient

FAST = LightGBMParams(
    learning_rate=0.1,
    n_estimators=30,
    max_depth=3,
    num_leaves=7,
    colsample_bytree=0.8,
    min_child_samples=20,
    early_stopping_rounds=0,
    num_threads=1,
)


def train_tiny(project: Path, data_dir: Path, name: str = "tiny", **train: object) -> Path:
    """A stored model of the default shape (3 targets), small enough to train in a second."""
    settings = load_settings(project, data={"dir": data_dir, "version": "v5.3"})
    settings.train.holdout_eras = 10
    settings.train.params = FAST
    for key, value in train.items():
        setattr(settings.train, key, value)
    train_model(settings, clock=SteppedClock(datetime(2026, 3, 1, tzinfo=UTC)), name=name)
    return settings.models_path


_TRAINED: dict[Path, Path] = {}


def shared_models(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> Path:
    """The store holding ``tiny``, trained once per session for the submit and upload-model
    tests (it is only read)."""
    if demo_data_dir not in _TRAINED:
        _TRAINED[demo_data_dir] = train_tiny(tmp_path_factory.mktemp("trained"), demo_data_dir)
    return _TRAINED[demo_data_dir]


def project_settings(project: Path, models_dir: Path, sim: RunningSim) -> Settings:
    settings = load_settings(project, tournament={"api_url": sim.url})
    settings.models_dir = models_dir
    settings.data.version = "v5.3"
    settings.tournament.models = [
        ModelEntry(name="demo_csv", mode="csv", model="tiny"),
        ModelEntry(name="demo_upload", mode="upload", model="tiny"),
    ]
    return settings


def sim_client(sim: RunningSim) -> TournamentClient:
    keys = sim.demo
    return TournamentClient(
        api_url=sim.url,
        credentials=Credentials(keys.public_id, keys.secret_key, source="test"),
        clock=sim.clock,
        retries=3,
    )
