"""A package's face that loads its names on first use (PEP 562), shared by every package.

Each package's ``__init__.py`` maps its public names to the private module that defines
them (``_WHERE``) and sets ``__getattr__ = lazy_face(__name__, _WHERE, cache=...)``; names it
imports under ``TYPE_CHECKING`` keep type checkers and editors exact. Importing a face so costs
nothing until a name is used, which keeps ``numerpilot --version`` and ``status`` fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_face(package: str, where: Mapping[str, str], *, cache: bool) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``name`` comes from ``package.where[name]``.

    With ``cache`` the first lookup stores the value on the package, so later ones never come
    back here. Without it every access asks the defining module again, so a test that patches
    a name there is seen through the face too.
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{module}"), name)
        if cache:
            namespace[name] = value
        return value

    return __getattr__


__all__ = ["lazy_face"]
