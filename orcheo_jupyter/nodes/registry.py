"""The node registry: type name -> config model and metadata.

The catalog that drives palettes and property forms is generated from here, so
adding a node type never needs UI code. Third parties register through the
``orcheo_jupyter.nodes`` entry-point group: an entry point names either a
``BaseNode`` subclass (registered under the entry point's name unless it already
registered itself) or a module whose import registers its nodes with ``@register``.
"""

from __future__ import annotations

import builtins
import importlib.metadata
import logging
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from ..spec import legacy
from ..spec.models import BuiltinNode
from ..spec.problems import Problem, problems_from_errors
from .base import BaseNode

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "orcheo_jupyter.nodes"

N = TypeVar("N", bound=type[BaseNode])


@dataclass(frozen=True)
class NodeSpec:
    """A registered node type and what a palette needs to show it."""

    type: str
    model: builtins.type[BaseNode]
    category: str
    description: str
    icon: str
    trigger: bool
    output: str = ""

    def config_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        schema.setdefault("title", self.type)
        return schema

    def catalog_entry(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "category": self.category,
            "description": self.description,
            "icon": self.icon,
            "trigger": self.trigger,
            "output": self.output,
            "returns_state_update": self.model.returns_state_update,
            "config_schema": self.config_schema(),
        }


class UnknownNodeType(LookupError):
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        super().__init__(f"unknown node type {type_name!r}")


_registry: dict[str, NodeSpec] = {}
_plugins_loaded = False


def register(
    type_name: str | None = None,
    *,
    category: str,
    description: str | None = None,
    icon: str = "box",
    trigger: bool = False,
    output: str = "",
) -> Callable[[N], N]:
    """Class decorator that adds a node type to the registry.

    ``description`` defaults to the first paragraph of the class docstring;
    ``output`` says in one line what the node returns (shown in docs and forms).
    """

    def decorate(cls: N) -> N:
        name = type_name or cls.__name__
        doc = description or (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        _registry[name] = NodeSpec(name, cls, category, doc, icon, trigger, output)
        return cls

    return decorate


def unregister(type_name: str) -> None:
    """Remove a node type (tests and plugin reloads)."""
    _registry.pop(type_name, None)


def _ensure_loaded() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from . import library

    library.load_all()  # registers the built-in nodes

    load_plugins()


def load_plugins() -> list[str]:
    """Import every entry point in the group; a broken plugin is logged, not fatal."""
    loaded = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as exc:  # a third-party import error must not break the catalog
            log.warning("orcheo node plugin %s failed to load: %s", ep.name, exc)
            continue
        if isinstance(obj, type) and issubclass(obj, BaseNode):
            already = any(spec.model is obj for spec in _registry.values())
            if not already and ep.name not in _registry:
                register(ep.name, category="plugins")(obj)
        elif not isinstance(obj, types.ModuleType):
            log.warning(
                "orcheo node plugin %s is neither a BaseNode subclass nor a module", ep.name
            )
            continue
        loaded.append(ep.name)
    return loaded


def get(type_name: str) -> NodeSpec:
    _ensure_loaded()
    try:
        return _registry[type_name]
    except KeyError:
        raise UnknownNodeType(type_name) from None


def all_specs() -> list[NodeSpec]:
    _ensure_loaded()
    return sorted(_registry.values(), key=lambda s: (s.category, s.type))


def catalog() -> list[dict[str, Any]]:
    return [spec.catalog_entry() for spec in all_specs()]


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "[[" in value)


def config_problems(model: builtins.type[BaseNode], config: dict[str, Any]) -> list[Problem]:
    """Problems of a config for a node model, found before any run.

    Values that are templates or secret references are only known at run time,
    so type errors on them are not reported here, except in the model's deferred
    fields: the runtime never resolves those, so what is stored is what runs.
    """
    try:
        # A document's config as stored: trigger settings must name secrets by reference.
        model.model_validate(config, context={"stored": True})
    except ValidationError as exc:
        deferred = model.deferred_fields
        kept = [
            e
            for e in exc.errors()
            if (e["loc"] and e["loc"][0] in deferred) or not _is_template(e.get("input"))
        ]
        return problems_from_errors(kept, prefix="config")
    return []


def config_fields(type_name: str) -> frozenset[str] | None:
    """The config field names of a node type (None if unknown)."""
    try:
        return frozenset(get(type_name).model.model_fields)
    except UnknownNodeType:
        return None


# The legacy importer (spec/, below this layer) keeps real config fields that share
# a name with display-only keys (ManualTriggerNode's ``label``).
legacy.set_config_fields_lookup(config_fields)


def check_node(node: BuiltinNode) -> Iterable[Problem]:
    """Problems with a builtin node's type and config, found before any run."""
    try:
        spec = get(node.type)
    except UnknownNodeType:
        return [Problem("error", "unknown_type", f"unknown node type {node.type!r}", field="type")]
    return config_problems(spec.model, node.config)
