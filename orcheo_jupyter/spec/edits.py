"""The edit engine: every change a surface makes to a workflow document's graph.

The canvas (as JSON diffs such as ``{"op": "add_edge", ...}``), the ``Workflow``
builder API and the ``%%orcheo`` magics all edit through these functions, so a
rule (a node id is unique, an edge cannot leave ``__end__``, removing a node takes
its edges along) is written once and its error message reads the same everywhere.
The canvas's TypeScript twin, ``src/canvas/doc.ts``, must reproduce the shared
fixtures in ``tests/ts/fixtures/edits`` (tests/spec/test_edit_fixtures.py,
tests/ts/edits.test.ts).

Each operation changes the document in place and returns its undo; a batch
(``apply_edits``) is all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .models import (
    END,
    SENTINELS,
    START,
    BuiltinNode,
    CodeNode,
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
from .problems import format_loc

Undo = Callable[[], None]


class EditError(ValueError):
    """An edit that cannot be applied.

    ``reason`` says why (naming the node, edge or field); in a batch, ``index`` and
    ``op`` say which edit, and the message starts with ``diff {index} ({op}):``.
    """

    def __init__(self, reason: str, *, index: int | None = None, op: str | None = None) -> None:
        self.reason = reason
        self.index = index
        self.op = op
        if index is None:
            prefix = ""
        elif op is None:
            prefix = f"diff {index}: "
        else:
            prefix = f"diff {index} ({op}): "
        super().__init__(prefix + reason)


# --- the operations as JSON (what the canvas sends) ---------------------------------------
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
    """Node members besides id, kind and config; ``None`` clears retry/timeout."""

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
    """A conditional edge without its source."""

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


Edit = Annotated[
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
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Edit)
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
#: Ops that only change layout: a batch of these cannot change validation problems.
LAYOUT_OPS = frozenset({"move", "set_viewport", "set_comment"})


def edit_json_schema() -> dict[str, Any]:
    """JSON Schema of one edit (published as schema/edits.schema.json)."""
    return _ADAPTER.json_schema(mode="validation")


def parse_edit(raw: Any, index: int = 0) -> Any:
    """Validate one edit's shape; the error names the edit, its op and the field."""
    if not isinstance(raw, dict):
        raise EditError(f"expected an object, got {type(raw).__name__}", index=index)
    op = raw.get("op")
    if op not in OPS:
        raise EditError(f"unknown op {op!r}; expected one of {', '.join(OPS)}", index=index)
    node = raw.get("node")
    new_id = node.get("id") if op == "add_node" and isinstance(node, dict) else None
    if isinstance(new_id, str) and (not new_id.strip() or new_id in SENTINELS):
        # The id rules are the engine's (one message on every surface), not the model's.
        try:
            check_new_id(GraphIR(), new_id)
        except EditError as exc:
            raise EditError(exc.reason, index=index, op=op) from None
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(p for p in err["loc"] if p not in (op, "builtin", "code", "subgraph"))
        raise EditError(f"{format_loc(loc) or 'diff'}: {err['msg']}", index=index, op=op) from None


# --- rules shared by the operations -------------------------------------------------------
def graph_ir(doc: WorkflowDocument) -> GraphIR:
    """The editable graph; a script document is read-only."""
    if not isinstance(doc.graph, FrozenIRGraph):
        raise EditError("this workflow is a LangGraph script: it is read-only on the canvas")
    return doc.graph.ir


def _frozen(doc: WorkflowDocument) -> FrozenIRGraph:
    graph_ir(doc)
    assert isinstance(doc.graph, FrozenIRGraph)
    return doc.graph


def find_node(ir: GraphIR, node_id: str) -> int:
    """Index of ``node_id`` in ``ir.nodes``."""
    for i, node in enumerate(ir.nodes):
        if node.id == node_id:
            return i
    raise EditError(f"no node {node_id!r}")


def check_new_id(ir: GraphIR, node_id: Any) -> str:
    """``node_id`` if a new node may take it: a non-empty string, not reserved, not taken."""
    if not isinstance(node_id, str) or not node_id.strip():
        raise EditError("a node id must be a non-empty string")
    if node_id in SENTINELS:
        raise EditError(f"node id {node_id!r} is reserved for the graph's start/end")
    if any(n.id == node_id for n in ir.nodes):
        raise EditError(f"node {node_id!r} already exists")
    return node_id


def _is_endpoint(ir: GraphIR, name: str) -> bool:
    return name in SENTINELS or any(n.id == name for n in ir.nodes)


