"""Imports point down the layers of docs/architecture.md: a module never imports upward.

Type-only imports (under ``if TYPE_CHECKING``) are left out: they run no code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import orcheo_jupyter

PACKAGE = Path(orcheo_jupyter.__file__).parent
#: Top-level module or package -> its layer (0 = bottom). New ones must be placed here.
LAYERS = {
    # base: helpers that import nothing of orcheo_jupyter
    "common": 0,
    "lazy": 0,
    "tracing": 0,  # OpenTelemetry spans: the runtime, nodes, runners and servers make them
    # data
    "spec": 1,
    "store": 1,
    "settings": 1,
    # core (compat is Orcheo's script API, which script graphs are built with)
    "nodes": 2,
    "runtime": 2,
    "compat": 2,
    # services
    "triggers": 3,
    "vault": 3,
    "runners": 3,
    "distributed": 3,
    "ingest": 3,
    "ops": 3,
    "templates": 3,
    "evaluate": 3,
    "local": 3,
    # surfaces
    "server": 4,
    "widget": 4,
    "magics": 4,
    "client": 4,
    "export": 4,
    "cli": 4,
    "workflow": 4,
    "__init__": 4,
    "__main__": 4,
}


def _runtime_imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Every import statement not inside ``if TYPE_CHECKING:``."""
    found: list[ast.ImportFrom | ast.Import] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _targets(path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The top-level orcheo_jupyter modules an import statement reaches."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts if path.name == "__init__.py" else parts[:-1]
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.level:
        base = list(package[: len(package) - (node.level - 1)])
        module = ".".join([*base, *([node.module] if node.module else [])])
        names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
    else:
        names = [node.module or ""]
    out = []
    for name in names:
        bits = name.split(".")
        if bits[0] != "orcheo_jupyter":
            continue
        if len(bits) == 1 or bits[1] == "__version__":
            continue  # the package's version string is no dependency
        out.append(bits[1])
    return out


def test_every_module_has_a_layer() -> None:
    tops = {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.suffix == ".py"} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()
    }
    assert sorted(tops - LAYERS.keys()) == []


def test_imports_point_down() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(path, node):
                if LAYERS.get(target, 0) > LAYERS[top]:
                    upward.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {target}")
    assert upward == []
