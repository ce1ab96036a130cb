"""Numerai's hosted-runtime images: the Python each runs, its pinned packages, and choosing one.

The pins live in ``images.toml`` (one data file, edited when Numerai publishes new ones); this
module reads them once.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from numerpilot.errors import CheckFailed
from numerpilot.runtime._interpreters import PythonVersion, find_interpreter, install_hint

PINS_FILE = Path(__file__).with_name("images.toml")


@dataclass(frozen=True)
class RuntimeImage:
    name: str
    python: PythonVersion
    packages: Mapping[str, str]  # exact pins (distribution name -> version)
    source: str = ""  # where the pins were published
    experimental: bool = False

    @property
    def python_text(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"


def _parse_python(text: str, where: str) -> PythonVersion:
    match = re.fullmatch(r"(\d+)\.(\d+)", text.strip())
    if match is None:
        raise CheckFailed(f"{PINS_FILE}: {where}: python must look like '3.11', not {text!r}")
    return int(match.group(1)), int(match.group(2))


@functools.cache
def _load() -> tuple[dict[str, RuntimeImage], str]:
    data = tomllib.loads(PINS_FILE.read_text(encoding="utf-8"))
    images = {}
    for name, entry in data["images"].items():
        packages = {str(k): str(v) for k, v in entry["packages"].items()}
        images[name] = RuntimeImage(
            name=name,
            python=_parse_python(str(entry["python"]), f"images.{name}"),
            packages=packages,
            source=str(entry.get("source", "")),
            experimental=bool(entry.get("experimental", False)),
        )
    default = str(data["default"])
    if default not in images:
        raise CheckFailed(f"{PINS_FILE}: default image {default!r} is not listed")
    return images, default


IMAGES: dict[str, RuntimeImage] = _load()[0]
DEFAULT_IMAGE: str = _load()[1]


def image_name(python: PythonVersion) -> str:
    return f"numerai_predict_py_{python[0]}_{python[1]}"


def get_image(name: str) -> RuntimeImage:
    try:
        return IMAGES[name]
    except KeyError:
        raise CheckFailed(f"unknown runtime image {name!r}; known: {', '.join(IMAGES)}") from None


def image_for_python(python: PythonVersion) -> RuntimeImage | None:
    return IMAGES.get(image_name(python))


def resolve_image(choice: str | None) -> RuntimeImage:
    """The image a user names: an image name, or the Python it runs (``3.12``); None means
    Numerai's default image."""
    if choice is None:
        return IMAGES[DEFAULT_IMAGE]
    if choice in IMAGES:
        return IMAGES[choice]
    python = python_of_image_name(choice)
    image = image_for_python(python) if python is not None else None
    if image is None:
        known = ", ".join(i.python_text for i in IMAGES.values())
        raise CheckFailed(
            f"no Numerai runtime image for {choice!r}; Numerai runs Python {known} "
            f"(pins in {PINS_FILE.name})"
        )
    return image


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


__all__ = [
    "DEFAULT_IMAGE",
    "IMAGES",
    "RuntimeImage",
    "find_interpreter",
    "get_image",
    "image_for_python",
    "image_name",
    "install_hint",
    "python_of_image_name",
    "resolve_image",
    "select_data_version",
    "select_docker_image",
]
