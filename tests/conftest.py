"""Fixtures shared across the suite. Area-specific fixtures live in each area's conftest."""

from __future__ import annotations

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
