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
    "plots": 5, "report": 5, "store": 5, "web": 5, "cli": 5,
    "cli_common": 5, "docs": 5, "__init__": 5,
}
#: (importing module, imported module) pairs allowed to look up, and why
ALLOWED = {
    # SMP's option names are defined once, in the model package; the KTAB reader names them
    ("io/ktab_xml.py", "allegiance.models.smp.options"),
    # the DEU reader applies the capability options while it builds each issue's scenario; to
    # move: the options belong to the reader, the backtest only chooses among them
    ("io/deu.py", "allegiance.validation.capability"),
}
#: a layer's command and rendering modules belong to the presentation layer
PRESENTATION_NAMES = ("cli.py", "power_cli.py", "render.py")


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
        own = 5 if relative.name in PRESENTATION_NAMES else _layer(list(relative.parts))
        for module in _imports(path):
            target = module.split(".")[1]
            if target not in LAYERS:
                continue
            if LAYERS[target] > own and (str(relative), module) not in ALLOWED:
                upward.append(f"{relative} imports {module}")
    assert not upward, "\n".join(upward)
