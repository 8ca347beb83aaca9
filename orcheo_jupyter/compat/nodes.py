"""Orcheo node classes as facades over the node registry, plus ``TaskNode``.

``SetVariableNode(name="x", variables={...})`` makes a graph node that runs the
registered ``SetVariableNode`` exactly as a builtin node of a document does
(templates, ``[[credentials]]``, output under ``results[name]``). Decision types
(``IfElseNode``, ``SwitchNode``, ``WhileNode`` and upstream's edge names) also
work as a conditional-edge path; see ``routers.py``. Any type the registry knows
is available under its name, so new nodes need no change here.
"""

import asyncio
import inspect
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any, ClassVar

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from pydantic import BaseModel, ConfigDict

from ..nodes import registry
from ..nodes.library.conditions import Condition
from ..nodes.library.logic import SwitchCase
from ..runtime.build import builtin_call
from ..runtime.expressions import render
from ..runtime.secrets import find_refs, inject
from ..spec.models import BuiltinNode
from ..spec.problems import Problem
from .stores import StoreStandIn

#: Upstream's names for routing classes (now "edges") -> our decision node types.
EDGE_ALIASES = {
    "IfElseEdge": "IfElseNode",
    "IfElse": "IfElseNode",
    "SwitchEdge": "SwitchNode",
    "Switch": "SwitchNode",
    "WhileEdge": "WhileNode",
    "While": "WhileNode",
}
#: Types whose output carries a ``branch`` to route on.
DECISION_TYPES = frozenset({"IfElseNode", "SwitchNode", "WhileNode"})


def graph_argument(graph: StateGraph) -> dict[str, Any]:
    """A graph passed to a node (upstream's ``pipeline=StateGraph(...)``) as its frozen-ir."""
    from .freeze import freeze

    ir, why = freeze(graph)
    if ir is None:
        raise TypeError(
            f"a graph given to a node must be made of node classes only (here {why}), "
            "so it can be stored in the node's config"
        )
    return ir.model_dump(mode="json", exclude_none=True)


def jsonable(value: Any) -> Any:
    """Constructor arguments as document config: models become their set fields.

    A model *class* becomes its JSON Schema: upstream passes one as an AI node's
    ``response_format`` (or a tool's ``args_schema``), where ours takes the schema.
    """
    if isinstance(value, type) and issubclass(value, BaseModel):
        return value.model_json_schema()
    if isinstance(value, StoreStandIn):
        return jsonable(value.orcheo_config())
    if isinstance(value, StateGraph):
        return graph_argument(value)
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="json", exclude_unset=True))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


_HISTORY = (
    "upstream's graph-store chat history is not part of orcheo-jupyter: the agent "
    "sees the run's messages (use_history)"
)
#: Upstream's arguments that our node types do not take, and what to use instead.
UPSTREAM_ONLY: dict[str, dict[str, str]] = {
    "AgentNode": {
        "model_settings": "upstream does not use it either; pass model options as model_kwargs",
        "max_messages": _HISTORY,
        "reset_command": _HISTORY,
        "use_graph_chat_history": _HISTORY,
        "history_namespace": _HISTORY,
        "history_key_template": _HISTORY,
        "history_key_candidates": _HISTORY,
        "history_value_field": _HISTORY,
    },
}


def _explained(type_name: str, problems: list[Problem]) -> list[Problem]:
    """Problems of upstream-only arguments say what to use instead."""
    hints = UPSTREAM_ONLY.get(type_name, {})
    out = []
    for problem in problems:
        key = (problem.field or "").removeprefix("config.")
        if key in hints:
            problem = replace(problem, message=f"{problem.message}: {hints[key]}")
        out.append(problem)
    return out


class NodeConfigError(ValueError):
    """Upstream-style constructor arguments our node type does not accept."""

    def __init__(self, type_name: str, name: str, problems: list[Problem]) -> None:
        details = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(f"{type_name}(name={name!r}): {details}")