def _insert(items: list[Any], item: Any, index: int | None) -> None:
    if index is None or index < 0 or index > len(items):
        items.append(item)
    else:
        items.insert(index, item)


# --- nodes ---------------------------------------------------------------------------------
def add_node(
    doc: WorkflowDocument,
    node: BuiltinNode | CodeNode | SubgraphNode,
    *,
    position: Position | None = None,
    index: int | None = None,
) -> Undo:
    """Add ``node`` (at ``index`` in the node list, else last), optionally placed."""
    ir = graph_ir(doc)
    check_new_id(ir, node.id)
    _insert(ir.nodes, node, index)
    positions = doc.canvas.positions
    if position is not None:
        positions[node.id] = position

    def undo() -> None:
        ir.nodes.remove(node)
        positions.pop(node.id, None)

    return undo


def remove_node(doc: WorkflowDocument, node_id: str) -> Undo:
    """Remove a node with whatever points at it, so the graph never dangles."""
    ir = graph_ir(doc)
    graph = _frozen(doc)
    index = find_node(ir, node_id)
    before = (
        list(ir.nodes),
        list(ir.edges),
        list(ir.conditional_edges),
        doc.canvas.positions.get(node_id),
        ir.entrypoint,
        graph.entrypoint,
        dict(doc.pinned),
    )
    del ir.nodes[index]
    ir.edges = [e for e in ir.edges if node_id not in (e.source, e.target)]
    kept = []
    for cond in ir.conditional_edges:
        if cond.source == node_id:
            continue
        if node_id in cond.mapping.values() or cond.default == node_id:
            cond = ConditionalEdge(
                source=cond.source,
                path=cond.path,
                mapping={k: v for k, v in cond.mapping.items() if v != node_id},
                default=None if cond.default == node_id else cond.default,
            )
        kept.append(cond)
    ir.conditional_edges = kept
    doc.canvas.positions.pop(node_id, None)
    if ir.entrypoint == node_id:
        ir.entrypoint = None
    if graph.entrypoint == node_id:
        graph.entrypoint = None
    doc.pinned.pop(node_id, None)  # a pin never outlives its node

    def undo() -> None:
        ir.nodes, ir.edges, ir.conditional_edges = before[0], before[1], before[2]
        if before[3] is not None:
            doc.canvas.positions[node_id] = before[3]
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


def rename_node(doc: WorkflowDocument, node_id: str, new_id: str) -> Undo:
    """Rename a node and every reference to it (edges, routes, entrypoint, layout, pin)."""
    ir = graph_ir(doc)
    graph = _frozen(doc)
    node = ir.nodes[find_node(ir, node_id)]
    check_new_id(ir, new_id)

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

    rename(node_id, new_id)
    return lambda: rename(new_id, node_id)


def set_config(doc: WorkflowDocument, node_id: str, config: Mapping[str, Any]) -> Undo:
    """Replace a builtin or code node's config."""
    ir = graph_ir(doc)
    node = ir.nodes[find_node(ir, node_id)]
    if isinstance(node, SubgraphNode):
        raise EditError(f"node {node_id!r} is a subgraph and has no config")
    before = node.config
    node.config = dict(config)

    def undo() -> None:
        node.config = before

    return undo


def update_node(doc: WorkflowDocument, node_id: str, fields: NodeFields) -> Undo:
    """Set the members ``fields`` names (body and injected on code nodes; retry, timeout)."""
    ir = graph_ir(doc)
    node = ir.nodes[find_node(ir, node_id)]
    given = fields.model_fields_set
    allowed = (
        {"body", "injected", "retry", "timeout"} if node.kind == "code" else {"retry", "timeout"}
    )
    for name in sorted(given - allowed):
        raise EditError(f"field {name!r} cannot be set on a {node.kind} node")
    for name in ("body", "injected"):
        if name in given and getattr(fields, name) is None:
            raise EditError(f"{name} cannot be empty")
    before = {name: getattr(node, name) for name in given}
    for name in given:
        setattr(node, name, getattr(fields, name))

    def undo() -> None:
        for name, value in before.items():
            setattr(node, name, value)

    return undo


