"""Fixtures shared across the suite. Area-specific fixtures live in each area's conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads or writes the real ~/.numerai or real credentials from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in ("NUMERAI_PUBLIC_ID", "NUMERAI_SECRET_KEY", "NUMERPILOT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


# --- hosted-runtime emulator (numerpilot.runtime) ---------------------------------------------
def _runtime_cache(config: pytest.Config) -> Path:
    import os

    explicit = os.environ.get("NUMERPILOT_RUNTIME_CACHE")
    if explicit:
        return Path(explicit)
    # Built once per checkout in pytest's own cache folder (a throwaway: --cache-clear or a
    # fresh clone removes it), never in the user's real ~/.cache. Environments are keyed by
    # their pins, so checkouts with other pins never disturb each other.
    cache = getattr(config, "cache", None)  # absent with -p no:cacheprovider
    if cache is not None:
        return Path(cache.mkdir("numerpilot-runtimes"))
    folder = config.rootpath / ".pytest_cache" / "d" / "numerpilot-runtimes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(autouse=True, scope="session")
def _runtime_cache_env(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every runner in the suite (and subprocesses) reuses one cache of runtime environments."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NUMERPILOT_RUNTIME_CACHE", str(_runtime_cache(request.config)))
        yield


@pytest.fixture(scope="session")
def runtime_cache_dir(request: pytest.FixtureRequest) -> Path:
    """The cache with the default runtime image's environment built (once per checkout; about
    a minute and a half from the package registry the first time, reused after). Pass it to
    ``run_pickle``/``model_runner``/``upload_model``."""
    from numerpilot.runtime import DEFAULT_IMAGE, IMAGES, ensure_env

    cache = _runtime_cache(request.config)
    ensure_env(IMAGES[DEFAULT_IMAGE], cache)
    return cache


# --- local tournament (numerpilot.sim) --------------------------------------------------------
@pytest.fixture
def sim_server(tmp_path: Path, demo_data_dir: Path) -> Iterator[object]:
    """A real local tournament on 127.0.0.1 (ephemeral port) in a thread: a
    ``numerpilot.sim.RunningSim`` with ``url``, ``demo`` (public_id, secret_key,
    models ``demo_csv``/``demo_upload``), ``server`` and ``step(timedelta)``, which moves its
    ``SteppedClock`` and lets the world catch up. It starts at ``testing.DEFAULT_START``, a
    Tuesday 12:15 UTC: round 1190 is open and its staking closes at 13:00.
    Point numerapi at it with ``numerapi.base_api.API_TOURNAMENT_URL = sim.url`` or numerpilot
    with ``--api-url sim.url``."""
    from numerpilot.clock import SteppedClock
    from numerpilot.sim import DEFAULT_START, DataConfig, SimConfig, run_sim

    config = SimConfig(data=DataConfig(live_rows=200))
    with run_sim(
        tmp_path / "sim" / "sim.db",
        clock=SteppedClock(DEFAULT_START),
        config=config,
        datasets_dir=demo_data_dir,
    ) as sim:
        yield sim


# --- synthetic data (numerpilot.data.synth) ---------------------------------------------------
@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``v5.3/`` as ``write_dataset(dir, version="v5.3", scale="demo", seed=0)``
    writes it: Numerai's file set (120 train eras, 60 validation eras of which the last 4 are
    test, a live era; 80 features, 41 targets) and ``v5.3/oracle/``. Written once per session
    (~2 s) and shared: read it, never change it (copy it first)."""
    from numerpilot.data import write_dataset

    out = tmp_path_factory.mktemp("demo-data")
    write_dataset(out, version="v5.3", scale="demo", seed=0)
    return out
