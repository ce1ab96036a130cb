"""The house's layering, checked on the source itself (``benchmarks/import_facts.py``)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.import_facts import OWNERS, Facts, collect

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def facts() -> Facts:
    return collect(REPO)


def test_no_module_level_import_cycles(facts: Facts) -> None:
    assert facts.cycles == []


def test_owned_libraries_are_imported_only_by_their_packages(facts: Facts) -> None:
    assert facts.outside == {library: [] for library in OWNERS}


def test_the_autopilot_never_imports_the_local_tournament(facts: Facts) -> None:
    # Said on its own because it is the rule the demo's place depends on.
    below = [m for m in facts.outside["numerpilot.sim"] if m.split(".")[1] in ("pipeline", "agent")]
    assert below == []


def test_sim_and_runtime_are_entered_through_their_faces(facts: Facts) -> None:
    strays = [(a, m) for a, m in facts.private if m.split(".")[1] in ("sim", "runtime")]
    assert strays == []


@pytest.mark.parametrize("package", ["numerpilot.sim", "numerpilot.runtime"])
def test_every_name_of_a_lazy_face_resolves(package: str) -> None:
    face = importlib.import_module(package)
    assert sorted(face.__all__) == sorted(face._HOMES)
    for name in face.__all__:
        home = importlib.import_module(f"{package}.{face._HOMES[name]}")
        assert getattr(face, name) is getattr(home, name), name


def test_the_faces_import_nothing_heavy() -> None:
    """Commands that need one name (``sim calendar``, ``doctor``) do not pay for the server."""
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


def test_the_facts_see_a_cycle_and_stray_imports(tmp_path: Path) -> None:
    """The checks above can fail: a tiny tree with each fault is reported."""
    package = tmp_path / "src" / "numerpilot"
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
    found = collect(tmp_path)
    assert found.cycles == [["numerpilot.sim", "numerpilot.sim.server"]]
    assert found.outside["numerpilot.sim"] == [
        "numerpilot.pipeline.demo",
        "numerpilot.pipeline.tidy",
    ]
    assert found.private == [("numerpilot.pipeline.tidy", "numerpilot.sim._helpers")]