def move(doc: WorkflowDocument, positions: Mapping[str, Position | None]) -> Undo:
    """Place nodes (``None`` forgets a stored position); sentinels are ignored."""
    stored = doc.canvas.positions
    graph = doc.graph
    known = (
        {n.id for n in graph.ir.nodes}
        if isinstance(graph, FrozenIRGraph)
        else set(graph.index.nodes)
    )
    for node_id, pos in positions.items():
        if pos is not None and node_id not in known and node_id not in SENTINELS:
            raise EditError(f"no node {node_id!r} to position")
        if pos is not None and not (math.isfinite(pos.x) and math.isfinite(pos.y)):
            raise EditError(f"position of {node_id!r} must be finite numbers")
    before = {k: stored.get(k) for k in positions}
    for node_id, pos in positions.items():
        if node_id in SENTINELS:
            continue
        if pos is None:
            stored.pop(node_id, None)
        else:
            stored[node_id] = pos

    def undo() -> None:
        for node_id, pos in before.items():
            if pos is None:
                stored.pop(node_id, None)
            else:
                stored[node_id] = pos

    return undo


# --- edges ---------------------------------------------------------------------------------
def add_edge(
    doc: WorkflowDocument,
    source: str,
    target: str,
    *,
    index: int | None = None,
    pending: bool = False,
) -> Undo:
    """Add ``source → target``.

    ``pending=True`` (the builders) lets an end name a node not added yet, as
    LangGraph's builder does; validation reports an end that never appears.
    """
    ir = graph_ir(doc)
    if not pending:
        for end in (source, target):
            if not _is_endpoint(ir, end):
                raise EditError(f"edge end {end!r} is not a node")
    if source == END:
        raise EditError("an edge cannot leave __end__")
    if target == START:
        raise EditError("an edge cannot enter __start__")
    if any(e.source == source and e.target == target for e in ir.edges):
        raise EditError(f"edge {source} → {target} already exists")
    edge = Edge(source=source, target=target)
    _insert(ir.edges, edge, index)
    return lambda: ir.edges.remove(edge)


def remove_edge(doc: WorkflowDocument, source: str, target: str) -> Undo:
    ir = graph_ir(doc)
    for i, edge in enumerate(ir.edges):
        if edge.source == source and edge.target == target:
            del ir.edges[i]
            return lambda: ir.edges.insert(i, edge)
    raise EditError(f"no edge {source} → {target}")


def set_conditional_edge(
    doc: WorkflowDocument,
    source: str,
    routing: Routing | None,
    *,
    index: int | None = None,
    pending: bool = False,
    replace: bool = True,
) -> Undo:
    """Route after ``source`` (one conditional edge per node), or remove its routing.

    ``replace=False`` (the builders) refuses a second conditional edge from a node
    instead of replacing the first; ``pending`` is as in ``add_edge``.
    """
    ir = graph_ir(doc)
    if not pending:
        find_node(ir, source)
    elif source in SENTINELS:
        raise EditError(f"a conditional edge cannot leave {source}")
    before = list(ir.conditional_edges)
    found = next((i for i, c in enumerate(ir.conditional_edges) if c.source == source), None)
    if routing is None:
        if found is not None:
            del ir.conditional_edges[found]
    else:
        if found is not None and not replace:
            raise EditError(f"node {source!r} already has a conditional edge")
        targets = [*routing.mapping.values(), *([routing.default] if routing.default else [])]
        for target in targets:
            if target == START or not (pending or _is_endpoint(ir, target)):
                raise EditError(f"route target {target!r} is not a node")
        cond = ConditionalEdge(
            source=source, path=routing.path, mapping=dict(routing.mapping), default=routing.default
        )
        if found is not None:
            ir.conditional_edges[found] = cond
        else:
            _insert(ir.conditional_edges, cond, index)

    def undo() -> None:
        ir.conditional_edges = before

    return undo


def set_entrypoint(doc: WorkflowDocument, node_id: str | None, *, pending: bool = False) -> Undo:
    """Where a run starts when no edge leaves ``__start__`` (``None``: no entrypoint)."""
    ir = graph_ir(doc)
    graph = _frozen(doc)
    if node_id is not None and not pending:
        find_node(ir, node_id)
    before = (ir.entrypoint, graph.entrypoint)
    ir.entrypoint = graph.entrypoint = node_id

    def undo() -> None:
        ir.entrypoint, graph.entrypoint = before

    return undo


# --- layout and metadata -------------------------------------------------------------------
def set_viewport(doc: WorkflowDocument, viewport: Viewport | None) -> Undo:
    before = doc.canvas.viewport
    doc.canvas.viewport = viewport

    def undo() -> None:
        doc.canvas.viewport = before

    return undo


