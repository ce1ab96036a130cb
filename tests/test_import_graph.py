"""The import graph's shape, checked on the source with ``benchmarks/import_facts.py``'s code:
no module-level cycles, the local tournament imported only by the commands that start it, and
the lazy faces of ``sim/`` and ``runtime/`` as the only way into those packages."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from benchmarks.import_facts import cycles, imported, module_name

SRC = Path(__file__).resolve().parents[1] / "src"
# The local tournament stands apart: only the commands that start it use it.
SIM_USERS = ("sim", "cli", "demo")
FACES = ("numerpilot.sim", "numerpilot.runtime")


def _trees(root: Path) -> dict[str, ast.Module]:
    return {module_name(p, root): ast.parse(p.read_text()) for p in root.rglob("*.py")}


def _cycles(trees: dict[str, ast.Module]) -> list[list[str]]:
    graph = {
        name: {i for i in imported(tree, top_level=True) if i in trees and i != name}
        for name, tree in trees.items()
    }
    return cycles(graph)


def _sim_importers(trees: dict[str, ast.Module]) -> list[str]:
    return sorted(
        name
        for name, tree in trees.items()
        if name.partition(".")[2].partition(".")[0] not in SIM_USERS
        and any(i.split(".")[:2] == ["numerpilot", "sim"] for i in imported(tree, top_level=False))
    )


def _private_imports(trees: dict[str, ast.Module], package: str) -> list[tuple[str, str]]:
    """(importer, name) for each import of ``package``'s private modules from outside it."""
    depth = package.count(".") + 1
    return sorted(
        (name, i)
        for name, tree in trees.items()
        if name != package and not name.startswith(package + ".")
        for i in imported(tree, top_level=False)
        if i.startswith(package + ".") and i.split(".")[depth].startswith("_")
    )


@pytest.fixture(scope="module")
def trees() -> dict[str, ast.Module]:
    return _trees(SRC)


def test_no_module_level_import_cycles(trees: dict[str, ast.Module]) -> None:
    assert _cycles(trees) == []


def test_only_the_commands_that_start_it_import_the_local_tournament(
    trees: dict[str, ast.Module],
) -> None:
    # pipeline/ and agent/ above all: the demo that starts the tournament sits above them.
    assert _sim_importers(trees) == []


@pytest.mark.parametrize("package", FACES)
def test_other_packages_enter_through_the_face(trees: dict[str, ast.Module], package: str) -> None:
    assert _private_imports(trees, package) == []


@pytest.mark.parametrize("package", FACES)
def test_every_name_of_a_lazy_face_is_its_modules_own(package: str) -> None:
    face = import_module(package)
    assert sorted(face.__all__) == sorted(face._WHERE)
    for name in face.__all__:
        home = import_module(f"{package}.{face._WHERE[name]}")
        assert getattr(face, name) is getattr(home, name), name
    with pytest.raises(AttributeError, match="no attribute 'Nonesuch'"):
        face.Nonesuch  # noqa: B018


def test_the_faces_import_nothing_heavy() -> None:
    """A command that needs one name (the calendar, an interpreter) does not load the server."""
    code = (
        "import sys, numerpilot.sim, numerpilot.runtime\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(eval(done.stdout))  # a printed list of names
    heavy = {"pandas", "numpy", "lightgbm", "sqlalchemy", "starlette", "ariadne", "pydantic"}
    assert not loaded & heavy, loaded & heavy


def test_the_checks_see_a_cycle_and_stray_imports(tmp_path: Path) -> None:
    """The checks above can fail: a tiny tree with each fault is reported."""
    package = tmp_path / "numerpilot"
    for name, text in {
        "__init__.py": "",
        "sim/__init__.py": "from numerpilot.sim.server import Server\n",
        "sim/server.py": "from numerpilot.sim import _helpers\n",
        "sim/_helpers.py": "",
        "pipeline/__init__.py": "",
        "pipeline/demo.py": "def start():\n    from numerpilot.sim import Server\n",
        "pipeline/tidy.py": "from numerpilot.sim._helpers import x\n",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    found = _trees(tmp_path)
    assert _cycles(found) == [["numerpilot.sim", "numerpilot.sim.server"]]
    assert _sim_importers(found) == ["numerpilot.pipeline.demo", "numerpilot.pipeline.tidy"]
    assert _private_imports(found, "numerpilot.sim") == [
        ("numerpilot.pipeline.tidy", "numerpilot.sim._helpers"),
        ("numerpilot.pipeline.tidy", "numerpilot.sim._helpers.x"),
    ]
