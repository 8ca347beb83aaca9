"""Small builders for node tests: documents around builtin nodes, and direct runs."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.nodes.base import NodeContext
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import NO_SERVICES, RuntimeServices
from orcheo_jupyter.store.records import RunRecord


def node(node_id: str, type_: str, **config: Any) -> dict[str, Any]:
    return {"kind": "builtin", "id": node_id, "type": type_, "config": config}


def code(node_id: str, body: str) -> dict[str, Any]:
    return {"kind": "code", "id": node_id, "body": body}


def chain_doc(
    *nodes: dict[str, Any],
    edges: Sequence[tuple[str, str]] | None = None,
    conditional: Sequence[dict[str, Any]] = (),
    name: str = "test",
    **doc: Any,
) -> dict[str, Any]:
    """A frozen-ir document; without ``edges`` the nodes run in the order given."""
    if edges is None:
        names = ["__start__", *(n["id"] for n in nodes), "__end__"]
        edges = list(itertools.pairwise(names))
    return {
        "name": name,
        **doc,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": nodes[0]["id"],
                "nodes": list(nodes),
                "edges": [{"source": a, "target": b} for a, b in edges],
                "conditional_edges": list(conditional),
            },
        },
    }


async def run(
    executor: Executor, doc: Mapping[str, Any], inputs: Mapping[str, Any] | None = None
) -> RunRecord:
    return await executor.execute(doc, dict(inputs or {}))


def results(record: RunRecord) -> dict[str, Any]:
    assert record.status == "succeeded", record.error
    assert record.final_state is not None
    return dict(record.final_state["results"])


async def run_node(
    type_: str,
    config: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    *,
    node_id: str = "n",
    services: RuntimeServices = NO_SERVICES,
    events: list[tuple[str, dict[str, Any]]] | None = None,
) -> Any:
    """Validate a config and run the node directly, outside any graph."""
    model = registry.get(type_).model
    instance = model.model_validate(dict(config))
    ctx = NodeContext(
        node_id=node_id,
        services=services,
        emit=(lambda kind, data: events.append((kind, data)))
        if events is not None
        else (lambda kind, data: None),
    )
    base = {"inputs": {}, "results": {}, "messages": []}
    return await instance.run({**base, **(state or {})}, ctx)
