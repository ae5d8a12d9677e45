"""The layers only look down (docs/architecture.md): no module imports from a layer above its
own, at module level or inside a function. The few exceptions are listed, each with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "allegiance"

LAYERS = {
    "scenario": 0, "version": 0, "textstyle": 0, "frames": 0,
    # fits Rich tables to a width (the command line and the briefing print through it)
    "tablefit": 5,
    "io": 1,
    "models": 2, "parallel": 2, "forecast": 2,
    "coalitions": 3, "uncertainty": 3, "validation": 3, "levers": 3,
    # the service assembles a run's document, summary sentences included (summary/ reads plain
    # JSON documents and imports nothing else)
    "service": 4, "summary": 4,
    # compiles every Numba kernel at install, through the models and the power indices
    "precompile": 4,
    "plots": 5, "report": 5, "store": 5, "web": 5, "cli": 5,
    "docs": 5, "docs_tables": 5, "docs_outputs": 5, "__init__": 5,
}
#: (importing module, imported module) pairs allowed to look up, and why
ALLOWED: set[tuple[str, str]] = set()  # (module, what it may import from a higher layer)


def _layer(parts: list[str]) -> int:
    head = parts[0].removesuffix(".py")
    return LAYERS[head]


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "allegiance.") and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("allegiance."):
                    yield alias.name


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] in ("data",) or "migrations" in relative.parts:
            continue
        own = _layer(list(relative.parts))
        for module in _imports(path):
            target = module.split(".")[1]
            if target not in LAYERS:
                continue
            if LAYERS[target] > own and (str(relative), module) not in ALLOWED:
                upward.append(f"{relative} imports {module}")
    assert not upward, "\n".join(upward)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes under ``if TYPE_CHECKING:``: imports for annotations, never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports, at module level or inside a function (not the imports
    made for annotations only). ``from allegiance.a import b`` names the module ``allegiance.a.b``
    when there is one, else the package ``allegiance.a``."""
    modules = {_module_name(path): path for path in SRC.rglob("*.py")}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_nodes(tree)
        targets: set[str | None] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                    node.module == "allegiance" or node.module.startswith("allegiance.")):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else resolve(node.module))
            elif isinstance(node, ast.Import):
                targets.update(resolve(alias.name) for alias in node.names
                               if alias.name.startswith("allegiance."))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_import_cycles_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules():
    graph = import_graph()
    found = []
    for group in import_cycles(graph):
        edges = [f"{a} -> {b}" for a in group for b in sorted(graph[a]) if b in group]
        found.append("cycle: " + ", ".join(group) + "\n    " + "\n    ".join(edges))
    assert not found, "\n".join(found)
