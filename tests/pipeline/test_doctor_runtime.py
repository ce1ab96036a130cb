"""doctor's runtime check: the Python that builds each upload model's pickle is found, or
what to install is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from numerpilot import runtime
from numerpilot.config import ModelEntry, load_settings
from numerpilot.pipeline import doctor


def test_the_python_of_each_upload_models_image_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(tmp_path)
    settings.tournament.models = [
        ModelEntry(name="a", mode="upload"),
        ModelEntry(name="b", mode="upload", runtime_image="3.12"),
        ModelEntry(name="c", mode="csv", runtime_image="3.13"),  # csv: no pickle built
    ]
    asked: list[tuple[int, int]] = []

    def only_311(python: tuple[int, int]) -> Path | None:
        asked.append(python)
        return Path("/usr/bin/python3.11") if python == (3, 11) else None

    monkeypatch.setattr(runtime, "find_interpreter", only_311)
    check = doctor._runtime(settings)
    assert sorted(asked) == [(3, 11), (3, 12)]
    assert check.status == "warn"
    assert check.detail.startswith("model pickles cannot be built for numerai_predict_py_3_12: ")
    assert "install Python 3.12 with" in check.detail

    monkeypatch.setattr(runtime, "find_interpreter", lambda _p: Path("/x/python"))
    check = doctor._runtime(settings)
    assert check.status == "ok" and "numerai_predict_py_3_12 (Python at /x/python)" in check.detail
