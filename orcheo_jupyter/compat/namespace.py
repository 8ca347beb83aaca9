"""The virtual ``orcheo`` module tree and the import function that serves it.

Modules are built once per process and never registered in ``sys.modules``
(see the package docstring for why). ``orcheo.nodes`` and every module below it
resolve any registered node type by name (module ``__getattr__``), because
upstream spreads its classes over many modules and the registry grows.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import ModuleType
from typing import Any

from . import local_vault, nodes

ROOT = "orcheo"

#: Module paths upstream scripts import from, and what each holds besides node types.
_STATIC: dict[str, Callable[[], dict[str, Any]]] = {
    "orcheo": dict,
    "orcheo.graph": dict,
    "orcheo.graph.state": lambda: _state_members(),
    "orcheo.graph.builder": lambda: _builder_members(),
    "orcheo.nodes": lambda: _node_members(),
    "orcheo.nodes.base": lambda: _node_members(),
    "orcheo.edges": lambda: _edge_members(),
    # Upstream's local credential setup: importable, refused when used (local_vault.py).
    "orcheo.models": lambda: local_vault.models_members(),
    "orcheo.runtime": dict,
    "orcheo.runtime.credentials": lambda: local_vault.runtime_credentials_members(),
    "orcheo.vault": lambda: local_vault.vault_members(),
}


def _state_members() -> dict[str, Any]:
    from ..runtime.state import State, merge_results

    return {"State": State, "dict_reducer": merge_results}


def _builder_members() -> dict[str, Any]:
    from .builder import build_graph

    return {"build_graph": build_graph}


def _node_members() -> dict[str, Any]:
    from .stores import STAND_INS

    return {
        **STAND_INS,
        "TaskNode": nodes.TaskNode,
        "AINode": nodes.AINode,
        "DecisionNode": nodes.DecisionNode,
        "BaseNode": nodes.BaseNode,
        "Condition": nodes.Condition,
        "SwitchCase": nodes.SwitchCase,
    }


def _edge_members() -> dict[str, Any]:
    return {
        "BaseEdge": nodes.BaseEdge,
        "Condition": nodes.Condition,
        "SwitchCase": nodes.SwitchCase,
    }


def is_orcheo_name(name: str) -> bool:
    return name == ROOT or name.startswith(ROOT + ".")


def _node_getattr(module_name: str) -> Callable[[str], Any]:
    def __getattr__(attr: str) -> Any:
        if not attr.startswith("_") and nodes.known_node(attr):
            return nodes.facade_class(attr)
        raise AttributeError(f"module {module_name!r} has no attribute {attr!r}")

    return __getattr__


@lru_cache(maxsize=256)
def orcheo_module(name: str) -> ModuleType:
    """The virtual module ``name`` (``orcheo``, ``orcheo.nodes.logic``...); ImportError if none.

    Any module under ``orcheo.nodes`` or ``orcheo.edges`` exists (upstream has many
    and adds more); other paths exist only if listed above.
    """
    nodeish = name.startswith(("orcheo.nodes", "orcheo.edges"))
    if name not in _STATIC and not nodeish:
        raise ImportError(
            f"orcheo-jupyter provides no module {name!r} (available: orcheo.graph.state, "
            "orcheo.graph.builder, orcheo.nodes.*, orcheo.edges, and as names that only "
            "say where credentials live: orcheo.models, orcheo.runtime.credentials, "
            "orcheo.vault)"
        )
    module = ModuleType(name, f"orcheo-jupyter's stand-in for upstream {name}")
    module.__dict__.update(_STATIC.get(name, dict)())
    if nodeish:
        members = _edge_members() if name.startswith("orcheo.edges") else _node_members()
        for key, value in members.items():
            module.__dict__.setdefault(key, value)
        module.__dict__["__getattr__"] = _node_getattr(name)
    # Parents hold their children as attributes (``import orcheo.nodes.logic``).
    if "." in name:
        parent, _, child = name.rpartition(".")
        setattr(orcheo_module(parent), child, module)
    return module


def resolve_import(name: str, fromlist: Iterable[str] = ()) -> ModuleType:
    """What ``import name`` (with ``fromlist``) binds, as Python's import would."""
    module = orcheo_module(name)
    if fromlist:
        for item in fromlist:
            full = f"{name}.{item}"
            # ``from orcheo.nodes import logic``: a lower-case name is a module.
            if item.islower() and full.startswith(("orcheo.nodes.", "orcheo.edges.")):
                orcheo_module(full)
            elif item != "*" and not hasattr(module, item):
                raise ImportError(missing_name(name, item), name=name)
        return module
    return orcheo_module(ROOT)


def missing_name(module: str, item: str) -> str:
    """Why ``from module import item`` fails here, naming the node type it looked for.

    Python's own "cannot import name ... (unknown location)" says nothing of why;
    upstream scripts import many integration nodes (MongoDB, WeCom, Telegram...)
    that orcheo-jupyter does not ship.
    """
    nodeish = module.startswith(("orcheo.nodes", "orcheo.edges"))
    if nodeish and item.endswith(("Node", "Edge")):
        return (
            f"orcheo-jupyter has no node type {item!r} (imported from {module}); "
            "`orcheo-jupyter nodes` lists the node types it has, and a package can add "
            "one through the 'orcheo_jupyter.nodes' entry point group"
        )
    provided = sorted(
        k
        for k, v in vars(orcheo_module(module)).items()
        if not k.startswith("_") and not isinstance(v, ModuleType)
    )
    if nodeish:
        provided.append("every node type `orcheo-jupyter nodes` lists")
    return (
        f"orcheo-jupyter's stand-in for {module} has no {item!r} "
        f"(it provides: {', '.join(provided) or 'nothing'})"
    )


def compat_import(real_import: Callable[..., ModuleType]) -> Callable[..., ModuleType]:
    """An ``__import__`` that serves ``orcheo.*`` virtually and the rest as before."""

    def __import__(
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Iterable[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0 and is_orcheo_name(name):
            return resolve_import(name, tuple(fromlist or ()))
        return real_import(name, globals, locals, fromlist, level)

    return __import__


def compat_builtins() -> dict[str, Any]:
    """Builtins for trusted script execution: the real ones, with ``orcheo.*`` served."""
    names = dict(builtins.__dict__)
    names["__import__"] = compat_import(builtins.__import__)
    return names