def set_comment(
    doc: WorkflowDocument, note_id: str, content: NoteContent | None, *, index: int | None = None
) -> Undo:
    comments = doc.canvas.comments
    before = list(comments)
    found = next((i for i, c in enumerate(comments) if c.id == note_id), None)
    if content is None:
        if found is not None:
            del comments[found]
    else:
        if not math.isfinite(content.x) or not math.isfinite(content.y):
            raise EditError("a note's position must be finite numbers")
        note = Comment(id=note_id, text=content.text, x=content.x, y=content.y)
        if found is not None:
            comments[found] = note
        else:
            _insert(comments, note, index)

    def undo() -> None:
        doc.canvas.comments[:] = before

    return undo


def set_meta(
    doc: WorkflowDocument, *, name: str | None = None, description: str | None = None
) -> Undo:
    if name is not None and not name.strip():
        raise EditError("a workflow needs a name")
    for text in (name, description):
        if text is not None and "\x00" in text:
            raise EditError("name and description must not contain NUL characters")
    before = (doc.name, doc.description)
    if name is not None:
        doc.name = name
    if description is not None:
        doc.description = description

    def undo() -> None:
        doc.name, doc.description = before

    return undo


def set_pin(doc: WorkflowDocument, node_id: str, output: Any) -> Undo:
    find_node(graph_ir(doc), node_id)
    had, before = node_id in doc.pinned, doc.pinned.get(node_id)
    doc.pinned[node_id] = output
    return lambda: _restore_pin(doc, node_id, had, before)


def remove_pin(doc: WorkflowDocument, node_id: str) -> Undo:
    had, before = node_id in doc.pinned, doc.pinned.pop(node_id, None)
    return lambda: _restore_pin(doc, node_id, had, before)


def _restore_pin(doc: WorkflowDocument, node_id: str, had: bool, output: Any) -> None:
    if had:
        doc.pinned[node_id] = output
    else:
        doc.pinned.pop(node_id, None)


# --- batches -------------------------------------------------------------------------------
_APPLY: dict[str, Callable[[WorkflowDocument, Any], Undo]] = {
    "add_node": lambda doc, d: add_node(doc, d.node, position=d.position, index=d.index),
    "remove_node": lambda doc, d: remove_node(doc, d.id),
    "rename_node": lambda doc, d: rename_node(doc, d.id, d.new_id),
    "set_config": lambda doc, d: set_config(doc, d.id, d.config),
    "update_node": lambda doc, d: update_node(doc, d.id, d.fields),
    "move": lambda doc, d: move(doc, d.positions),
    "add_edge": lambda doc, d: add_edge(doc, d.source, d.target, index=d.index),
    "remove_edge": lambda doc, d: remove_edge(doc, d.source, d.target),
    "set_conditional_edge": lambda doc, d: set_conditional_edge(
        doc, d.source, d.edge, index=d.index
    ),
    "set_entrypoint": lambda doc, d: set_entrypoint(doc, d.id),
    "set_viewport": lambda doc, d: set_viewport(doc, d.viewport),
    "set_comment": lambda doc, d: set_comment(doc, d.id, d.comment, index=d.index),
    "set_meta": lambda doc, d: set_meta(doc, name=d.name, description=d.description),
    "set_pin": lambda doc, d: set_pin(doc, d.id, d.output),
    "remove_pin": lambda doc, d: remove_pin(doc, d.id),
}


def apply_edits(doc: WorkflowDocument, edits: Any) -> None:
    """Apply a batch of JSON edits to ``doc`` in place, all or nothing."""
    if not isinstance(edits, list):
        raise EditError(f"diffs must be a list, got {type(edits).__name__}")
    undo: list[Undo] = []
    try:
        for i, raw in enumerate(edits):
            edit = parse_edit(raw, i)
            try:
                undo.append(_APPLY[edit.op](doc, edit))
            except EditError as exc:
                raise EditError(exc.reason, index=i, op=edit.op) from None
    except EditError:
        for step in reversed(undo):
            step()
        raise


def changes_structure(edits: Iterable[Any]) -> bool:
    """Whether an (already applied) batch may have changed what validation finds.

    Moving existing nodes cannot; dropping a stored position can (it may have been a
    stale one, which validation reports).
    """
    for d in edits:
        if not isinstance(d, dict) or d.get("op") not in LAYOUT_OPS:
            return True
        if d["op"] == "move" and None in dict(d.get("positions") or {}).values():
            return True
    return False
