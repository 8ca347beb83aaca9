"""Small edits from the canvas, applied to a live workflow document.

The canvas never sends the whole document: each user action is a short list of
diffs (``add_node``, ``move``, ``set_config``...). A batch applies atomically: if
one diff is invalid the document is left exactly as it was and the error names
the diff and the field. The TypeScript twin is ``src/canvas/doc.ts``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..spec.models import (
    END,
    SENTINELS,
    START,
    Comment,
    ConditionalEdge,
    Edge,
    FrozenIRGraph,
    GraphIR,
    Node,
    Position,
    RetryPolicy,
    SubgraphNode,
    Viewport,
    WorkflowDocument,
)
from ..spec.problems import format_loc

Undo = Callable[[], None]


class DiffError(ValueError):
    """A diff that cannot be applied; the message says which one and why."""


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddNode(_Op):
    op: Literal["add_node"]
    node: Node
    position: Position | None = None
    index: int | None = None


class RemoveNode(_Op):
    op: Literal["remove_node"]
    id: str


class RenameNode(_Op):
    op: Literal["rename_node"]
    id: str
    new_id: str


class SetConfig(_Op):
    op: Literal["set_config"]
    id: str
    config: dict[str, Any]


class NodeFields(_Op):
    body: str | None = None
    injected: list[str] | None = None
    retry: RetryPolicy | None = None
    timeout: float | None = Field(None, gt=0)


class UpdateNode(_Op):
    op: Literal["update_node"]
    id: str
    fields: NodeFields


class Move(_Op):
    op: Literal["move"]
    positions: dict[str, Position | None]


class AddEdge(_Op):
    op: Literal["add_edge"]
    source: str
    target: str
    index: int | None = None


class RemoveEdge(_Op):
    op: Literal["remove_edge"]
    source: str
    target: str


class Routing(_Op):
    path: str
    mapping: dict[str, str] = Field(default_factory=dict)
    default: str | None = None


class SetConditionalEdge(_Op):
    op: Literal["set_conditional_edge"]
    source: str
    edge: Routing | None
    index: int | None = None


class SetEntrypoint(_Op):
    op: Literal["set_entrypoint"]
    id: str | None


class SetViewport(_Op):
    op: Literal["set_viewport"]
    viewport: Viewport | None


class NoteContent(_Op):
    text: str = Field(max_length=20_000)
    x: float
    y: float


class SetComment(_Op):
    """Add, change or (``comment: null``) remove a sticky note; layout only."""

    op: Literal["set_comment"]
    id: str = Field(min_length=1, max_length=200)
    comment: NoteContent | None
    index: int | None = None


class SetMeta(_Op):
    op: Literal["set_meta"]
    name: str | None = Field(None, min_length=1)
    description: str | None = None


class SetPin(_Op):
    op: Literal["set_pin"]
    id: str
    output: Any = Field(description="The node's output to use instead of running it (JSON).")


class RemovePin(_Op):
    op: Literal["remove_pin"]
    id: str


Diff = Annotated[
    AddNode
    | RemoveNode
    | RenameNode
    | SetConfig
    | UpdateNode
    | Move
    | AddEdge
    | RemoveEdge
    | SetConditionalEdge
    | SetEntrypoint
    | SetViewport
    | SetComment
    | SetMeta
    | SetPin
    | RemovePin,
    Field(discriminator="op"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Diff)
OPS = (
    "add_node",
    "remove_node",
    "rename_node",
    "set_config",
    "update_node",
    "move",
    "add_edge",
    "remove_edge",
    "set_conditional_edge",
    "set_entrypoint",
    "set_viewport",
    "set_comment",
    "set_meta",
    "set_pin",
    "remove_pin",
)


def parse_diff(raw: Any, index: int = 0) -> Any:
    """Validate one diff's shape; the error names the diff, its op and the field."""
    if not isinstance(raw, dict):
        raise DiffError(f"diff {index}: expected an object, got {type(raw).__name__}")
    op = raw.get("op")
    if op not in OPS:
        raise DiffError(f"diff {index}: unknown op {op!r}; expected one of {', '.join(OPS)}")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if p not in (op, "builtin", "code", "subgraph"))
        where = format_loc(loc) or "diff"
        raise DiffError(f"diff {index} ({op}): {where}: {err['msg']}") from None


