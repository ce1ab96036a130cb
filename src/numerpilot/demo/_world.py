"""``numerpilot demo``, its first half: a local tournament, its data, a trained and validated
model, in a folder of its own. The autopilot's month follows in ``_run.py``.

Time: the tournament's clock is paced. It runs ``speed`` times faster than real time while the
agent waits, and stands still while the agent computes, as if predicting and uploading took no
time. A freely running accelerated clock would have to stay below ~1000x for an hour-long round
to survive a pass of a few real seconds, which makes a month last most of an hour. Scoring is
compressed to ``SCORE_DAYS`` daily updates from the day after a round closes, so rounds
resolve, pay out and move stakes within the month.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from numerpilot.clock import SteppedClock, SystemClock
from numerpilot.config import CONFIG_FILE, Settings, load_settings
from numerpilot.credentials import Credentials
from numerpilot.data import download_dataset
from numerpilot.errors import ConfigError
from numerpilot.fsutil import write_text_atomic
from numerpilot.models import ENSEMBLE
from numerpilot.pipeline import TrainProgress, model_source, train_model, validate
from numerpilot.runtime import model_runner
from numerpilot.sim import CalendarConfig, DataConfig, RunningSim, SimConfig, run_sim
from numerpilot.tournament import TournamentClient

log = logging.getLogger(__name__)

MARKER = "# numerpilot demo project"
# A Tuesday, five minutes after round 1190 opened: the month starts with a round to enter.
SIM_START = datetime(2026, 3, 3, 12, 5, tzinfo=UTC)
DEMO_DAYS = 28
SPEED = 80_000.0  # a simulated day in about a real second of waiting
SCORE_DAYS = 5
MODEL_NAME = "demo-v5.3"
EXPERIMENT = "demo"
# What the demo leaves behind, removed when it runs again in the same folder.
OWNED = ("sim", "models", "predictions", "submissions", "reports", "experiments", "numerpilot.db",
         "numerpilot.db-wal", "numerpilot.db-shm", "notifications.log")  # fmt: skip

DEMO_TOML = f"""{MARKER}: written by 'numerpilot demo', which rewrites this folder when it
# runs again. A real project starts with 'numerpilot init'.

[data]
version = "v5.3"

[train]
feature_set = "medium"
targets = ["target", "target_teager2b_20", "target_cyrusd_20"]
holdout_eras = 12

[train.params]
# Small but real, so that the demo trains in seconds (Numerai's example: 2000 trees at 0.01).
learning_rate = 0.05
n_estimators = 150
max_depth = 4
num_leaves = 15
colsample_bytree = 0.5
min_child_samples = 50
early_stopping_rounds = 30
num_threads = 1

[stake]
# Stakes change for real on the local tournament, within a small budget.
enabled = true
min_resolved_rounds = 3
max_increase_per_round = 1.0
budget = 5.0

[agent]
heartbeat_minutes = 360
retrain_every_days = 60

[[tournament.models]]
name = "demo_csv"
mode = "csv"

[[tournament.models]]
name = "demo_upload"
mode = "upload"
"""


# A handful of trials: two target choices x two learning rates, scored out of fold at full
# scale (the demo data is small: no scouting), the best two on the holdout. The winner
# becomes demo_csv's model, the runner-up demo_upload's, so the two curves differ.
DEMO_EXPERIMENT = """# written by 'numerpilot demo'
[search]
method = "grid"
trials = 4
finalists = 2

[evaluation]
cv_folds = 2
holdout_eras = 12

[scout]
era_step_factor = 1

[resources]
workers = 2

[space]
feature_set = ["medium"]
targets = [["target"], ["target", "target_teager2b_20"]]
era_step = [1]

