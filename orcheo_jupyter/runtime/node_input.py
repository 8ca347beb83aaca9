"""The state a node received in a stored run: what "test node" and "debug" start from.

The exact answer is a checkpoint whose next task is the node. Under the ``async``
durability policy fast steps may share one checkpoint, so when none was stored
just before the node, the input is rebuilt from the run's stored events: the
run's initial state plus each earlier node's output under ``results`` (the
shallow-merge reducer), which is the state for every task node; ``source`` says
which of the two it is.

Without a run named, every surface (REST, the canvas widget, ``%orcheo test``)
takes the node's input in the newest run that reached it (``input_in``): one
rule, so they cannot differ on which run that is. Before any run reached it, a
node the workflow starts at is tested on the state a run started without inputs
gives it (``first_input``): a new user's first node can be tried before anything ran.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..spec.io import loads
from ..spec.models import END, START, FrozenIRGraph, ScriptGraph, WorkflowDocument
from ..spec.problems import DocumentError
from ..spec.validate import entry_of
from ..store.base import NotFound
from .admission import admit_inputs
from .events import EventType
from .expressions import render
from .serialize import jsonable
from .state import initial_state

if TYPE_CHECKING:
    from ..store.records import RunRecord
    from .executor import Executor

#: How many of a workflow's newest stored runs are searched for one that reached a node.
RECENT_RUNS = 50


@dataclass(frozen=True)
class NodeInput:
    #: None for ``first_input``: no run, the state a run would start the node on.
    run_id: str | None
    node_id: str
    state: dict[str, Any]
    source: Literal["checkpoint", "events", "inputs"]
    checkpoint_id: str | None = None

    def state_source(self) -> dict[str, Any]:
        """Where the state came from, as "test node" answers it (REST and the canvas)."""
        source: dict[str, Any] = {"kind": self.source}
        if self.run_id:
            source["run_id"] = self.run_id
        if self.checkpoint_id:
            source["checkpoint_id"] = self.checkpoint_id
        return source


class NodeNotReached(LookupError):
    """The run never started that node (the message says which run and node)."""


class NoRunReached(NodeNotReached):
    """No run was named and none of the runs searched started the node yet.

    The message says which node; each surface adds how its user makes such a run.
    """

    def __init__(self, node_id: str, workflow: str = "this workflow") -> None:
        super().__init__(f"no run of {workflow} reached node {node_id!r} yet")
        self.node_id = node_id


async def node_input(executor: Executor, run_id: str, node_id: str) -> NodeInput:
    """The input of the node's last execution in the run."""
    record = await executor.get_run(run_id)
    from_checkpoint = await _from_checkpoints(executor, run_id, node_id)
    if from_checkpoint is not None:
        return from_checkpoint
    events = await executor.store.list_events(run_id, after=0)
    starts = [e for e in events if e.type == EventType.NODE_STARTED and e.node == node_id]
    if not starts:
        raise NodeNotReached(f"run {run_id} never reached node {node_id!r}")
    if await _is_script(executor, record):
        # Its nodes return updates for the script's own reducers: replaying them onto
        # a drawn workflow's state would hand the node a state it never had.
        raise NodeNotReached(
            f"run {run_id} kept no checkpoint before node {node_id!r}, and a script's state "
            "cannot be rebuilt from its events: give the node a state to test it on"
        )
    last_start = starts[-1].seq
    state = initial_state(record.inputs, record.config)
    for event in events:
        if event.seq >= last_start:
            break
        if event.type == EventType.NODE_FINISHED and event.node and "/" not in event.node:
            state["results"][event.node] = (event.data or {}).get("output")
    return NodeInput(run_id, node_id, jsonable(state), "events")


async def _is_script(executor: Executor, record: RunRecord) -> bool:
    document = loads(await executor.store.get_document(record.checksum))
    return isinstance(document.graph, ScriptGraph)


async def _from_checkpoints(executor: Executor, run_id: str, node_id: str) -> NodeInput | None:
    if executor.checkpointer is None:
        return None
    try:
        history = await executor.checkpoints(run_id, values=True)
    except NotFound:
        return None
    for snap in history:  # newest first: the node's last execution
        if node_id in snap["next"]:
            return NodeInput(
                run_id, node_id, jsonable(snap["values"]), "checkpoint", snap["checkpoint_id"]
            )
    return None


def newest_reaching(runs: Iterable[RunRecord], node_id: str) -> str | None:
    """The id of the first of ``runs`` (newest first) that started ``node_id``.

    A run records the state of every node it started (running, succeeded, failed,
    interrupted), so a run that failed at the node counts and one that failed
    before it does not; no event needs reading.
    """
    return next((run.id for run in runs if node_id in (run.node_states or {})), None)


async def recent_runs(executor: Executor, workflow_id: str | None) -> list[RunRecord]:
    """The workflow's newest stored runs (none for a workflow stored under no id)."""
    if not workflow_id:
        return []
    runs, _ = await executor.store.list_runs(workflow_id=workflow_id, limit=RECENT_RUNS, offset=0)
    return runs


