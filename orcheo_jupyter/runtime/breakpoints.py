"""Breakpoints and forks: pause a run before/after chosen nodes, start a run from edited state.

A run's breakpoints travel in its stored config (``{"breakpoints": {"before": [...],
"after": [...]}}``), so a resumed, recovered or re-homed run keeps them. LangGraph's
static interrupts stop the run there; the executor records the pause as an
interrupt whose payload says where it stopped and shows the state, and
``resume`` continues it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..spec.models import FrozenIRGraph, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from .serialize import jsonable

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

BREAKPOINTS = "breakpoints"
#: The interrupt id a breakpoint pause is recorded under.
BREAKPOINT_ID = "breakpoint"


def into_config(
    config: Mapping[str, Any] | None, before: Sequence[str], after: Sequence[str]
) -> dict[str, Any] | None:
    """A run config with breakpoints before and after these nodes: how every surface
    (REST, CLI, magics, the canvas) puts the breakpoints a person asks for into the
    config. ``config`` as it is when there are none."""
    if not before and not after:
        return None if config is None else dict(config)
    return {**(config or {}), BREAKPOINTS: {"before": list(before), "after": list(after)}}


def node_list(text: str | None) -> list[str]:
    """Node ids as a command line gives them: ``"a, b"``."""
    return [n.strip() for n in (text or "").split(",") if n.strip()]


def requested(config: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{"before": [...], "after": [...]}`` from a run config (empty lists when none)."""
    points = config.get(BREAKPOINTS) or {}
    return {
        "before": [str(n) for n in points.get("before") or []],
        "after": [str(n) for n in points.get("after") or []],
    }


def check(doc: WorkflowDocument, config: Mapping[str, Any]) -> None:
    """DocumentError naming each breakpoint that is not a node of the graph."""
    points = config.get(BREAKPOINTS)
    if not points:
        return
    if not isinstance(points, Mapping) or set(points) - {"before", "after"}:
        raise DocumentError(
            [
                Problem(
                    "error",
                    "breakpoints",
                    'expected {"before": [node ids], "after": [node ids]}',
                    field="config.breakpoints",
                )
            ]
        )
    # A script's nodes are those its import found; one stored without that index is
    # left to LangGraph, which refuses an unknown node when the run starts.
    nodes: set[str] | None = (
        {n.id for n in doc.graph.ir.nodes}
        if isinstance(doc.graph, FrozenIRGraph)
        else set(doc.graph.index.nodes) or None
    )
    problems = []
    for when in ("before", "after"):
        listed = points.get(when) or []
        if not isinstance(listed, list):
            listed = [listed]
        for name in listed:
            if nodes is not None and name not in nodes:
                problems.append(
                    Problem(
                        "error",
                        "breakpoints",
                        f"no node {name!r} to break {when}",
                        field=f"config.breakpoints.{when}",
                    )
                )
    if problems:
        raise DocumentError(problems)


def invoke_kwargs(config: Mapping[str, Any]) -> dict[str, Any]:
    points = requested(config)
    out: dict[str, Any] = {}
    if points["before"]:
        out["interrupt_before"] = points["before"]
    if points["after"]:
        out["interrupt_after"] = points["after"]
    return out


async def paused_at(
    graph: CompiledStateGraph[Any, Any, Any, Any], run_config: Any, config: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    """The pending breakpoint of a run that stopped with work left, else None."""
    snapshot = await graph.aget_state(run_config)
    if not snapshot.next:
        return None
    points = requested(config)
    before = [n for n in snapshot.next if n in points["before"]]
    value = {
        "type": "breakpoint",
        "next": list(snapshot.next),
        "before": before,
        "after": [] if before else _last_nodes(snapshot, points["after"]),
        "state": jsonable(dict(snapshot.values)),
    }
    return [{"id": BREAKPOINT_ID, "value": value}]


def _last_nodes(snapshot: Any, after: list[str]) -> list[str]:
    writes = (snapshot.metadata or {}).get("writes") or {}
    ran = [n for n in writes if n in after]
    return ran or list(after)


def is_breakpoint(pending: list[dict[str, Any]] | None) -> bool:
    return bool(pending) and all(p.get("id") == BREAKPOINT_ID for p in pending or [])


def state_keys(graph: CompiledStateGraph[Any, Any, Any, Any]) -> list[str]:
    """The keys a run of ``graph`` keeps in its state (what a fork may patch).

    A script graph may declare keys of its own, so they are read off the graph, not a
    fixed list; LangGraph's own channels (``__start__``, ``branch:…``) are not state.
    """
    builder = getattr(graph, "builder", None)
    names = builder.channels if builder is not None else graph.channels
    return sorted(k for k in names if not k.startswith("__") and ":" not in k)


def check_patch(patch: Mapping[str, Any], keys: Sequence[str]) -> None:
    """Refuse a fork patch naming keys the state does not have.

    LangGraph restores only its channels from a checkpoint, so such a key would be
    dropped without a word and the user's edit silently lost.
    """
    unknown = [k for k in patch if k not in keys]
    if unknown:
        raise DocumentError(
            [
                Problem(
                    "error",
                    "unknown_state_key",
                    f"the workflow's state has no key {key!r} (its keys: {', '.join(keys)})",
                    field=f"state_patch.{key}",
                )
                for key in unknown
            ]
        )


def patched(values: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """State values with a patch applied as the state's reducers would.

    ``results`` merges by node id (its reducer is a shallow merge); every other key
    is replaced.
    """
    out = dict(values)
    for key, value in patch.items():
        if key == "results" and isinstance(value, Mapping):
            out["results"] = {**dict(out.get("results") or {}), **value}
        else:
            out[key] = value
    return out
