"""Numerai's hosted-runtime images: the Python each runs, its pinned packages, and choosing one.

The pins are Numerai's published requirements per image (NUMERAI.md). An image whose pins are
not known here is still recognised (so a pickle built for it is named correctly) but cannot be
emulated.
"""

from __future__ import annotations

import functools
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from numerpilot.errors import CheckFailed

PythonVersion = tuple[int, int]

_PINS_311 = {
    "pandas": "2.3.1",
    "numpy": "2.1.3",
    "scipy": "1.16.0",
    "lightgbm": "4.6.0",
    "cloudpickle": "3.1.1",
    "pyarrow": "21.0.0",
    "scikit-learn": "1.6.1",
}
_PINS_312 = {**_PINS_311, "lightgbm": "4.5.0", "pyarrow": "18.1.0"}
_PINS_313 = {
    **_PINS_312,
    "pandas": "2.3.3",
    "numpy": "2.2.6",
    "scipy": "1.17.1",
    "cloudpickle": "3.1.2",
}


@dataclass(frozen=True)
class RuntimeImage:
    name: str
    python: PythonVersion
    packages: Mapping[str, str] | None  # exact pins; None: not published, cannot be emulated

    @property
    def python_text(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"


IMAGES: dict[str, RuntimeImage] = {
    image.name: image
    for image in (
        RuntimeImage("numerai_predict_py_3_10", (3, 10), None),
        RuntimeImage("numerai_predict_py_3_11", (3, 11), _PINS_311),
        RuntimeImage("numerai_predict_py_3_12", (3, 12), _PINS_312),
        RuntimeImage("numerai_predict_py_3_13", (3, 13), _PINS_313),
    )
}
DEFAULT_IMAGE = "numerai_predict_py_3_11"


def image_name(python: PythonVersion) -> str:
    return f"numerai_predict_py_{python[0]}_{python[1]}"


def get_image(name: str) -> RuntimeImage:
    try:
        return IMAGES[name]
    except KeyError:
        raise CheckFailed(f"unknown runtime image {name!r}; known: {', '.join(IMAGES)}") from None


def image_for_python(python: PythonVersion) -> RuntimeImage | None:
    return IMAGES.get(image_name(python))


def python_of_image_name(name: str) -> PythonVersion | None:
    """The Python version an image name offered by the API stands for: the tournament may
    call it ``numerai_predict_py_3_11`` or ``Python 3.11``."""
    match = re.search(r"(\d)[._](\d{1,2})(?!\d)", name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def select_docker_image(offered: Mapping[str, str], python: PythonVersion) -> tuple[str, str]:
    """(name, id) of the offered image running ``python``; ``CheckFailed`` when none fits."""
    for name, image_id in offered.items():
        if python_of_image_name(name) == python:
            return name, image_id
    listed = ", ".join(sorted(offered)) or "none"
    raise CheckFailed(
        f"the tournament offers no runtime image for Python {python[0]}.{python[1]} "
        f"(offered: {listed}); choose another runtime image for the model"
    )


def select_data_version(offered: Mapping[str, str], version: str) -> tuple[str, str]:
    """(name, id) of the offered data version ``version`` (``v5.3``, also ``5.3``)."""
    wanted = version.lstrip("v")
    for name, version_id in offered.items():
        if name.lstrip("v") == wanted:
            return name, version_id
    listed = ", ".join(sorted(offered)) or "none"
    raise CheckFailed(
        f"the tournament's model runtime offers no data version {version} (offered: {listed}); "
        "retrain the model on an offered version"
    )


def _real_home() -> Path:
    # Not $HOME: a caller may have redirected it (tests do), interpreters stay where they are.
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def _candidates(python: PythonVersion) -> list[Path]:
    major, minor = python
    found: list[Path] = []
    if sys.version_info[:2] == python:
        found.append(Path(sys.executable))
    roots = [os.environ.get("PYENV_ROOT"), str(_real_home() / ".pyenv")]
    for root in filter(None, roots):
        found += sorted(Path(root).glob(f"versions/{major}.{minor}.*/bin/python{major}.{minor}"))
    for directory in ("/usr/local/bin", "/usr/bin"):
        found.append(Path(directory) / f"python{major}.{minor}")
    on_path = shutil.which(f"python{major}.{minor}")
    if on_path:
        found.append(Path(on_path))
    return list(dict.fromkeys(found))


@functools.cache
def find_interpreter(python: PythonVersion) -> Path | None:
    """A working interpreter of this minor version on this machine (with venv), or None."""
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    for path in _candidates(python):
        if not path.exists():
            continue
        try:
            done = subprocess.run(
                [str(path), "-I", "-c", probe], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0 and done.stdout.strip() == f"{python[0]}.{python[1]}":
            return path
    return None


__all__ = [
    "DEFAULT_IMAGE",
    "IMAGES",
    "RuntimeImage",
    "find_interpreter",
    "get_image",
    "image_for_python",
    "image_name",
    "python_of_image_name",
    "select_data_version",
    "select_docker_image",
]
