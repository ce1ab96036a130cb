"""Facts about the house that any engineer can check: import cycles and who imports what.

Usage: python benchmarks/import_facts.py [REPO_DIR]   (default: this checkout)

Prints the strongly connected groups of modules that import each other at module level (an
import inside a function does not count: it runs later), for each library that one package
owns (DESIGN's rules) the modules outside that package that import it anywhere, and the
imports of another package's private module (``numerpilot.X._y`` from outside ``X``).
tests/test_architecture.py asserts these facts with the functions below.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

OWNERS = {
    "lightgbm": ("models", "runtime"),
    "numerapi": ("tournament",),
    "dask": ("research",),
    "optuna": ("research",),
}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, *, top_level: bool) -> list[str]:
    nodes = tree.body if top_level else list(ast.walk(tree))
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def load_modules(root: Path) -> dict[str, ast.Module]:
    """Every module under ``root`` (a ``src`` folder or ``tests``), parsed, by dotted name."""
    return {module_name(p, root): ast.parse(p.read_text()) for p in root.rglob("*.py")}


def package_of(module: str) -> str:
    """``numerpilot.data.load`` -> ``data``; a top-level module is its own package."""
    return module.split(".")[1] if module.count(".") else module


def owned_library_importers(trees: dict[str, ast.Module]) -> dict[str, list[str]]:
    """For each owned library, the modules outside its owners that import it anywhere."""
    return {
        library: sorted(
            name
            for name, tree in trees.items()
            if name.partition(".")[2].partition(".")[0] not in owners
            and any(
                i == library or i.startswith(library + ".") for i in imported(tree, top_level=False)
            )
        )
        for library, owners in OWNERS.items()
    }


def private_module(name: str) -> str | None:
    """``numerpilot.X._y`` (or a name inside it) -> ``X``: the package whose private module
    ``name`` is; None for anything else."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[0] == "numerpilot" and parts[2].startswith("_"):
        return None if parts[2].startswith("__") else parts[1]
    return None


def private_imports(
    trees: dict[str, ast.Module], package: Callable[[str], str] = package_of
) -> list[tuple[str, str]]:
    """(importer, imported) for every import of another package's private module;
    ``package(importer)`` names the package an importer belongs to."""
    found = []
    for name, tree in sorted(trees.items()):
        for i in imported(tree, top_level=False):
            owner = private_module(i)
            if owner is not None and owner != package(name):
                found.append((name, i))
    return found


def main() -> None:
    root = (Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1]) / "src"
    trees = load_modules(root)
    graph = {
        name: {i for i in imported(tree, top_level=True) if i in trees and i != name}
        for name, tree in trees.items()
    }
    groups = cycles(graph)
    print(f"import cycles (module level): {len(groups)}")
    for group in groups:
        print("   ", " <-> ".join(group))
    for library, outside in owned_library_importers(trees).items():
        owners = "/".join(OWNERS[library])
        print(f"modules importing {library} outside {owners}: {len(outside)}", *outside)
    private = private_imports(trees)
    print(f"imports of another package's private module: {len(private)}")
    for importer, name in private:
        print(f"    {importer} imports {name}")
    largest = max(root.rglob("*.py"), key=lambda p: len(p.read_text().splitlines()))
    print(
        f"largest file: {largest.relative_to(root)}, {len(largest.read_text().splitlines())} lines"
    )


if __name__ == "__main__":
    main()
