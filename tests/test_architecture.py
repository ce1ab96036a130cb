"""Facts of the house (docs/ARCHITECTURE.md), checked with benchmarks/import_facts.py's code:
package faces are respected and each owned library stays in its package."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).parents[1]


def _facts() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "import_facts", ROOT / "benchmarks" / "import_facts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("import_facts", module)
    spec.loader.exec_module(module)
    return module


facts = _facts()


def _test_package(module: str) -> str:
    """The package a test module tests: ``tests.data.test_load`` -> ``data``,
    ``tests.test_cli_contract`` -> ``cli``, ``tests.test_config`` -> ``config``."""
    parts = module.split(".")
    if len(parts) > 2:
        return parts[1]
    return parts[-1].removeprefix("test_").split("_")[0]


def test_no_module_imports_another_packages_private_module() -> None:
    found = facts.private_imports(facts.load_modules(ROOT / "src"))
    assert found == [], "\n".join(f"{a} imports {b}" for a, b in found)


def test_tests_import_private_modules_only_of_the_package_they_test() -> None:
    trees = facts.load_modules(ROOT / "tests")
    trees = {f"tests.{name}": tree for name, tree in trees.items()}
    found = facts.private_imports(trees, package=_test_package)
    assert found == [], "\n".join(f"{a} imports {b}" for a, b in found)


def test_owned_libraries_are_imported_only_by_their_packages() -> None:
    # lightgbm: models/ and runtime/; numerapi: tournament/; dask and optuna: research/.
    outside = facts.owned_library_importers(facts.load_modules(ROOT / "src"))
    assert set(outside) == {"lightgbm", "numerapi", "dask", "optuna"}
    assert {lib: names for lib, names in outside.items() if names} == {}


def test_the_checks_see_a_violation() -> None:
    # The checks above pass on an empty result: show they find what they look for.
    trees = {
        "numerpilot.agent.x": ast.parse("def f():\n    from numerpilot.data._reader import g\n"),
        "numerpilot.data.y": ast.parse("from numerpilot.data import _reader\n"),
        "numerpilot.report.z": ast.parse("import lightgbm.basic\n"),
        "numerpilot.runtime.w": ast.parse("import lightgbm\n"),
    }
    assert facts.private_imports(trees) == [
        ("numerpilot.agent.x", "numerpilot.data._reader"),
        ("numerpilot.agent.x", "numerpilot.data._reader.g"),
    ]
    assert facts.owned_library_importers(trees)["lightgbm"] == ["numerpilot.report.z"]
    assert _test_package("tests.test_cli_contract") == "cli"
    assert _test_package("tests.pipeline.test_submit") == "pipeline"
