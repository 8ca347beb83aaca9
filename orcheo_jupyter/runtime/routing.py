"""Conditional edges: route on the value at a dotted state path."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END

from ..common.dotted import route_key
from ..spec.models import ConditionalEdge
from .expressions import lookup
from .sentinels import to_langgraph


def make_router(edge: ConditionalEdge) -> tuple[Callable[..., str], dict[Hashable, str]]:
    """A LangGraph path function and its path map for one conditional edge.

    Lookup order: mapping, then default, then the end of the run.
    """
    mapping = {k: to_langgraph(v) for k, v in edge.mapping.items()}
    default = to_langgraph(edge.default) if edge.default is not None else END
    path = edge.path

    def route(state: Mapping[str, Any], config: RunnableConfig) -> str:
        key = route_key(lookup(path, state, config))
        return mapping.get(key, default)

    destinations: dict[Hashable, str] = {t: t for t in {*mapping.values(), default}}
    return route, destinations