def _ir(doc: WorkflowDocument) -> GraphIR:
    if not isinstance(doc.graph, FrozenIRGraph):
        raise DiffError("this workflow is a LangGraph script: it is read-only on the canvas")
    return doc.graph.ir


def _find(ir: GraphIR, node_id: str) -> int:
    for i, node in enumerate(ir.nodes):
        if node.id == node_id:
            return i
    raise DiffError(f"no node {node_id!r}")


def _check_new_id(ir: GraphIR, node_id: str) -> None:
    if not node_id or not node_id.strip():
        raise DiffError("a node id must be a non-empty string")
    if node_id in SENTINELS:
        raise DiffError(f"node id {node_id!r} is reserved for the graph's start/end")
    if any(n.id == node_id for n in ir.nodes):
        raise DiffError(f"a node {node_id!r} already exists")


def _is_endpoint(ir: GraphIR, name: str) -> bool:
    return name in SENTINELS or any(n.id == name for n in ir.nodes)


def _insert(items: list[Any], item: Any, index: int | None) -> None:
    if index is None or index < 0 or index > len(items):
        items.append(item)
    else:
        items.insert(index, item)


def _add_node(doc: WorkflowDocument, d: AddNode) -> Undo:
    ir = _ir(doc)
    _check_new_id(ir, d.node.id)
    _insert(ir.nodes, d.node, d.index)
    positions = doc.canvas.positions
    if d.position is not None:
        positions[d.node.id] = d.position

    def undo() -> None:
        ir.nodes.remove(d.node)
        positions.pop(d.node.id, None)

    return undo


def _remove_node(doc: WorkflowDocument, d: RemoveNode) -> Undo:
    ir = _ir(doc)
    index = _find(ir, d.id)
    graph = doc.graph
    assert isinstance(graph, FrozenIRGraph)
    before = (
        list(ir.nodes),
        list(ir.edges),
        list(ir.conditional_edges),
        doc.canvas.positions.get(d.id),
        ir.entrypoint,
        graph.entrypoint,
        dict(doc.pinned),
    )
    del ir.nodes[index]
    # Whatever pointed at the node goes with it, so the graph never dangles.
    ir.edges = [e for e in ir.edges if d.id not in (e.source, e.target)]
    kept = []
    for cond in ir.conditional_edges:
        if cond.source == d.id:
            continue
        if d.id in cond.mapping.values() or cond.default == d.id:
            cond = ConditionalEdge(
                source=cond.source,
                path=cond.path,
                mapping={k: v for k, v in cond.mapping.items() if v != d.id},
                default=None if cond.default == d.id else cond.default,
            )
        kept.append(cond)
    ir.conditional_edges = kept
    doc.canvas.positions.pop(d.id, None)
    if ir.entrypoint == d.id:
        ir.entrypoint = None
    if graph.entrypoint == d.id:
        graph.entrypoint = None
    doc.pinned.pop(d.id, None)  # a pin never outlives its node

    def undo() -> None:
        ir.nodes, ir.edges, ir.conditional_edges = before[0], before[1], before[2]
        if before[3] is not None:
            doc.canvas.positions[d.id] = before[3]
        ir.entrypoint, graph.entrypoint = before[4], before[5]
        doc.pinned = before[6]

    return undo


def _rename_in(ir: GraphIR, old: str, new: str) -> None:
    for edge in ir.edges:
        if edge.source == old:
            edge.source = new
        if edge.target == old:
            edge.target = new
    for cond in ir.conditional_edges:
        if cond.source == old:
            cond.source = new
        cond.mapping = {k: (new if v == old else v) for k, v in cond.mapping.items()}
        if cond.default == old:
            cond.default = new


def _rename_node(doc: WorkflowDocument, d: RenameNode) -> Undo:
    ir = _ir(doc)
    node = ir.nodes[_find(ir, d.id)]
    _check_new_id(ir, d.new_id)
    graph = doc.graph
    assert isinstance(graph, FrozenIRGraph)

    def rename(old: str, new: str) -> None:
        node.id = new
        _rename_in(ir, old, new)
        if ir.entrypoint == old:
            ir.entrypoint = new
        if graph.entrypoint == old:
            graph.entrypoint = new
        if old in doc.canvas.positions:
            doc.canvas.positions[new] = doc.canvas.positions.pop(old)
        if old in doc.pinned:
            doc.pinned[new] = doc.pinned.pop(old)

    rename(d.id, d.new_id)
    return lambda: rename(d.new_id, d.id)


