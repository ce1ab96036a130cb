"""Package faces that load their names on first use (PEP 562): every public name resolves to
the object its module defines, an unknown name is an AttributeError, and importing the face
loads nothing heavy until a name is used."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

# Each lazy face, and what importing it alone must not load.
FACES = {
    "numerpilot.agent": {"sqlalchemy", "numerapi", "pandas"},
    "numerpilot.tournament": {"numerapi", "requests", "sqlalchemy"},
}
NAMES = [(package, name) for package in FACES for name in importlib.import_module(package).__all__]


@pytest.mark.parametrize(("package", "name"), NAMES)
def test_every_public_name_is_its_modules_own(package: str, name: str) -> None:
    face = importlib.import_module(package)
    module = importlib.import_module(f"{package}.{face._WHERE[name]}")
    assert getattr(face, name) is getattr(module, name)


@pytest.mark.parametrize("package", FACES)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    face = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no attribute 'Nonesuch'"):
        face.Nonesuch  # noqa: B018


@pytest.mark.parametrize(("package", "heavy"), FACES.items())
def test_importing_the_face_loads_nothing_heavy(package: str, heavy: set[str]) -> None:
    code = f"import sys, {package}\nprint(sorted(set({sorted(heavy)!r}) & set(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
