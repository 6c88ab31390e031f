"""The code's layers point one way, and no module imports itself back (run as a script, it prints the findings).

`sluice/` (plain Python: the stages and their rules) < `orchestration/` (resources, partitions, jobs, schedules,
sensors) < `assets/` (the asset graph by zone) < `definitions.py` (the code location) < `cli/` (the `sluice`
command). Every import is read from the source, those inside functions included.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("sluice", "orchestration", "assets", "definitions", "cli")


def modules() -> dict[str, Path]:
    found = {"definitions": ROOT / "definitions.py"}
    for package in ("sluice", "orchestration", "assets", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports(found: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of the project's own modules (a `from package import module` names the module)."""
    graph = {}
    for name, path in found.items():
        targets = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in found else base for a in node.names}
        graph[name] = {t for t in targets if t in found and t != name}
    return graph


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a layer into one above it."""
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                  if rank[b.split(".")[0]] > rank[a.split(".")[0]])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_import_points_down_the_layers():
    graph = imports(modules())
    assert len(graph) > 80 and sum(map(len, graph.values())) > 200  # the whole project was read
    assert "orchestration.resources" in graph["assets.private"] and "sluice.ingest.landing" in graph["assets.private"]
    assert upward(graph) == []


def test_no_module_imports_itself_back():
    assert cycles(imports(modules())) == []


def test_the_checks_see_a_wrong_import():
    graph = imports(modules())
    graph["sluice.platform.home"] = graph["sluice.platform.home"] | {"orchestration.resources"}
    graph["orchestration.resources"] = graph["orchestration.resources"] | {"sluice.platform.home"}
    assert upward(graph) == ["sluice.platform.home -> orchestration.resources"]
    assert any({"orchestration.resources", "sluice.platform.home"} <= set(group) for group in cycles(graph))


if __name__ == "__main__":
    graph = imports(modules())
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports; upward: {upward(graph) or 'none'}; "
          f"cycles: {cycles(graph) or 'none'}")


def test_the_readmes_code_map_names_every_module_and_only_those():
    readme = (ROOT / "README.md").read_text()
    code_map = readme.split("## Code map", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([\w/]+\.py)`", code_map))
    modules_in_tree = {path for name, path in modules().items() if path.name != "__init__.py"}
    missing = sorted(str(p.relative_to(ROOT)) for p in modules_in_tree if p.name not in {Path(n).name for n in named}
                     and p.parent.name not in ("importers",))  # the importers are named as a folder
    assert missing == []
    files = {p.name for p in modules_in_tree} | {"definitions.py"}
    assert sorted(n for n in named if Path(n).name not in files and not (ROOT / n).is_file()) == []
