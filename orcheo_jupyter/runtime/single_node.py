"""Run one node alone on a given state: "test node" on the canvas, REST, magics and CLI.

The node runs exactly as in a run (templates, ``[[credentials]]``, retries,
timeout, redaction, pinned output), but nothing is stored: no run, no version,
no events, no checkpoint, and no other node starts. Its output comes back to
the caller, or its error with the same message a run would record.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.errors import GraphBubbleUp, GraphInterrupt

from .. import tracing
from ..spec.models import ScriptGraph, WorkflowDocument
from ..tracing.names import TEST_ID_PREFIX
from . import observer as obs
from .build import as_document, build_graph, check, node_action
from .nodes_wrap import NodeFailed, describe, output_of
from .script_nodes import one_node_graph
from .script_scope import namespace_of, script_scope
from .serialize import jsonable
from .services import NO_SERVICES, RuntimeServices

Action = Callable[[dict[str, Any], dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class NodeTest:
    node_id: str
    output: Any
    error: str | None
    duration_ms: float
    pinned: bool
    #: The test's id: its spans are stored under it (GET /executions/{test_id}/trace).
    test_id: str | None = None
    #: The test's OpenTelemetry trace, when this process traces.
    trace_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node_id,
            "output": self.output,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
            "pinned": self.pinned,
            "test_id": self.test_id,
            "trace_id": self.trace_id,
        }


def new_test_id() -> str:
    return f"{TEST_ID_PREFIX}{uuid.uuid4().hex[:12]}"


class NodeTestError(LookupError):
    """The workflow has no such node to test."""


def _no_node(node_id: str, known: Iterable[str]) -> NodeTestError:
    names = ", ".join(sorted(known)) or "none"
    return NodeTestError(f"the workflow has no node {node_id!r} (nodes: {names})")


def _node(doc: WorkflowDocument, node_id: str) -> Any:
    if isinstance(doc.graph, ScriptGraph):
        # The nodes the import found; a script stored without its index is asked
        # when it is built (in a runner: the server never executes a script).
        known = doc.graph.index.nodes
        if known and node_id not in known:
            raise _no_node(node_id, known)
        return None
    for node in doc.graph.ir.nodes:
        if node.id == node_id:
            return node
    raise _no_node(node_id, (n.id for n in doc.graph.ir.nodes))


def check_testable(document: WorkflowDocument | Mapping[str, Any], node_id: str) -> None:
    """NodeTestError when ``document`` has no node ``node_id`` that can be tested alone:
    asked first, so a missing node is not reported as one no run has reached."""
    _node(as_document(document), node_id)


def _script_node(doc: WorkflowDocument, node_id: str) -> Action:
    """A script's node as "test node" runs it: built from the script, alone in a graph."""
    graph = build_graph(doc)
    if node_id not in graph.nodes:
        raise _no_node(node_id, graph.nodes)
    namespace = namespace_of(graph)

    async def action(state: dict[str, Any], config: dict[str, Any]) -> Any:
        returned: list[Any] = []
        alone = one_node_graph(graph, node_id, returned)
        with script_scope(namespace):
            try:
                async for step in alone.astream(state, cast(RunnableConfig, config)):
                    if "__interrupt__" in step:  # no checkpointer: LangGraph reports it
                        raise GraphInterrupt(step["__interrupt__"])
            except (GraphBubbleUp, NodeFailed):
                raise
            except Exception as exc:  # as a run reports it: "node 'x' failed: KeyError: ..."
                raise NodeFailed(node_id, exc) from exc
        return returned[-1] if returned else None

    return action


async def run_single_node(
    document: WorkflowDocument | Mapping[str, Any],
    node_id: str,
    state: Mapping[str, Any],
    *,
    services: RuntimeServices = NO_SERVICES,
    workflow_id: str | None = None,
    use_pins: bool = True,
    test_id: str | None = None,
) -> NodeTest:
    """Execute ``node_id`` of ``document`` once on ``state``; never raises for node errors.

    ``test_id`` names the test where a runner reports a node's deadline to its server.
    """
    doc = as_document(document)
    check(doc)
    node = _node(doc, node_id)
    pinned = use_pins and node_id in doc.pinned
    if isinstance(doc.graph, ScriptGraph):
        action = _script_node(doc, node_id)
    else:
        action = node_action(node, pinned=doc.pinned if use_pins else None)
    test_id = test_id or new_test_id()
    # An observer that stores nothing: it carries the vault for [[credentials]] and
    # the redactor that keeps their values out of the output and the error.
    observer = obs.RunObserver(test_id, workflow_id=workflow_id or doc.id, services=services)
    token = obs.current.set(observer)
    config = {"configurable": {"thread_id": test_id}, "recursion_limit": 25}
    tracer = tracing.current
    span = (
        tracer.start_node_test(test_id, node_id, workflow_id or doc.id, observer.redactor.text)
        if tracer is not None
        else None
    )
    started = time.perf_counter()
    error: str | None = None
    try:
        update = await action(dict(jsonable(dict(state))), config)
    except GraphBubbleUp:
        update, error = None, f"node {node_id!r} waits for human input: test it in a run"
    except Exception as exc:
        update, error = None, observer.redactor.text(str(exc) or describe(exc))
    finally:
        if span is not None:
            span.end(error)
        obs.current.reset(token)
    elapsed = (time.perf_counter() - started) * 1000
    output = None
    if update is not None:
        if observer.redactor:
            update = observer.redactor.scrub(update)
        output = output_of(node_id, update)  # what a run's event shows as its output
    trace_id = span.trace_id if span is not None else None
    return NodeTest(node_id, jsonable(output), error, elapsed, pinned, test_id, trace_id)
