"""Runtime images and their cached environments."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from numerpilot.errors import CheckFailed
from numerpilot.runtime import envs
from numerpilot.runtime.envs import MARKER, emulation_problem, ensure_env
from numerpilot.runtime.images import (
    IMAGES,
    RuntimeImage,
    python_of_image_name,
    select_data_version,
    select_docker_image,
)

HERE = (sys.version_info[0], sys.version_info[1])


def test_an_environment_is_built_once_atomically_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = RuntimeImage("numerai_predict_py_test", HERE, {})  # no pins: a quick bare venv
    calls: list[str] = []

    env = ensure_env(bare, tmp_path, on_build=calls.append)

    assert env.root == tmp_path / bare.name and env.python.exists()
    assert json.loads((env.root / MARKER).read_text())["image"] == bare.name
    assert len(calls) == 1 and "once" in calls[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{bare.name}.lock", bare.name]

    def no_rebuild(*_: object) -> None:
        raise AssertionError("rebuilt a cached environment")

    monkeypatch.setattr(envs, "_build", no_rebuild)
    assert ensure_env(bare, tmp_path, on_build=calls.append) == env
    assert len(calls) == 1


def test_an_environment_with_other_pins_is_not_reused(tmp_path: Path) -> None:
    image = IMAGES["numerai_predict_py_3_11"]
    root = tmp_path / image.name
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").touch()
    recorded = {"image": image.name, "python": "3.11", "packages": {"pandas": "1.0"}}
    (root / MARKER).write_text(json.dumps(recorded))
    assert not envs._is_complete(root, image)
    recorded["packages"] = dict(image.packages or {})
    (root / MARKER).write_text(json.dumps(recorded))
    assert envs._is_complete(root, image)


def test_images_that_cannot_be_emulated_are_explained(tmp_path: Path) -> None:
    missing = RuntimeImage("numerai_predict_py_3_99", (3, 99), {"pandas": "2.3.1"})
    assert "no Python 3.99 on this machine" in (emulation_problem(missing) or "")
    with pytest.raises(CheckFailed, match=r"no Python 3\.99 on this machine"):
        ensure_env(missing, tmp_path)
    unknown = IMAGES["numerai_predict_py_3_10"]
    with pytest.raises(CheckFailed, match="pinned packages of numerai_predict_py_3_10"):
        ensure_env(unknown, tmp_path)


def test_image_pins_follow_numerai() -> None:
    assert IMAGES["numerai_predict_py_3_11"].packages == {
        "pandas": "2.3.1",
        "numpy": "2.1.3",
        "scipy": "1.16.0",
        "lightgbm": "4.6.0",
        "cloudpickle": "3.1.1",
        "pyarrow": "21.0.0",
        "scikit-learn": "1.6.1",
    }
    py312 = IMAGES["numerai_predict_py_3_12"].packages or {}
    assert (py312["lightgbm"], py312["pyarrow"], py312["pandas"]) == ("4.5.0", "18.1.0", "2.3.1")
    py313 = IMAGES["numerai_predict_py_3_13"].packages or {}
    assert (py313["pandas"], py313["numpy"], py313["scipy"], py313["cloudpickle"]) == (
        "2.3.3",
        "2.2.6",
        "1.17.1",
        "3.1.2",
    )


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("numerai_predict_py_3_11", (3, 11)),
        ("Python 3.12", (3, 12)),
        ("py3.10", (3, 10)),
        ("latest", None),
    ],
)
def test_image_names_of_the_api_are_understood(name: str, version: tuple[int, int] | None) -> None:
    assert python_of_image_name(name) == version


def test_docker_image_and_data_version_selection() -> None:
    offered = {"Python 3.10": "id-10", "numerai_predict_py_3_11": "id-11"}
    assert select_docker_image(offered, (3, 11)) == ("numerai_predict_py_3_11", "id-11")
    with pytest.raises(CheckFailed, match=r"no runtime image for Python 3\.13 \(offered: "):
        select_docker_image(offered, (3, 13))
    assert select_data_version({"v5.2": "a", "v5.3": "b"}, "v5.3") == ("v5.3", "b")
    assert select_data_version({"5.3": "b"}, "v5.3") == ("5.3", "b")
    with pytest.raises(CheckFailed, match=r"no data version v5\.3"):
        select_data_version({"v5.2": "a"}, "v5.3")