[space.params]
n_estimators = [120]
learning_rate = [0.03, 0.1]
max_depth = [4]
num_leaves = [15]
colsample_bytree = [0.5]
min_child_samples = [50]
"""


class DemoProgress(TrainProgress, Protocol):
    """What the demo reports while it runs (the CLI shows it with rich)."""

    def download(self, name: str, done: int, total: int | None) -> None: ...

    def month(self, day: float, days: float, summary: str) -> None: ...


class PacedClock(SteppedClock):
    """Simulated time that moves only when someone waits on it, ``speed`` times faster than
    real time (see the module's note)."""

    def __init__(self, start: datetime, speed: float, base: SystemClock | None = None):
        super().__init__(start)
        self.speed = speed
        self._base = base or SystemClock()

    def pace(self, seconds: float) -> None:
        """Spend the real time that ``seconds`` of simulated time takes."""
        self._base.sleep(seconds / self.speed)


class WorldClock:
    """The agent's clock: waiting paces real time, then lets the tournament catch up (rounds
    open and close, scores land, uploaded models run), then reports the month's progress."""

    def __init__(
        self, sim: RunningSim, clock: PacedClock, progress: DemoProgress | None, days: float
    ):
        self.sim = sim
        self.clock = clock
        self.progress = progress
        self.days = days
        self.status: Callable[[], str] = lambda: ""

    def now(self) -> datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.clock.pace(seconds)
        self.sim.step(timedelta(seconds=seconds))
        if self.progress is not None:
            day = (self.clock.now() - SIM_START).total_seconds() / 86400
            self.progress.month(min(day, self.days), self.days, self.status())


@dataclass
class DemoWorld:
    sim: RunningSim
    settings: Settings
    client: TournamentClient
    clock: WorldClock
    progress: DemoProgress | None

    def step(self, message: str) -> None:
        log.info("%s", message)
        if self.progress is not None:
            self.progress.step(message)


@dataclass(frozen=True)
class TrainedDemo:
    model: str
    validation_corr: float | None
    report: Path | None


def prepare_folder(project: Path) -> None:
    """An empty folder, or a previous demo's: anything else is refused, never overwritten."""
    project.mkdir(parents=True, exist_ok=True)
    config = project / CONFIG_FILE
    if config.exists() and not config.read_text(encoding="utf-8").startswith(MARKER):
        raise ConfigError(
            f"{project} is a numerpilot project of its own; run the demo in an empty folder "
            "(e.g. 'numerpilot --project demo-project demo')"
        )
    if not config.exists() and (project / "data").exists():
        raise ConfigError(f"{project} has data of its own; run the demo in an empty folder")
    for name in OWNED:
        path = project / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    write_text_atomic(config, DEMO_TOML)
    (project / "experiments").mkdir()
    write_text_atomic(project / "experiments" / f"{EXPERIMENT}.toml", DEMO_EXPERIMENT)


def sim_config() -> SimConfig:
    return SimConfig(
        data=DataConfig(scale="demo", seed=0),
        calendar=CalendarConfig(score_delay_days=1, score_days=SCORE_DAYS),
    )


@contextmanager
def demo_world(
    project: Path,
    progress: DemoProgress | None = None,
    *,
    days: float = DEMO_DAYS,
    speed: float = SPEED,
) -> Iterator[DemoWorld]:
    """The demo folder, with the local tournament serving it until the block ends."""
    if days <= 0 or speed <= 0:
        raise ConfigError("the demo needs a positive number of days and a positive speed")
    prepare_folder(project)
    paced = PacedClock(SIM_START, speed)
    if progress is not None:
        progress.step("starting the local tournament (it writes its synthetic dataset)")
    with run_sim(
        project / "sim" / "sim.db", clock=paced, config=sim_config(), model_runner=model_runner()
    ) as sim:
        clock = WorldClock(sim, paced, progress, days)
        settings = load_settings(project, tournament={"api_url": sim.url})
        credentials = Credentials(sim.demo.public_id, sim.demo.secret_key, source="demo")
        client = TournamentClient.from_settings(settings, credentials=credentials, clock=clock)
        try:
            yield DemoWorld(sim, settings, client, clock, progress)
        finally:
            client.close()


def train_and_validate(world: DemoWorld) -> TrainedDemo:
    """Download the data through the real client, train the ensemble, validate it."""
    settings, progress = world.settings, world.progress
    world.step("downloading the dataset from the local tournament")
    download_dataset(
        world.client,
        settings.data_dir,
        files=settings.data.files,
        version=settings.data.version,
        progress=progress.download if progress is not None else None,
    )
    world.step(f"training {MODEL_NAME}: {', '.join(settings.train.targets)}")
    trained = train_model(settings, clock=world.clock, name=MODEL_NAME, progress=progress)
    ensemble = trained.manifest.validation.get(ENSEMBLE)
    world.step("validating per era (CORR, MMC, BMC, exposure) and writing the HTML report")
    result = validate(settings, [model_source(settings, MODEL_NAME)], feature_set="medium")
    return TrainedDemo(
        MODEL_NAME, None if ensemble is None else ensemble.corr_mean, result.report_path
    )


__all__ = [
    "DEMO_DAYS",
    "DEMO_EXPERIMENT",
    "EXPERIMENT",
    "MARKER",
    "MODEL_NAME",
    "SIM_START",
    "SPEED",
    "DemoProgress",
    "DemoWorld",
    "PacedClock",
    "TrainedDemo",
    "WorldClock",
    "demo_world",
    "prepare_folder",
    "sim_config",
    "train_and_validate",
]
