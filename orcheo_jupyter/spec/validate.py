"""Structural validation of a graph with networkx.

Node-type knowledge (which types exist, what their config accepts) lives in the
node layer; callers pass it in as ``check_node`` so this module stays at the
bottom of the layer stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import networkx as nx

from .inputs import schema_problems
from .models import END, START, BuiltinNode, FrozenIRGraph, GraphIR, SubgraphNode, WorkflowDocument
from .problems import Problem

NodeChecker = Callable[[BuiltinNode], Iterable[Problem]]


def validate_document(
    doc: WorkflowDocument, check_node: NodeChecker | None = None
) -> list[Problem]:
    """Every problem of the document (its graph, its ``inputs_schema``), errors first."""
    problems = schema_problems(doc)
    if not isinstance(doc.graph, FrozenIRGraph):
        return problems
    problems += validate_ir(doc.graph.ir, check_node, fallback_entry=doc.graph.entrypoint)
    if (
        doc.graph.entrypoint
        and doc.graph.ir.entrypoint
        and doc.graph.entrypoint != doc.graph.ir.entrypoint
    ):
        problems.append(
            Problem(
                "error",
                "entrypoint_mismatch",
                f"graph.entrypoint {doc.graph.entrypoint!r} differs from ir.entrypoint "
                f"{doc.graph.ir.entrypoint!r}",
                field="graph.entrypoint",
            )
        )
    known = {n.id for n in doc.graph.ir.nodes}
    for node_id in doc.canvas.positions:
        if node_id not in known:
            problems.append(
                Problem(
                    "warning",
                    "stale_position",
                    "canvas position for a node that does not exist",
                    node=node_id,
                    field="canvas.positions",
                )
            )
    for node_id in doc.pinned:
        if node_id not in known:
            problems.append(
                Problem(
                    "error",
                    "stale_pin",
                    f"pinned output for node {node_id!r}, which does not exist",
                    node=node_id,
                    field=f"pinned.{node_id}",
                )
            )
    return sorted(problems, key=lambda p: p.severity != "error")


def entry_of(ir: GraphIR, fallback: str | None = None) -> str | None:
    """The node the run starts at: a ``__start__`` edge, else the declared entrypoint."""
    for edge in ir.edges:
        if edge.source == START:
            return edge.target
    return ir.entrypoint or fallback


def validate_ir(
    ir: GraphIR,
    check_node: NodeChecker | None = None,
    *,
    fallback_entry: str | None = None,
    scope: str = "",
) -> list[Problem]:
    """Problems of one graph level (and, recursively, of its subgraphs)."""
    problems: list[Problem] = []

    def nid(node_id: str) -> str:
        return f"{scope}{node_id}"

    seen: set[str] = set()
    for node in ir.nodes:
        if node.id in seen:
            problems.append(
                Problem("error", "duplicate_id", "duplicate node id", node=nid(node.id), field="id")
            )
        seen.add(node.id)
        if isinstance(node, BuiltinNode) and check_node is not None:
            for p in check_node(node):
                problems.append(
                    Problem(p.severity, p.code, p.message, node=nid(node.id), field=p.field)
                )
        if isinstance(node, SubgraphNode):
            problems.extend(validate_ir(node.graph, check_node, scope=f"{scope}{node.id}/"))
        if not isinstance(node, SubgraphNode):
            for field in getattr(node, "injected", []):
                if field not in node.config:
                    problems.append(
                        Problem(
                            "error",
                            "injected_missing",
                            f"injected field {field!r} is not in config",
                            node=nid(node.id),
                            field="injected",
                        )
                    )
    if ir.state_ref != "orcheo.graph.state.State":
        problems.append(
            Problem(
                "error",
                "state_ref",
                f"unsupported state_ref {ir.state_ref!r}; only orcheo.graph.state.State is known",
                field="state_ref",
            )
        )

    g = nx.DiGraph()
    g.add_nodes_from(seen | {START, END})
    for i, edge in enumerate(ir.edges):
        for end, name in (("source", edge.source), ("target", edge.target)):
            if name not in g:
                problems.append(
                    Problem(
                        "error",
                        "dangling_edge",
                        f"edge {end} {name!r} is not a node",
                        field=f"edges[{i}].{end}",
                    )
                )
        if edge.source == END:
            problems.append(
                Problem(
                    "error", "edge_from_end", "an edge cannot leave __end__", field=f"edges[{i}]"
                )
            )
        if edge.target == START:
            problems.append(
                Problem(
                    "error", "edge_to_start", "an edge cannot enter __start__", field=f"edges[{i}]"
                )
            )
        if edge.source in g and edge.target in g:
            g.add_edge(edge.source, edge.target)
    for i, cond in enumerate(ir.conditional_edges):
        if cond.source not in seen:
            problems.append(
                Problem(
                    "error",
                    "dangling_edge",
                    f"conditional edge source {cond.source!r} is not a node",
                    field=f"conditional_edges[{i}].source",
                )
            )
        if not cond.path.strip():
            problems.append(
                Problem(
                    "error",
                    "empty_path",
                    "conditional edge needs a state path",
                    node=nid(cond.source),
                    field=f"conditional_edges[{i}].path",
                )
            )
        targets = [(f"mapping.{k}", v) for k, v in cond.mapping.items()]
        if cond.default is not None:
            targets.append(("default", cond.default))
        for where, target in targets:
            if target not in g or target == START:
                problems.append(
                    Problem(
                        "error",
                        "dangling_target",
                        f"routes to {target!r}, which is not a node",
                        node=nid(cond.source),
                        field=f"conditional_edges[{i}].{where}",
                    )
                )
            elif cond.source in g:
                g.add_edge(cond.source, target)
        if cond.source in g:
            # With no matching key and no default the run ends: an implicit route to END.
            g.add_edge(cond.source, END)

    entry = entry_of(ir, fallback_entry)
    if entry is None:
        if ir.nodes:
            problems.append(
                Problem(
                    "error",
                    "no_entrypoint",
                    "graph has no entrypoint and no __start__ edge",
                    field="entrypoint",
                )
            )
        else:  # LangGraph cannot build it: say so before a run or a store is tried
            problems.append(
                Problem(
                    "error",
                    "empty_graph",
                    "graph has no nodes: add one and connect __start__ to it",
                    node=scope.rstrip("/") or None,
                    field="nodes",
                )
            )
    elif entry not in seen:
        problems.append(
            Problem(
                "error",
                "unknown_entrypoint",
                f"entrypoint {entry!r} is not a node",
                field="entrypoint",
            )
        )
    else:
        g.add_edge(START, entry)
        reachable = nx.descendants(g, START)
        can_finish = nx.ancestors(g, END)
        for node in ir.nodes:
            if node.id not in reachable:
                problems.append(
                    Problem(
                        "warning",
                        "unreachable",
                        "node is not reachable from the entrypoint",
                        node=nid(node.id),
                    )
                )
            elif node.id not in can_finish:
                problems.append(
                    Problem(
                        "warning",
                        "no_path_to_end",
                        "node has no path to __end__",
                        node=nid(node.id),
                    )
                )
    return problems
