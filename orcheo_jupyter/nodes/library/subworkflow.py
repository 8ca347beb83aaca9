"""SubWorkflowNode: run another stored workflow as a step of this run.

The child's graph is built from its stored version and invoked inline with the
parent's run config, so it is a LangGraph subgraph of the running node: it uses
the parent's checkpointer (an interrupt in the child pauses the parent run, and
resuming the parent resumes the child), its node events appear in the parent's
event stream as ``<node>/<child node>``, and its state is its own: it starts from
``inputs`` and only its results come back.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ...common.lru import LRU
from ...store.base import NotFound
from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import MISSING, dig

_MAX_DEPTH = 16
_stack: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "orcheo_subworkflow_stack", default=()
)
_compiled: LRU[tuple[str, str], Any] = LRU(64)


class SubWorkflowError(NodeError):
    """The child workflow could not be found, built or run."""


def _store(ctx: NodeContext) -> Any:
    store = ctx.services.store
    if store is None:
        raise SubWorkflowError(
            "workflow", "no workflow store in this run (run it through the Executor)"
        )
    return store


async def find_workflow(ctx: NodeContext, ref: str, version: int | None) -> tuple[Any, Any]:
    """The stored workflow (by id, slug or exact name) and the version to run."""
    store = _store(ctx)
    try:
        workflow = await store.get_workflow(ref)
    except NotFound:
        found, _ = await store.list_workflows(query=ref, limit=50)
        exact = [w for w in found if w.name == ref] or [
            w for w in found if w.name.casefold() == ref.casefold()
        ]
        if len(exact) != 1:
            detail = "no stored workflow" if not exact else f"{len(exact)} stored workflows"
            raise SubWorkflowError("workflow", f"{detail} with id or name {ref!r}") from None
        workflow = exact[0]
    try:
        record = await store.get_version(workflow.id, version)
    except NotFound as exc:
        raise SubWorkflowError("version", str(exc)) from None
    return workflow, record


def compiled_child(checksum: str, document: Mapping[str, Any], scope: str) -> Any:
    """The child's compiled graph, cached per (document checksum, scope)."""
    from ...runtime.build import build_graph
    from ...spec.problems import DocumentError

    def build() -> Any:
        try:
            return build_graph(dict(document), scope=scope).compile()
        except DocumentError as exc:
            raise SubWorkflowError("workflow", f"stored workflow is not valid: {exc}") from None

    return _compiled.get_or_make((checksum, scope), build)


async def run_child(
    ctx: NodeContext,
    state: Mapping[str, Any],
    ref: str,
    version: int | None,
    inputs: Mapping[str, Any],
) -> tuple[Any, Any, dict[str, Any]]:
    """Run a stored workflow inside the current node; return (workflow, version, state)."""
    from ...runtime.state import initial_state

    workflow, record = await find_workflow(ctx, ref, version)
    stack = _stack.get()
    if workflow.id in stack or len(stack) >= _MAX_DEPTH:
        chain = " -> ".join([*stack, workflow.id])
        raise SubWorkflowError("workflow", f"sub-workflows call each other in a cycle: {chain}")
    graph = compiled_child(record.checksum, record.document or {}, f"{ctx.node_id}/")
    token = _stack.set((*stack, workflow.id))
    try:
        final = await graph.ainvoke(
            initial_state(dict(inputs), state.get("config")), dict(ctx.config)
        )
    finally:
        _stack.reset(token)
    return workflow, record, final


@register(
    category="flow",
    icon="workflow",
    output="{workflow_id, version, results: the child's results[, output][, structured_response]}",
)
class SubWorkflowNode(BaseNode):
    """Run another stored workflow (by id or name) with inputs mapped from this run."""

    workflow: str = Field(
        min_length=1, title="Workflow", description="Id, slug or exact name of a stored workflow."
    )
    version: int | None = Field(
        None, ge=1, title="Version", description="Version to run (default: the latest)."
    )
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        title="Inputs",
        description="The child's run inputs; values may be {{templates}} of this run.",
    )
    output_path: str | None = Field(
        None,
        title="Output path",
        description="Dotted path in the child's final state to return as 'output', "
        "e.g. results.summary.text.",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        workflow, record, final = await run_child(
            ctx, state, self.workflow, self.version, self.inputs
        )
        out: dict[str, Any] = {
            "workflow_id": workflow.id,
            "version": record.version,
            "results": dict(final.get("results") or {}),
        }
        if final.get("structured_response") is not None:
            out["structured_response"] = final["structured_response"]
        if self.output_path:
            found = dig(final, self.output_path)
            out["output"] = None if found is MISSING else found
        return out
