"""Runtime images and their cached environments."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from numerpilot.errors import CheckFailed
from numerpilot.runtime import _envs as envs
from numerpilot.runtime._envs import MARKER, emulation_problem, ensure_env, env_root
from numerpilot.runtime._images import (
    DEFAULT_IMAGE,
    IMAGES,
    PINS_FILE,
    RuntimeImage,
    python_of_image_name,
    resolve_image,
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

    assert env.root == env_root(bare, tmp_path) and env.python.exists()
    assert env.root.name.startswith(f"{bare.name}-")
    assert json.loads((env.root / MARKER).read_text())["image"] == bare.name
    assert len(calls) == 1 and "once" in calls[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{env.root.name}.lock", env.root.name]

    def no_rebuild(*_: object) -> None:
        raise AssertionError("rebuilt a cached environment")

    monkeypatch.setattr(envs, "_build", no_rebuild)
    assert ensure_env(bare, tmp_path, on_build=calls.append) == env
    assert len(calls) == 1


def test_other_pins_get_their_own_environment(tmp_path: Path) -> None:
    image = IMAGES["numerai_predict_py_3_11"]
    newer = RuntimeImage(image.name, image.python, {**image.packages, "pandas": "9.9.9"})
    assert env_root(image, tmp_path) != env_root(newer, tmp_path)
    assert env_root(image, tmp_path) == env_root(IMAGES[image.name], tmp_path)
    root = env_root(image, tmp_path)
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").touch()
    recorded = {"image": image.name, "python": "3.11", "packages": {"pandas": "1.0"}}
    (root / MARKER).write_text(json.dumps(recorded))
    assert not envs._is_complete(root, image)
    recorded["packages"] = dict(image.packages)
    (root / MARKER).write_text(json.dumps(recorded))
    assert envs._is_complete(root, image)


def test_a_missing_python_says_exactly_what_to_install(tmp_path: Path) -> None:
    missing = RuntimeImage("numerai_predict_py_3_99", (3, 99), {"pandas": "2.3.1"})
    problem = emulation_problem(missing) or ""
    assert "no Python 3.99 on this machine" in problem
    assert "install Python 3.99 with 'pyenv install 3.99'" in problem or (
        "'uv python install 3.99'" in problem
    )
    with pytest.raises(CheckFailed, match=r"no Python 3\.99 on this machine"):
        ensure_env(missing, tmp_path)
    assert not env_root(missing, tmp_path).exists()


def test_every_image_numerai_publishes_has_its_pins_in_one_file() -> None:
    pythons = sorted(image.python for image in IMAGES.values())
    assert pythons == [(3, 10), (3, 11), (3, 12), (3, 13), (3, 14)]
    assert DEFAULT_IMAGE == "numerai_predict_py_3_11"
    assert PINS_FILE.name == "images.toml"
    for image in IMAGES.values():
        assert "numerai-predict" in image.source and image.python_text in image.source
        # what a LightGBM pickle, the harness and the image's scanner need
        for name in ("pandas", "numpy", "lightgbm", "cloudpickle", "pyarrow", "fickling"):
            assert name in image.packages, (image.name, name)
    assert [name for name, image in IMAGES.items() if image.experimental] == [
        "numerai_predict_py_3_14"
    ]


def test_image_pins_follow_numerai() -> None:
    """Spot checks against numerai-predict's py3.X/requirements.txt."""
    py310 = IMAGES["numerai_predict_py_3_10"].packages
    assert (py310["lightgbm"], py310["pandas"], py310["numpy"]) == ("4.0.0", "2.2.1", "1.26.4")
    py311 = IMAGES["numerai_predict_py_3_11"].packages
    assert (py311["lightgbm"], py311["pyarrow"], py311["fickling"]) == ("4.6.0", "21.0.0", "0.1.4")
    py313 = IMAGES["numerai_predict_py_3_13"].packages
    assert (py313["pandas"], py313["numpy"], py313["fickling"]) == ("2.3.3", "2.2.6", "0.1.9")


@pytest.mark.parametrize(
    ("choice", "image"),
    [
        (None, "numerai_predict_py_3_11"),
        ("3.12", "numerai_predict_py_3_12"),
        ("numerai_predict_py_3_10", "numerai_predict_py_3_10"),
        ("Python 3.13", "numerai_predict_py_3_13"),
    ],
)
def test_the_image_a_user_names(choice: str | None, image: str) -> None:
    assert resolve_image(choice).name == image


def test_an_image_numerai_does_not_run_is_refused() -> None:
    with pytest.raises(CheckFailed, match=r"no Numerai runtime image for '3\.9'.*3\.10"):
        resolve_image("3.9")


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