def _set_config(doc: WorkflowDocument, d: SetConfig) -> Undo:
    ir = _ir(doc)
    node = ir.nodes[_find(ir, d.id)]
    if isinstance(node, SubgraphNode):
        raise DiffError(f"node {d.id!r} is a subgraph and has no config")
    before = node.config
    node.config = d.config

    def undo() -> None:
        node.config = before

    return undo


def _update_node(doc: WorkflowDocument, d: UpdateNode) -> Undo:
    ir = _ir(doc)
    node = ir.nodes[_find(ir, d.id)]
    given = d.fields.model_fields_set
    allowed = (
        {"body", "injected", "retry", "timeout"} if node.kind == "code" else {"retry", "timeout"}
    )
    for name in sorted(given - allowed):
        raise DiffError(f"field {name!r} cannot be set on a {node.kind} node")
    for name in ("body", "injected"):
        if name in given and getattr(d.fields, name) is None:
            raise DiffError(f"{name} cannot be empty")
    before = {name: getattr(node, name) for name in given}
    for name in given:
        setattr(node, name, getattr(d.fields, name))

    def undo() -> None:
        for name, value in before.items():
            setattr(node, name, value)

    return undo


def _move(doc: WorkflowDocument, d: Move) -> Undo:
    positions = doc.canvas.positions
    graph = doc.graph
    known = (
        {n.id for n in graph.ir.nodes}
        if isinstance(graph, FrozenIRGraph)
        else set(graph.index.nodes)
    )
    for node_id, pos in d.positions.items():
        if pos is not None and node_id not in known and node_id not in SENTINELS:
            raise DiffError(f"no node {node_id!r} to position")
    before = {k: positions.get(k) for k in d.positions}
    for node_id, pos in d.positions.items():
        if node_id in SENTINELS:
            continue
        if pos is None:
            positions.pop(node_id, None)
        else:
            positions[node_id] = pos

    def undo() -> None:
        for node_id, pos in before.items():
            if pos is None:
                positions.pop(node_id, None)
            else:
                positions[node_id] = pos

    return undo


def _add_edge(doc: WorkflowDocument, d: AddEdge) -> Undo:
    ir = _ir(doc)
    for end in (d.source, d.target):
        if not _is_endpoint(ir, end):
            raise DiffError(f"edge end {end!r} is not a node")
    if d.source == END:
        raise DiffError("an edge cannot leave __end__")
    if d.target == START:
        raise DiffError("an edge cannot enter __start__")
    if any(e.source == d.source and e.target == d.target for e in ir.edges):
        raise DiffError(f"edge {d.source} -> {d.target} already exists")
    edge = Edge(source=d.source, target=d.target)
    _insert(ir.edges, edge, d.index)
    return lambda: ir.edges.remove(edge)


def _remove_edge(doc: WorkflowDocument, d: RemoveEdge) -> Undo:
    ir = _ir(doc)
    for i, edge in enumerate(ir.edges):
        if edge.source == d.source and edge.target == d.target:
            del ir.edges[i]
            return lambda: ir.edges.insert(i, edge)
    raise DiffError(f"no edge {d.source} -> {d.target}")


def _set_conditional_edge(doc: WorkflowDocument, d: SetConditionalEdge) -> Undo:
    ir = _ir(doc)
    _find(ir, d.source)
    before = list(ir.conditional_edges)
    index = next((i for i, c in enumerate(ir.conditional_edges) if c.source == d.source), None)
    if d.edge is None:
        if index is not None:
            del ir.conditional_edges[index]
    else:
        targets = [*d.edge.mapping.values(), *([d.edge.default] if d.edge.default else [])]
        for target in targets:
            if not _is_endpoint(ir, target) or target == START:
                raise DiffError(f"route target {target!r} is not a node")
        cond = ConditionalEdge(
            source=d.source, path=d.edge.path, mapping=d.edge.mapping, default=d.edge.default
        )
        if index is not None:
            ir.conditional_edges[index] = cond
        else:
            _insert(ir.conditional_edges, cond, d.index)

    def undo() -> None:
        ir.conditional_edges = before

    return undo


