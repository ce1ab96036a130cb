"""Facts about the house that any engineer can check: import cycles and who imports what.

Usage: python benchmarks/import_facts.py [REPO_DIR]   (default: this checkout)

Prints the strongly connected groups of modules that import each other at module level (an
import inside a function does not count: it runs later), and, for each library that one
package owns (DESIGN's rules), the modules outside that package that import it anywhere.
"""

from __future__ import annotations

import ast
import sys
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


def main() -> None:
    root = (Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1]) / "src"
    trees = {module_name(p, root): ast.parse(p.read_text()) for p in root.rglob("*.py")}
    graph = {
        name: {i for i in imported(tree, top_level=True) if i in trees and i != name}
        for name, tree in trees.items()
    }
    groups = cycles(graph)
    print(f"import cycles (module level): {len(groups)}")
    for group in groups:
        print("   ", " <-> ".join(group))
    for library, owners in OWNERS.items():
        outside = sorted(
            name
            for name, tree in trees.items()
            if name.partition(".")[2].partition(".")[0] not in owners
            and any(
                i == library or i.startswith(library + ".") for i in imported(tree, top_level=False)
            )
        )
        print(f"modules importing {library} outside {'/'.join(owners)}: {len(outside)}", *outside)
    largest = max(root.rglob("*.py"), key=lambda p: len(p.read_text().splitlines()))
    print(
        f"largest file: {largest.relative_to(root)}, {len(largest.read_text().splitlines())} lines"
    )


if __name__ == "__main__":
    main()
