"""The house's layering, checked on the source itself (``benchmarks/import_facts.py``)."""

from __future__ import annotations

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


def test_the_facts_see_a_cycle_and_a_stray_import(tmp_path: Path) -> None:
    """The checks above can fail: a tiny tree with both faults is reported."""
    package = tmp_path / "src" / "numerpilot"
    for name, text in {
        "__init__.py": "",
        "sim/__init__.py": "from numerpilot.sim.server import Server\n",
        "sim/server.py": "from numerpilot.sim import helpers\n",
        "sim/helpers.py": "",
        "pipeline/__init__.py": "",
        "pipeline/demo.py": "def start():\n    from numerpilot.sim import Server\n",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    found = collect(tmp_path)
    assert found.cycles == [["numerpilot.sim", "numerpilot.sim.server"]]
    assert found.outside["numerpilot.sim"] == ["numerpilot.pipeline.demo"]
