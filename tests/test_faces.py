"""lazy_face: the one PEP 562 ``__getattr__`` every package face uses."""

from __future__ import annotations

import sys
import types

import pytest

from numerpilot.faces import lazy_face


@pytest.fixture
def package(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A package ``facepkg`` whose private module ``_home`` defines ``value``."""
    face = types.ModuleType("facepkg")
    face.__path__ = []
    home = types.ModuleType("facepkg._home")
    home.value = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "facepkg", face)
    monkeypatch.setitem(sys.modules, "facepkg._home", home)
    return face


@pytest.mark.parametrize("cache", [True, False])
def test_a_name_comes_from_its_module_and_caching_decides_what_a_patch_shows(
    package: types.ModuleType, cache: bool
) -> None:
    package.__getattr__ = lazy_face("facepkg", {"value": "_home"}, cache=cache)  # type: ignore[attr-defined]
    assert package.value == 1
    assert ("value" in vars(package)) is cache
    sys.modules["facepkg._home"].value = 2  # type: ignore[attr-defined]
    # A cached face keeps what it found; an uncached one sees the patched module.
    assert package.value == (1 if cache else 2)


def test_an_unknown_name_is_an_attribute_error(package: types.ModuleType) -> None:
    package.__getattr__ = lazy_face("facepkg", {"value": "_home"}, cache=True)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="module 'facepkg' has no attribute 'other'"):
        package.other  # noqa: B018
    assert not hasattr(package, "other")
