"""The worker against a real local tournament: a clock both share, a project folder, and an
in-process hosted-model runner (the runtime emulator is tested elsewhere; here it would cost
seconds per round)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from numerpilot.agent.ledger import Ledger
from numerpilot.agent.notify import notifier_from_settings
from numerpilot.agent.services import TournamentServices
from numerpilot.agent.worker import Worker
from numerpilot.clock import Clock
from numerpilot.config import Settings, load_settings
from numerpilot.credentials import Credentials
from numerpilot.sim import RunningSim
from numerpilot.tournament import TournamentClient

PROJECT_TOML = """
[data]
version = "v5.3"
files = ["features.json", "train.parquet", "validation.parquet", "live.parquet",
         "live_benchmark_models.parquet"]

[train]
feature_set = "medium"
targets = ["target", "target_teager2b_20"]
holdout_eras = 10

[train.params]
learning_rate = 0.1
n_estimators = 30
max_depth = 3
num_leaves = 7
colsample_bytree = 0.8
min_child_samples = 20
early_stopping_rounds = 0
num_threads = 1

[tournament]
request_timeout_seconds = 3.0  # short, so that a hang becomes a client timeout

[submit]
max_feature_exposure = 0.9  # a 200-row live era is noisy: 0.5 refuses good models by chance

[stake]
enabled = true
min_resolved_rounds = 3
max_increase_per_round = 0.5
budget = 2.0
# A 200-row live era swings a round's score by +-0.3: a drawdown rule sized for real rounds
# would hold every stake all month. The rule has tests of its own (test_worker_results.py).
drawdown_cut = 5.0

[agent]
heartbeat_minutes = 720
retrain_every_days = 60

[[tournament.models]]
name = "demo_csv"

[[tournament.models]]
name = "demo_upload"
mode = "upload"
"""


class SharedClock:
    """The sim's stepped clock as the worker sees it: sleeping moves the world forward
    (rounds open, close, are scored; uploaded models run)."""

    def __init__(self, sim: RunningSim):
        self.sim = sim

    def now(self) -> datetime:
        return self.sim.clock.now()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sim.step(timedelta(seconds=seconds))


def run_pickle_in_process(pickle: Path, live: Path, benchmark: Path) -> pd.DataFrame:
    model = pd.read_pickle(pickle)
    result: pd.DataFrame = model(pd.read_parquet(live), pd.read_parquet(benchmark))
    return result


def write_project(project: Path) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    (project / "numerpilot.toml").write_text(PROJECT_TOML, encoding="utf-8")
    return project


def project_settings(project: Path, url: str) -> Settings:
    return load_settings(project, tournament={"api_url": url})


def build_worker(
    settings: Settings, clock: Clock, keys: tuple[str, str], *, runtime_cache: Path | None
) -> tuple[Worker, Ledger]:
    client = TournamentClient.from_settings(
        settings, credentials=Credentials(*keys, source="test"), clock=clock
    )
    ledger = Ledger.open(settings, clock)
    services = TournamentServices(settings, client, clock, runtime_cache=runtime_cache)
    notifier = notifier_from_settings(settings, clock)
    return Worker(settings, ledger, notifier, services, clock), ledger
