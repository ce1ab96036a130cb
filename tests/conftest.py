"""Fixtures shared across the suite. Area-specific fixtures live in each area's conftest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real ~/.numerai or real credentials from the environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in ("NUMERAI_PUBLIC_ID", "NUMERAI_SECRET_KEY", "NUMERPILOT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


# --- hosted-runtime emulator (numerpilot.runtime) ---------------------------------------------
def _runtime_cache() -> Path:
    import os
    import pwd

    explicit = os.environ.get("NUMERPILOT_RUNTIME_CACHE")
    if explicit:
        return Path(explicit)
    # The real home (tests redirect $HOME): the environments are costly and safe to share.
    return Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "numerpilot" / "runtimes"


@pytest.fixture(autouse=True, scope="session")
def _runtime_cache_env() -> Iterator[None]:
    """Every runner in the suite (and subprocesses) reuses one cache of runtime environments."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NUMERPILOT_RUNTIME_CACHE", str(_runtime_cache()))
        yield


@pytest.fixture(scope="session")
def runtime_cache_dir() -> Path:
    """The cache with the default runtime image's environment built (once; ~30 s from the
    package registry the first time, reused after). Pass it to ``run_pickle``/``model_runner``."""
    from numerpilot.runtime import DEFAULT_IMAGE, IMAGES, ensure_env

    cache = _runtime_cache()
    ensure_env(IMAGES[DEFAULT_IMAGE], cache)
    return cache
