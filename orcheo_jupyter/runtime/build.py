"""``build_graph(document) -> StateGraph``: the document's semantics on LangGraph."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.types import Command
from pydantic import ValidationError

from ..nodes import registry
from ..nodes.base import NodeContext
from ..spec.io import document_from_data
from ..spec.models import (
    BuiltinNode,
    CodeNode,
    FrozenIRGraph,
    GraphIR,
    ScriptGraph,
    SubgraphNode,
    WorkflowDocument,
)
from ..spec.problems import DocumentError, Problem, problems_from_validation
from ..spec.validate import entry_of, validate_document, validate_ir
from . import guard
from . import observer as obs
from .code_nodes import body_line, compile_body, make_self
from .expressions import has_template, render
from .nodes_wrap import NodeCall, NodeFailed, instrument
from .script_graph import load_script_graph
from .script_nodes import instrument_script_nodes
from .secrets import SecretUnavailable, find_refs, inject
from .sentinels import to_langgraph
from .state import State

_PASS_THROUGH_KEYS = ("results", "messages", "structured_response")
#: The modules of this package's own node types.
_OURS = f"{__name__.split('.')[0]}."
#: Run config key (``configurable``) that makes a run execute pinned nodes for real.
IGNORE_PINS = "orcheo_ignore_pins"


def as_document(document: WorkflowDocument | Mapping[str, Any]) -> WorkflowDocument:
    return document if isinstance(document, WorkflowDocument) else document_from_data(document)


def check(document: WorkflowDocument) -> None:
    """Raise DocumentError with every error (warnings pass) before anything runs."""
    errors = [p for p in validate_document(document, registry.check_node) if p.severity == "error"]
    if errors:
        raise DocumentError(errors)


def build_graph(
    document: WorkflowDocument | Mapping[str, Any], *, scope: str = ""
) -> StateGraph[Any, Any, Any, Any]:
    """Validate the document and build its (uncompiled) LangGraph StateGraph.

    ``scope`` prefixes node ids in events (``"parent/"``) when the graph runs inside
    another run, e.g. as a sub-workflow.
    """
    doc = as_document(document)
    if isinstance(doc.graph, ScriptGraph):
        graph = load_script_graph(doc.graph.source, doc.graph.entrypoint)
        instrument_script_nodes(graph)
        return graph
    check(doc)
    assert isinstance(doc.graph, FrozenIRGraph)
    return _build_ir(
        doc.graph.ir, scope=scope, fallback_entry=doc.graph.entrypoint, pinned=doc.pinned or None
    )


def compile_check(document: WorkflowDocument) -> None:
    """Build and compile ``document`` as a run would; DocumentError names what fails
    (LangGraph's own refusals, e.g. an empty subgraph, as a ``graph_build`` problem)."""
    try:
        build_graph(document).compile()
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(
            [Problem("error", "graph_build", f"the graph cannot be built: {exc}")]
        ) from None


def build_ir_graph(ir: GraphIR) -> StateGraph[Any, Any, Any, Any]:
    """Build a bare GraphIR (used by sub-workflow nodes and tests)."""
    errors = [p for p in validate_ir(ir, registry.check_node) if p.severity == "error"]
    if errors:
        raise DocumentError(errors)
    return _build_ir(ir, scope="", fallback_entry=None)


def node_action(
    node: BuiltinNode | CodeNode | SubgraphNode,
    *,
    scope: str = "",
    pinned: Mapping[str, Any] | None = None,
) -> Any:
    """The LangGraph node function of one node: events, retries, timeout, pinned output."""
    qualified = f"{scope}{node.id}"
    line_of = None
    if isinstance(node, BuiltinNode):
        call = builtin_call(node, qualified)
        # This package's node types yield to the event loop (blocking work goes to a
        # thread); a plugin's may not.
        may_hold_loop = not registry.get(node.type).model.__module__.startswith(_OURS)
    elif isinstance(node, CodeNode):
        call = _code_call(node)
        node_id = node.id
        line_of = lambda exc, _id=node_id: body_line(exc, _id)  # noqa: E731
        may_hold_loop = True  # user code: ``time.sleep`` in an async body, a long C call
    else:
        call = _subgraph_call(node, qualified)
        may_hold_loop = False  # its own nodes are instrumented one by one
    if pinned is not None and node.id in pinned:
        call = _pinned_call(node.id, pinned[node.id], call)
    return instrument(
        qualified,
        call,
        retry=node.retry,
        timeout=node.timeout,
        line_of=line_of,
        may_hold_loop=may_hold_loop,
    )


def _build_ir(
    ir: GraphIR,
    *,
    scope: str,
    fallback_entry: str | None,
    pinned: Mapping[str, Any] | None = None,
) -> StateGraph[Any, Any, Any, Any]:
    builder: StateGraph[Any, Any, Any, Any] = StateGraph[Any, Any, Any, Any](State)
    for node in ir.nodes:
        builder.add_node(node.id, node_action(node, scope=scope, pinned=pinned))
    for edge in ir.edges:
        builder.add_edge(to_langgraph(edge.source), to_langgraph(edge.target))
    if not any(e.source == "__start__" for e in ir.edges):
        entry = entry_of(ir, fallback_entry)
        if entry is not None:
            builder.add_edge(START, entry)
    from .routing import make_router

    for cond in ir.conditional_edges:
        route, destinations = make_router(cond)
        builder.add_conditional_edges(cond.source, route, dict(destinations))
    return builder


def _context(node_id: str, config: Mapping[str, Any], attempt: int) -> NodeContext:
    observer = obs.current.get()
    configurable = config.get("configurable", {}) if isinstance(config, Mapping) else {}
    if observer is None:
        return NodeContext(
            node_id=node_id, run_id=configurable.get("thread_id"), attempt=attempt, config=config
        )
    return NodeContext(
        node_id=node_id,
        run_id=observer.run_id,
        workflow_id=observer.workflow_id,
        attempt=attempt,
        config=config,
        emit=lambda kind, data: observer.emit(kind, node_id, data),
        services=observer.services,
    )


def _resolve(
    node_id: str, raw: dict[str, Any], state: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Any]:
    unresolved: list[str] = []
    resolved = render(raw, state, config, unresolved)
    if unresolved:
        observer = obs.current.get()
        if observer is not None:
            observer.unresolved(node_id, unresolved)
    return cast(dict[str, Any], resolved)


async def _secrets(config: dict[str, Any], refs: Any, node_id: str) -> dict[str, Any]:
    try:
        return await inject(config, refs, node_id)
    except SecretUnavailable as exc:
        raise NodeFailed(node_id, str(exc)) from None


def _wrap_output(node_id: str, out: Any, state_update: bool) -> Any:
    if state_update or isinstance(out, Command):
        return out
    return {"results": {node_id: out}}


def builtin_call(node: BuiltinNode, qualified: str) -> NodeCall:
    spec = registry.get(node.type)
    model = spec.model
    # Deferred fields keep their {{templates}}: the node resolves them itself.
    deferred = {k: v for k, v in node.config.items() if k in model.deferred_fields}
    resolvable = {k: v for k, v in node.config.items() if k not in model.deferred_fields}
    templated = has_template(resolvable)
    # [[credential]] references, found in the stored config only (never in what a
    # template renders), are resolved per call into the model, never into state.
    secret_refs = find_refs(node.config)
    prebuilt = None if templated or secret_refs else model.model_validate(node.config)
    state_update = model.returns_state_update

    async def call(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        if prebuilt is not None:
            instance = prebuilt
        else:
            resolved = {**_resolve(qualified, resolvable, state, config), **deferred}
            if secret_refs:
                resolved = await _secrets(resolved, secret_refs, qualified)
            try:
                instance = model.model_validate(resolved)
            except ValidationError as exc:
                problems = problems_from_validation(exc, prefix="config")
                raise NodeFailed(
                    qualified, "; ".join(f"{p.field}: {p.message}" for p in problems)
                ) from None
        out = await instance.run(state, _context(qualified, config, attempt))
        return _wrap_output(node.id, out, state_update)

    return call


def _pinned_call(node_id: str, output: Any, call: NodeCall) -> NodeCall:
    """The pinned output instead of running the node, unless the run ignores pins.

    Runs started by triggers and dispatch set ``IGNORE_PINS``: pinned data is for
    building and debugging by hand, never for production traffic.
    """

    async def pinned(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        if config.get("configurable", {}).get(IGNORE_PINS):
            return await call(state, config, attempt)
        observer = obs.current.get()
        if observer is not None:
            observer.emit("node_message", node_id, {"message": "pinned output used"})
        return _wrap_output(node_id, copy.deepcopy(output), False)

    return pinned


def _code_call(node: CodeNode) -> NodeCall:
    fn, is_async = compile_body(node)
    templated = has_template(node.config)
    secret_refs = find_refs(node.config)

    async def call(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        cfg = _resolve(node.id, node.config, state, config) if templated else node.config
        if secret_refs:
            cfg = await _secrets(cfg, secret_refs, node.id)
        self_ = make_self(node, cfg)
        if is_async:
            out = await fn(self_, state, config)
        else:
            # Sync bodies run off the event loop so a slow one cannot stall a server.
            out = await guard.in_thread(node.id, fn, self_, state, config)
        return _wrap_output(node.id, out, False)

    return call


def _subgraph_call(node: SubgraphNode, qualified: str) -> NodeCall:
    compiled = _build_ir(node.graph, scope=f"{qualified}/", fallback_entry=None).compile()

    async def call(state: dict[str, Any], config: dict[str, Any], attempt: int) -> Any:
        out = await compiled.ainvoke(state, cast(RunnableConfig, config))
        return {k: out[k] for k in _PASS_THROUGH_KEYS if k in out}

    return call