class OrcheoNode:
    """A registered node type used as a LangGraph node (``async (state, config)``)."""

    type_name: ClassVar[str] = ""

    def __init__(self, name: str, **config: Any) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.type_name} needs a name (a non-empty string)")
        spec = registry.get(self.type_name)
        data = jsonable(config)
        problems = registry.config_problems(spec.model, data)
        if problems:
            raise NodeConfigError(self.type_name, name, _explained(self.type_name, problems))
        self.name = name
        self.config: dict[str, Any] = data
        self._call = builtin_call(BuiltinNode(id=name, type=self.type_name, config=data), name)

    @property
    def node(self) -> BuiltinNode:
        """The builtin node this object stands for in a frozen-ir document."""
        return BuiltinNode(id=self.name, type=self.type_name, config=self.config)

    async def __call__(self, state: dict[str, Any], config: RunnableConfig) -> Any:
        return await self._call(state, dict(config or {}), 1)

    async def run(self, state: Mapping[str, Any], config: RunnableConfig | None = None) -> Any:
        """The node's own output for ``state`` (upstream's ``node.run``, which script
        TaskNodes call to use a node inside their own code)."""
        full = {"inputs": {}, "results": {}, "messages": [], **_serialize(dict(state))}
        update = await self._call(full, dict(config or {}), 1)
        results = update.get("results") if isinstance(update, Mapping) else None
        if isinstance(results, Mapping) and self.name in results:
            return results[self.name]
        return update

    def __repr__(self) -> str:
        return f"{self.type_name}(name={self.name!r}, **{self.config!r})"


@cache
def facade_class(type_name: str) -> type[OrcheoNode]:
    """The class scripts instantiate for a registered type (or an upstream alias)."""
    target = EDGE_ALIASES.get(type_name, type_name)
    registry.get(target)  # UnknownNodeType for names the registry does not know
    return type(type_name, (OrcheoNode,), {"type_name": target, "__module__": __name__})


def known_node(name: str) -> bool:
    try:
        registry.get(EDGE_ALIASES.get(name, name))
    except registry.UnknownNodeType:
        return False
    return True


def _serialize(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _serialize(value.model_dump(mode="json"))
    if isinstance(value, Mapping):
        return {k: _serialize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_serialize(v) for v in value]
    return value


class _ScriptNode(BaseModel):
    """Upstream's ``BaseRunnable``: a named pydantic model whose fields may be templates."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str

    async def _resolved(self, state: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
        fields = {k: v for k, v in self.__dict__.items() if k != "name"}
        updates = render(fields, state, config, [])
        refs = find_refs(fields)
        if refs:
            updates = await inject(dict(updates), refs, self.name)
        changed = {k: v for k, v in updates.items() if v is not fields[k]}
        return self.model_copy(update=changed) if changed else self

    async def _run(self, state: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
        runnable = await self._resolved(state, config)
        run = runnable.run
        if inspect.iscoroutinefunction(run):
            return await run(state, config)
        # A sync run() is script code that may block: keep it off the event loop.
        return await asyncio.to_thread(run, state, config)


class TaskNode(_ScriptNode):
    """Subclass with ``run(self, state, config)`` (sync or async); its return value
    is stored under ``results[name]``, as upstream does."""

    async def __call__(self, state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        out = await self._run(state, config or {})
        return {"results": {self.name: _serialize(out)}}

    def run(self, state: Any, config: Any) -> Any:
        raise NotImplementedError("a TaskNode subclass defines run(self, state, config)")


class AINode(_ScriptNode):
    """Subclass whose ``run`` returns a state update (e.g. ``{"messages": [...]}``)."""

    async def __call__(self, state: dict[str, Any], config: RunnableConfig) -> Any:
        return _serialize(await self._run(state, config or {}))

    def run(self, state: Any, config: Any) -> Any:
        raise NotImplementedError("an AINode subclass defines run(self, state, config)")


class DecisionNode(_ScriptNode):
    """Subclass whose ``run`` returns the key of the branch to take: a router."""

    async def __call__(self, state: dict[str, Any], config: RunnableConfig) -> Any:
        return await self._run(state, config or {})

    def run(self, state: Any, config: Any) -> Any:
        raise NotImplementedError("a DecisionNode subclass defines run(self, state, config)")


BaseNode = TaskNode
BaseEdge = DecisionNode

__all__ = [
    "AINode",
    "BaseEdge",
    "BaseNode",
    "Condition",
    "DecisionNode",
    "OrcheoNode",
    "SwitchCase",
    "TaskNode",
    "facade_class",
]