def _set_entrypoint(doc: WorkflowDocument, d: SetEntrypoint) -> Undo:
    ir = _ir(doc)
    if d.id is not None:
        _find(ir, d.id)
    graph = doc.graph
    assert isinstance(graph, FrozenIRGraph)
    before = (ir.entrypoint, graph.entrypoint)
    ir.entrypoint = graph.entrypoint = d.id

    def undo() -> None:
        ir.entrypoint, graph.entrypoint = before

    return undo


def _set_viewport(doc: WorkflowDocument, d: SetViewport) -> Undo:
    before = doc.canvas.viewport
    doc.canvas.viewport = d.viewport

    def undo() -> None:
        doc.canvas.viewport = before

    return undo


def _set_comment(doc: WorkflowDocument, d: SetComment) -> Undo:
    comments = doc.canvas.comments
    before = list(comments)
    index = next((i for i, c in enumerate(comments) if c.id == d.id), None)
    if d.comment is None:
        if index is not None:
            del comments[index]
    else:
        if not math.isfinite(d.comment.x) or not math.isfinite(d.comment.y):
            raise DiffError("a note's position must be finite numbers")
        note = Comment(id=d.id, text=d.comment.text, x=d.comment.x, y=d.comment.y)
        if index is not None:
            comments[index] = note
        else:
            _insert(comments, note, d.index)

    def undo() -> None:
        doc.canvas.comments[:] = before

    return undo


def _set_meta(doc: WorkflowDocument, d: SetMeta) -> Undo:
    if d.name is not None and not d.name.strip():
        raise DiffError("a workflow needs a name")
    for text in (d.name, d.description):
        if text is not None and "\x00" in text:
            raise DiffError("name and description must not contain NUL characters")
    before = (doc.name, doc.description)
    if d.name is not None:
        doc.name = d.name
    if d.description is not None:
        doc.description = d.description

    def undo() -> None:
        doc.name, doc.description = before

    return undo


def _set_pin(doc: WorkflowDocument, d: SetPin) -> Undo:
    _find(_ir(doc), d.id)
    had, before = d.id in doc.pinned, doc.pinned.get(d.id)
    doc.pinned[d.id] = d.output
    return lambda: _restore_pin(doc, d.id, had, before)


def _remove_pin(doc: WorkflowDocument, d: RemovePin) -> Undo:
    had, before = d.id in doc.pinned, doc.pinned.pop(d.id, None)
    return lambda: _restore_pin(doc, d.id, had, before)


def _restore_pin(doc: WorkflowDocument, node_id: str, had: bool, output: Any) -> None:
    if had:
        doc.pinned[node_id] = output
    else:
        doc.pinned.pop(node_id, None)


_APPLY: dict[str, Callable[[WorkflowDocument, Any], Undo]] = {
    "add_node": _add_node,
    "remove_node": _remove_node,
    "rename_node": _rename_node,
    "set_config": _set_config,
    "update_node": _update_node,
    "move": _move,
    "add_edge": _add_edge,
    "remove_edge": _remove_edge,
    "set_conditional_edge": _set_conditional_edge,
    "set_entrypoint": _set_entrypoint,
    "set_viewport": _set_viewport,
    "set_comment": _set_comment,
    "set_meta": _set_meta,
    "set_pin": _set_pin,
    "remove_pin": _remove_pin,
}


#: Ops that only change layout: a batch of these cannot change validation problems.
LAYOUT_OPS = frozenset({"move", "set_viewport", "set_comment"})


def changes_structure(diffs: list[Any]) -> bool:
    """Whether an (already applied) batch may have changed what validation finds.

    Moving existing nodes cannot; dropping a stored position can (it may have been a
    stale one, which validation reports).
    """
    for d in diffs:
        if not isinstance(d, dict) or d.get("op") not in LAYOUT_OPS:
            return True
        if d["op"] == "move" and None in dict(d.get("positions") or {}).values():
            return True
    return False


def apply_diffs(doc: WorkflowDocument, diffs: Any) -> None:
    """Apply a batch of diffs to ``doc`` in place, all or nothing."""
    if not isinstance(diffs, list):
        raise DiffError(f"diffs must be a list, got {type(diffs).__name__}")
    undo: list[Undo] = []
    try:
        for i, raw in enumerate(diffs):
            diff = parse_diff(raw, i)
            try:
                undo.append(_APPLY[diff.op](doc, diff))
            except DiffError as exc:
                raise DiffError(f"diff {i} ({diff.op}): {exc}") from None
    except DiffError:
        for step in reversed(undo):
            step()
        raise
