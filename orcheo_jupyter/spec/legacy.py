"""Importer for Orcheo's legacy JSON graph (read only).

The legacy form lists ``nodes`` with constructor kwargs inline, ``edges`` as
``[source, target]`` pairs or ``{source, target}`` objects, explicit START/END
nodes, and optional ``edge_nodes``, ``conditional_edges`` and ``parallel_branches``.
It is converted into a frozen-ir graph so the rest of the system sees one shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .models import END, START, GraphIR
from .problems import DocumentError

_START_NAMES = {"START", START}
_END_NAMES = {"END", END}
# Keys that describe a node rather than configure it.
_NODE_META_KEYS = {"name", "type", "description", "metadata"}
# Keys Orcheo's old canvas wrote on node entries for display only: moved into the
# document's ``canvas`` (positions) or dropped with a notice, unless the node type
# has a config field of that name (ManualTriggerNode has a real ``label``).
DISPLAY_KEYS = frozenset(
    {
        "label",
        "display_name",
        "id",
        "canvas_id",
        "canvasId",
        "position",
        "positionAbsolute",
        "x",
        "y",
        "width",
        "height",
        "selected",
        "dragging",
        "style",
        "ui",
        "icon",
        "color",
        "z_index",
        "zIndex",
    }
)

#: ``type -> its config field names`` (None if unknown); installed by the node
#: registry, which this layer cannot import.
ConfigFields = Callable[[str], frozenset[str] | None]
_config_fields: ConfigFields | None = None


def set_config_fields_lookup(lookup: ConfigFields | None) -> None:
    global _config_fields
    _config_fields = lookup


def _display_only(key: str, ntype: str) -> bool:
    if key not in DISPLAY_KEYS:
        return False
    fields = _config_fields(ntype) if _config_fields is not None else None
    return not (fields and key in fields)


def _position(raw: dict[str, Any]) -> dict[str, float] | None:
    pos = raw.get("position")
    if isinstance(pos, dict):
        x, y = pos.get("x"), pos.get("y")
    else:
        x, y = raw.get("x"), raw.get("y")
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y))
    return {"x": float(x), "y": float(y)} if ok else None  # type: ignore[arg-type]


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
        raise DocumentError.single(
            "legacy_edge",
            "expected a [source, target] pair or a {source, target} object",
            field=f"{member}[{index}]",
        )
    if not isinstance(src, str) or not isinstance(dst, str):
        raise DocumentError.single(
            "legacy_edge", "edge ends must be node names", field=f"{member}[{index}]"
        )
    return _sentinel(src), _sentinel(dst)


#: The lists of objects beside nodes and edges: the problem code of a bad entry, what an
#: entry must be, and the test it must pass.
_ENTRY_RULES: dict[str, tuple[str, str, Callable[[dict[str, Any]], bool]]] = {
    "edge_nodes": (
        "legacy_edge_node",
        "expected an object with a name",
        lambda e: isinstance(e.get("name"), str),
    ),
    "conditional_edges": (
        "legacy_conditional_edge",
        "expected an object with source, path and mapping",
        lambda e: "source" in e and "path" in e,
    ),
    "parallel_branches": (
        "legacy_parallel_branch",
        "expected an object with source and targets (and optionally join)",
        lambda e: "source" in e and "targets" in e,
    ),
}


def _entries(data: dict[str, Any], member: str) -> Iterator[dict[str, Any]]:
    """The entries of the list ``member``, each checked by its rule; a bad one is refused
    by its place (``edge_nodes[2]``)."""
    code, expected, usable = _ENTRY_RULES[member]
    for i, entry in enumerate(data.get(member, [])):
        if not isinstance(entry, dict) or not usable(entry):
            raise DocumentError.single(code, expected, field=f"{member}[{i}]")
        yield entry


def legacy_to_ir(data: dict[str, Any]) -> GraphIR:
    """Convert a legacy graph into GraphIR; raise DocumentError naming the bad part."""
    return _convert(data, {}, [])


def _json_type(value: Any) -> str | None:
    for kind, types in (
        ("boolean", (bool,)),
        ("integer", (int,)),
        ("number", (float,)),
        ("string", (str,)),
        ("array", (list,)),
        ("object", (dict,)),
    ):
        if isinstance(value, types):
            return kind
    return None


def legacy_document(data: dict[str, Any], fallback_name: str) -> tuple[dict[str, Any], list[str]]:
    """A legacy graph as document data, and notices saying what was converted.

    Besides the graph: ``name`` and ``description`` carry over, upstream's example
    ``inputs`` become ``inputs_schema`` defaults (a run without inputs gets them),
    and node positions move into ``canvas.positions``.
    """
    positions: dict[str, dict[str, float]] = {}
    notices = ["converted from Orcheo's legacy JSON (nodes/edges) to a frozen-ir document"]
    try:
        ir = _convert(data, positions, notices)
    except (TypeError, AttributeError, KeyError) as exc:
        # A member of the wrong shape (a mapping that is a list, targets that are a number).
        raise DocumentError.single(
            "legacy_shape", f"not a legacy graph Orcheo can read: {exc!r}"
        ) from None
    payload: dict[str, Any] = {
        "name": data.get("name")
        if isinstance(data.get("name"), str) and data["name"]
        else fallback_name,
        "graph": {"format": "frozen-ir", "entrypoint": ir.entrypoint, "ir": ir.model_dump()},
    }
    if isinstance(data.get("description"), str):
        payload["description"] = data["description"]
    inputs = data.get("inputs")
    if isinstance(inputs, dict) and inputs:
        properties: dict[str, Any] = {}
        for key, value in inputs.items():
            prop: dict[str, Any] = {"default": value}
            if (kind := _json_type(value)) is not None:
                prop["type"] = kind
            properties[str(key)] = prop
        payload["inputs_schema"] = {"type": "object", "properties": properties}
        notices.append(f"inputs: {', '.join(map(str, inputs))} became inputs_schema defaults")
    if positions:
        payload["canvas"] = {"positions": positions}
    return payload, notices


def _convert(
    data: dict[str, Any], positions: dict[str, dict[str, float]], notices: list[str]
) -> GraphIR:
    dropped: dict[str, set[str]] = {}
    nodes: list[dict[str, Any]] = []
    for i, raw in enumerate(data.get("nodes", [])):
        name, ntype = raw.get("name"), raw.get("type")
        if not isinstance(name, str) or not name:
            raise DocumentError.single(
                "legacy_node", "node needs a string name", field=f"nodes[{i}].name"
            )
        if ntype in _START_NAMES or ntype in _END_NAMES or name in _START_NAMES | _END_NAMES:
            continue
        if not isinstance(ntype, str) or not ntype:
            raise DocumentError.single("legacy_node", "node needs a type", node=name, field="type")
        config = {
            k: v for k, v in raw.items() if k not in _NODE_META_KEYS and not _display_only(k, ntype)
        }
        display = [k for k in raw if k not in _NODE_META_KEYS and _display_only(k, ntype)]
        if display:
            pos = _position(raw)
            if pos is not None:
                positions[name] = pos
            for key in display:
                if pos is None or key not in ("position", "x", "y"):
                    dropped.setdefault(key, set()).add(name)
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
    for edge_node in _entries(data, "edge_nodes"):
        edge_nodes[edge_node["name"]] = edge_node

    conditional: list[dict[str, Any]] = []
    added_edge_nodes: set[str] = set()
    for cond in _entries(data, "conditional_edges"):
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
    for branch in _entries(data, "parallel_branches"):
        src = _sentinel(branch["source"])
        for target in branch["targets"]:
            edges.append({"source": src, "target": _sentinel(target)})
            if branch.get("join"):
                edges.append({"source": _sentinel(target), "target": _sentinel(branch["join"])})

    if positions:
        notices.append(f"node positions moved to canvas.positions ({len(positions)} nodes)")
    for key, names in sorted(dropped.items()):
        notices.append(f"display-only key {key!r} dropped from nodes {', '.join(sorted(names))}")
    entry = next((e["target"] for e in edges if e["source"] == START), None)
    if entry is None and nodes:
        entry = data.get("entry_point") or nodes[0]["id"]
    return GraphIR.model_validate(
        {"entrypoint": entry, "nodes": nodes, "edges": edges, "conditional_edges": conditional}
    )
