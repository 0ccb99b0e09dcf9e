"""The layout keeps its shape: dependencies point one way (see docs/architecture.md).

Reads the imports of every module under backend/ (also imports inside functions, which is where an
import circle likes to hide) and checks the rules: services never import routes, models import no
service or route, the content package imports nothing above it, no route module imports another,
and no import circle. `python -m tests.test_architecture` prints the figures.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The parts, from the ground up; a name covers the module and, for a package, everything in it.
CONTENT = "backend.content"
MODELS = ("backend.models",)
SERVICES = "backend.services"
ROUTES = "backend.routes"
# View plumbing every route may share (routes/common.py): the one route module others may import.
SHARED_ROUTES = "backend.routes.common"
# What stands above the services: the web layer, the command line and the app factory.
ABOVE_SERVICES = (
    "backend.routes",
    "backend.cli",
    "backend.auth",
    "backend.i18n",
    "backend.forms",
    "backend.template_helpers",
)


def module_name(path: Path, root: Path) -> str:
    """backend/services/alerts/__init__.py -> backend.services.alerts."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def backend_modules(root: Path = ROOT) -> dict[str, Path]:
    """Every Python module of backend/, by dotted name; migrations are scripts, not modules."""
    return {
        module_name(path, root): path
        for path in sorted((root / "backend").rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def _imported_names(module: str, path: Path) -> Iterable[str]:
    """The dotted names a module imports, relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            # `from backend import auth` imports backend.auth; `from backend.models import User`, the models.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Map each backend module to the backend modules it imports (a name is taken as the nearest module)."""
    modules = backend_modules(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imported_names(name, path):
            if not imported.startswith("backend"):
                continue
            target = imported
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return every group of modules that import each other in a loop (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(circles)


def _within(name: str, parts: str | Iterable[str]) -> bool:
    parts = (parts,) if isinstance(parts, str) else tuple(parts)
    return any(name == part or name.startswith(part + ".") for part in parts)


def broken_rules(graph: dict[str, set[str]]) -> list[str]:
    """Return one line per import that breaks a rule of docs/architecture.md."""
    broken = []
    for module, imports in sorted(graph.items()):
        for imported in sorted(imports):
            arrow = f"{module} imports {imported}"
            if _within(module, SERVICES) and _within(imported, ABOVE_SERVICES):
                broken.append(f"{arrow}: a service never imports a route, the CLI or the web layer")
            if _within(module, MODELS) and (_within(imported, SERVICES) or _within(imported, ABOVE_SERVICES)):
                broken.append(f"{arrow}: a model imports no service or route")
            if _within(module, CONTENT) and not _within(imported, CONTENT):
                broken.append(f"{arrow}: the content package imports nothing above it")
            if _within(module, ROUTES) and _within(imported, ROUTES) and imported != SHARED_ROUTES:
                same_package = module.rpartition(".")[0] == imported or (
                    module.rpartition(".")[0] == imported.rpartition(".")[0] != ROUTES
                )
                if not same_package:
                    broken.append(f"{arrow}: a route never imports another route (share routes/common.py)")
    return broken


def test_the_import_graph_is_read():
    """The reader finds the modules and their imports (a rule over an empty graph would always pass)."""
    graph = import_graph()
    assert "backend.models" in graph["backend.services.accounts"]
    assert "backend.extensions" in graph["backend.models"]
    assert "backend.auth" in graph["backend"]  # `from backend import auth`: the module, not the package
    assert len(graph) > 40


def test_dependencies_point_one_way():
    """Routes -> services -> models -> content: no import runs the other way, no route imports another."""
    assert broken_rules(import_graph()) == []


def test_there_is_no_import_circle():
    """No modules import each other in a loop (a worker gets what it needs passed in instead)."""
    assert import_circles(import_graph()) == []


def test_the_rules_catch_what_they_forbid():
    """Each rule fires on a made-up graph that breaks it, so a passing test means something."""
    graph = {
        "backend.services.plan": {"backend.routes.public"},
        "backend.models": {"backend.services.plan"},
        "backend.content.schema": {"backend.models"},
        "backend.routes.emergency": {"backend.routes.public", "backend.routes.common"},
        "backend.routes.admin.users": {"backend.routes.admin"},
        "backend.routes.admin.places": {"backend.routes.admin.users"},
        "backend.routes.public": set(),
        "backend.routes.common": set(),
        "backend.routes.admin": set(),
    }
    broken = broken_rules(graph)
    assert [line.split(" imports ")[0] for line in broken] == [
        "backend.content.schema",
        "backend.models",
        "backend.routes.emergency",
        "backend.services.plan",
    ]
    circle = {
        "backend.a": {"backend.b"},
        "backend.b": {"backend.c"},
        "backend.c": {"backend.a"},
        "backend.d": {"backend.a"},  # imports into the circle, is not part of it
    }
    assert import_circles(circle) == [["backend.a", "backend.b", "backend.c"]]


if __name__ == "__main__":
    graph = import_graph()
    circles = import_circles(graph)
    print(f"backend modules: {len(graph)}, imports between them: {sum(map(len, graph.values()))}")
    print(f"import circles: {len(circles)}")
    for circle in circles:
        print("  ", " <-> ".join(circle))
    for line in broken_rules(graph):
        print("  ", line)
