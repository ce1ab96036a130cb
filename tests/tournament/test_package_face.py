"""The tournament package's face: every public name resolves to the object its module defines, and
importing the face loads nothing heavy until a name is used."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import numerpilot.tournament as face


@pytest.mark.parametrize("name", face.__all__)
def test_every_public_name_is_its_modules_own(name: str) -> None:
    value = getattr(face, name)
    module = importlib.import_module(f"numerpilot.tournament.{face._WHERE[name]}")
    assert value is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'TournamentClent'"):
        face.TournamentClent  # noqa: B018


def test_the_face_imports_no_database_or_tournament_client() -> None:
    code = (
        "import sys, numerpilot.tournament\n"
        "print(sorted({'numerapi', 'requests', 'sqlalchemy'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
