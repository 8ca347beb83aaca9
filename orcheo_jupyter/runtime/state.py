"""The standard state (``orcheo.graph.state.State``) and how a run's state begins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from langgraph.graph import MessagesState


def merge_results(
    left: Mapping[str, Any] | None, right: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Shallow merge: each node's output replaces only its own key."""
    if not right:
        return dict(left or {})
    if not left:
        return dict(right)
    return {**left, **right}


class State(MessagesState):
    """MessagesState plus inputs, per-node results, structured output and run config."""

    inputs: dict[str, Any]
    results: Annotated[dict[str, Any], merge_results]
    structured_response: Any
    config: dict[str, Any]


#: Run config keys that say how the run is stored, not what its nodes read: they stay
#: out of the state's ``config`` (so a run started by hand has the state a notebook's has).
STORAGE_OPTIONS = frozenset({"durability"})


def initial_state(
    inputs: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The inputs dict, plus ``inputs``, empty ``results`` and (unless given) ``messages``."""
    state: dict[str, Any] = {"messages": [], **inputs}
    state["inputs"] = dict(inputs)
    state["results"] = {}
    state["config"] = {k: v for k, v in (config or {}).items() if k not in STORAGE_OPTIONS}
    return state
