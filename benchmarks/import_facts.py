"""Facts about the house that any engineer can check: import cycles and who imports what.

Usage: python benchmarks/import_facts.py [REPO_DIR]   (default: this checkout)

Prints the strongly connected groups of modules that import each other at module level (an
import inside a function does not count: it runs later), and, for each library that one
package owns (DESIGN's rules), the modules outside that package that import it anywhere, and
the modules that reach into another package's private modules instead of its face.
tests/test_architecture.py asserts the same facts through ``collect``.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

OWNERS = {
    "lightgbm": ("models", "runtime"),
    "numerapi": ("tournament",),
    "dask": ("research",),
    "optuna": ("research",),
    # The local tournament stands apart: only the commands that start it use it.
    "numerpilot.sim": ("sim", "cli", "demo"),
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


@dataclass(frozen=True)
class Facts:
    cycles: list[list[str]]
    outside: dict[str, list[str]]  # owned library -> modules importing it outside its owners
    private: list[tuple[str, str]]  # (importer, another package's private module)
    largest: tuple[str, int]  # path under src/, lines


def collect(repo: Path) -> Facts:
    root = repo / "src"
    trees = {module_name(p, root): ast.parse(p.read_text()) for p in root.rglob("*.py")}
    graph = {
        name: {i for i in imported(tree, top_level=True) if i in trees and i != name}
        for name, tree in trees.items()
    }
    anywhere = {name: imported(tree, top_level=False) for name, tree in trees.items()}
    outside = {
        library: sorted(
            name
            for name, names in anywhere.items()
            if name.partition(".")[2].partition(".")[0] not in owners
            and any(i == library or i.startswith(library + ".") for i in names)
        )
        for library, owners in OWNERS.items()
    }
    private = sorted(
        {
            (name, ".".join(parts[: next(i for i, p in enumerate(parts) if _private(p)) + 1]))
            for name, names in anywhere.items()
            for parts in (i.split(".") for i in names)
            if parts[0] == "numerpilot"
            and any(_private(p) for p in parts[2:])
            and name.split(".")[:2] != parts[:2]
        }
    )
    largest = max(root.rglob("*.py"), key=lambda p: len(p.read_text().splitlines()))
    lines = len(largest.read_text().splitlines())
    return Facts(cycles(graph), outside, private, (str(largest.relative_to(root)), lines))


def _private(part: str) -> bool:
    return part.startswith("_") and not part.endswith("__")


def main() -> None:
    facts = collect(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1])
    print(f"import cycles (module level): {len(facts.cycles)}")
    for group in facts.cycles:
        print("   ", " <-> ".join(group))
    for library, modules in facts.outside.items():
        owners = "/".join(OWNERS[library])
        print(f"modules importing {library} outside {owners}: {len(modules)}", *modules)
    print(f"imports of another package's private module: {len(facts.private)}")
    for importer, module in facts.private:
        print(f"    {importer} -> {module}")
    print(f"largest file: {facts.largest[0]}, {facts.largest[1]} lines")


if __name__ == "__main__":
    main()