async def input_in(
    executor: Executor,
    node_id: str,
    run_id: str | None,
    runs: Callable[[], Awaitable[Iterable[RunRecord]]],
    *,
    workflow: str = "this workflow",
    document: WorkflowDocument | None = None,
) -> NodeInput:
    """The node's input in ``run_id`` or, with none named, in the newest of ``runs``
    that reached it (``runs`` is only read then; ``workflow`` names them in the error).
    When none did, a node ``document`` starts at gets ``first_input``.

    Raises ``NoRunReached`` when none did (and the node is not such a start),
    ``NodeNotReached`` when the named run never started the node, and the store's
    ``NotFound`` for an unknown run.
    """
    if run_id is None:
        run_id = newest_reaching(await runs(), node_id)
        if run_id is None:
            first = first_input(document, node_id) if document is not None else None
            if first is None:
                raise NoRunReached(node_id, workflow)
            return first
    return await node_input(executor, run_id, node_id)


def starting_nodes(document: WorkflowDocument) -> set[str]:
    """The nodes of a drawn workflow a run starts at: the targets of START's edges, else
    its entrypoint (none for a script)."""
    if not isinstance(document.graph, FrozenIRGraph):
        return set()
    ir = document.graph.ir
    starts = {e.target for e in ir.edges if e.source == START}
    if not starts:
        entry = entry_of(ir, document.graph.entrypoint)
        starts = {entry} if entry is not None else set()
    return starts - {END}


def first_input(document: WorkflowDocument, node_id: str) -> NodeInput | None:
    """The state a node the workflow starts at receives in a run started without inputs
    (the ``inputs_schema``'s defaults filled in, as a run admits them).

    None for any other node, for a script (its nodes' state is the script's own), and
    when a run must be given inputs (the schema requires some): a run is needed then.
    """
    if node_id not in starting_nodes(document):
        return None
    try:
        inputs = admit_inputs(document, {})
    except DocumentError:
        return None
    return NodeInput(None, node_id, jsonable(initial_state(inputs)), "inputs")


def template_preview(
    value: Any,
    state: dict[str, Any],
    source: dict[str, Any],
    *,
    include_state: bool,
    node: Any = None,
    field: str | list[str | None] | None = None,
) -> dict[str, Any]:
    """``{{templates}}`` in ``value`` resolved against a node's input as the runtime does.

    ``field`` names the config field ``value`` is from (with a list ``value``, one per
    item). A field ``node`` renders itself (a Template node's Jinja ``template``) is
    previewed by the node's own rule, as it will run; where that is not possible, or
    the node would fail, ``notes`` (one per item) says so instead of a value.

    The answer of both previews, REST's and the canvas widget's: the canvas reads the
    one shape from either (``TemplatePreview`` documents it).
    """
    run_config = state.get("config") or {}
    unresolved: list[str] = []
    items: list[Any]
    fields: list[str | None]
    if isinstance(field, list) and isinstance(value, list) and len(field) == len(value):
        items, fields, many = value, field, True
    else:
        items, fields, many = [value], [field if isinstance(field, str) else None], False
    notes: list[str | None] = []
    resolved: list[Any] = []
    for item, name in zip(items, fields, strict=True):
        model = _deferred(node, name)
        if model is None or name is None:
            resolved.append(render(item, state, run_config, unresolved))
            notes.append(None)
            continue
        out, note = _preview_deferred(node, model, name, item, state, run_config, unresolved)
        resolved.append(out)
        notes.append(note)
    reply: dict[str, Any] = {
        "value": jsonable(resolved if many else resolved[0]),
        "unresolved": unresolved,
        "state_source": source,
    }
    if any(n is not None for n in notes):
        reply["notes"] = notes if many else notes[0]
    if include_state:
        reply["state"] = state
    return reply


def no_input_preview(value: Any, reason: str) -> dict[str, Any]:
    """The preview's answer when no run reached the node: nothing resolved, and why."""
    return {"value": jsonable(value), "unresolved": [], "state_source": {}, "no_input": reason}


def graph_node(document: Any, node_id: str) -> Any:
    """The node ``node_id`` of a frozen-ir ``document`` (None: a script's, or none)."""
    ir = getattr(getattr(document, "graph", None), "ir", None)
    for node in getattr(ir, "nodes", None) or ():
        if node.id == node_id:
            return node
    return None


def _deferred(node: Any, field: str | None) -> Any:
    """The node type's model when ``field`` is one the node resolves itself, else None."""
    from ..nodes import registry

    if field is None or getattr(node, "kind", None) != "builtin":
        return None
    try:
        model = registry.get(node.type).model
    except registry.UnknownNodeType:
        return None
    return model if field in model.deferred_fields else None


def _preview_deferred(
    node: Any,
    model: Any,
    field: str,
    value: Any,
    state: dict[str, Any],
    run_config: Any,
    unresolved: list[str],
) -> tuple[Any, str | None]:
    """A deferred field by its node's rule: (its value, None) or (None, why not)."""
    from ..nodes.base import NodeError, NotPreviewable

    # The other fields as the runtime validates them: their {{templates}} resolved.
    config = {
        k: v if k in model.deferred_fields else render(v, state, run_config)
        for k, v in node.config.items()
    }
    config[field] = value
    try:
        out, missing = model.preview_deferred(field, config, state)
    except NotPreviewable as exc:
        return None, f"no preview: {exc}"
    except NodeError as exc:
        return None, f"the node would fail: {exc.cause}"
    unresolved.extend(missing)
    return out, None
