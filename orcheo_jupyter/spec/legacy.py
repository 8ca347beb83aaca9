"""Importer for Orcheo's legacy JSON graph (read only).

The legacy form lists ``nodes`` with constructor kwargs inline, ``edges`` as
``[source, target]`` pairs or ``{source, target}`` objects, explicit START/END
nodes, and optional ``edge_nodes``, ``conditional_edges`` and ``parallel_branches``.
It is converted into a frozen-ir graph so the rest of the system sees one shape.
"""

from __future__ import annotations

from typing import Any

from .models import END, START, GraphIR
from .problems import DocumentError, Problem

_START_NAMES = {"START", START}
_END_NAMES = {"END", END}
# Keys that describe a node rather than configure it.
_NODE_META_KEYS = {"name", "type", "display_name", "description", "id", "position", "metadata"}
# Legacy edge (router) types and the node types that replace them.
_EDGE_TYPES = {
    "IfElse": "IfElseNode",
    "IfElseEdge": "IfElseNode",
    "Switch": "SwitchNode",
    "SwitchEdge": "SwitchNode",
    "While": "WhileNode",
    "WhileEdge": "WhileNode",
}
# Which field of a decision node's output carries its route.
_ROUTE_FIELD = {"IfElseNode": "condition", "SwitchNode": "branch", "WhileNode": "branch"}


def looks_legacy(data: Any) -> bool:
    """A legacy graph has top-level ``nodes`` whose entries carry ``name`` and ``type``."""
    if not isinstance(data, dict) or "nodes" not in data or "graph" in data:
        return False
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return False
    return all(isinstance(n, dict) and "name" in n and "kind" not in n for n in nodes)


def _sentinel(name: str) -> str:
    if name in _START_NAMES:
        return START
    if name in _END_NAMES:
        return END
    return name


def _edge_pair(edge: Any, index: int, member: str) -> tuple[str, str]:
    if isinstance(edge, list | tuple) and len(edge) == 2:
        src, dst = edge
    elif isinstance(edge, dict) and "source" in edge and "target" in edge:
        src, dst = edge["source"], edge["target"]
    else:
        raise DocumentError(
            [
                Problem(
                    "error",
                    "legacy_edge",
                    "expected a [source, target] pair or a {source, target} object",
                    field=f"{member}[{index}]",
                )
            ]
        )
    if not isinstance(src, str) or not isinstance(dst, str):
        raise DocumentError(
            [
                Problem(
                    "error",
                    "legacy_edge",
                    "edge ends must be node names",
                    field=f"{member}[{index}]",
                )
            ]
        )
    return _sentinel(src), _sentinel(dst)


def legacy_to_ir(data: dict[str, Any]) -> GraphIR:
    """Convert a legacy graph into GraphIR; raise DocumentError naming the bad part."""
    nodes: list[dict[str, Any]] = []
    for i, raw in enumerate(data.get("nodes", [])):
        name, ntype = raw.get("name"), raw.get("type")
        if not isinstance(name, str) or not name:
            raise DocumentError(
                [
                    Problem(
                        "error", "legacy_node", "node needs a string name", field=f"nodes[{i}].name"
                    )
                ]
            )
        if ntype in _START_NAMES or ntype in _END_NAMES or name in _START_NAMES | _END_NAMES:
            continue
        if not isinstance(ntype, str) or not ntype:
            raise DocumentError(
                [Problem("error", "legacy_node", "node needs a type", node=name, field="type")]
            )
        config = {k: v for k, v in raw.items() if k not in _NODE_META_KEYS}
        if ntype in {"PythonCode", "CodeNode"} and isinstance(config.get("code"), str):
            nodes.append({"kind": "code", "id": name, "config": {}, "body": config["code"]})
            continue
        nodes.append({"kind": "builtin", "id": name, "type": ntype, "config": config})

    edges: list[dict[str, str]] = []
    for i, edge in enumerate(data.get("edges", [])):
        src, dst = _edge_pair(edge, i, "edges")
        edges.append({"source": src, "target": dst})

    # Edge nodes are routers named by a conditional edge's ``path``. Here they become
    # real decision nodes between the source and the branches, routing on their result.
    edge_nodes: dict[str, dict[str, Any]] = {}
    for i, edge_node in enumerate(data.get("edge_nodes", [])):
        if not isinstance(edge_node, dict) or not isinstance(edge_node.get("name"), str):
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "legacy_edge_node",
                        "expected an object with a name",
                        field=f"edge_nodes[{i}]",
                    )
                ]
            )
        edge_nodes[edge_node["name"]] = edge_node

    conditional: list[dict[str, Any]] = []
    added_edge_nodes: set[str] = set()
    for i, cond in enumerate(data.get("conditional_edges", [])):
        if not isinstance(cond, dict) or "source" not in cond or "path" not in cond:
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "legacy_conditional_edge",
                        "expected an object with source, path and mapping",
                        field=f"conditional_edges[{i}]",
                    )
                ]
            )
        source, path = _sentinel(cond["source"]), cond["path"]
        if path in edge_nodes:
            router = edge_nodes[path]
            rtype = _EDGE_TYPES.get(str(router.get("type")), str(router.get("type", "")))
            if path not in added_edge_nodes:
                config = {k: v for k, v in router.items() if k not in _NODE_META_KEYS}
                nodes.append({"kind": "builtin", "id": path, "type": rtype, "config": config})
                added_edge_nodes.add(path)
            edges.append({"source": source, "target": path})
            source, path = path, f"results.{path}.{_ROUTE_FIELD.get(rtype, 'branch')}"
        mapping = {str(k): _sentinel(v) for k, v in (cond.get("mapping") or {}).items()}
        default = cond.get("default")
        conditional.append(
            {
                "source": source,
                "path": path,
                "mapping": mapping,
                "default": _sentinel(default) if isinstance(default, str) else None,
            }
        )

    # Parallel branches fan out from one node to several and join again.
    for i, branch in enumerate(data.get("parallel_branches", [])):
        if not isinstance(branch, dict) or "source" not in branch or "targets" not in branch:
            raise DocumentError(
                [
                    Problem(
                        "error",
                        "legacy_parallel_branch",
                        "expected an object with source and targets (and optionally join)",
                        field=f"parallel_branches[{i}]",
                    )
                ]
            )
        src = _sentinel(branch["source"])
        for target in branch["targets"]:
            edges.append({"source": src, "target": _sentinel(target)})
            if branch.get("join"):
                edges.append({"source": _sentinel(target), "target": _sentinel(branch["join"])})

    entry = next((e["target"] for e in edges if e["source"] == START), None)
    if entry is None and nodes:
        entry = data.get("entry_point") or nodes[0]["id"]
    return GraphIR.model_validate(
        {"entrypoint": entry, "nodes": nodes, "edges": edges, "conditional_edges": conditional}
    )
