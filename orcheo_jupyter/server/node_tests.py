"""A node on the state it received in a run: test it alone, or preview its templates.

``POST /workflows/{id}/nodes/{node}/test`` runs the node; ``.../preview`` resolves
``{{templates}}`` as the runtime would, without running anything. Neither stores.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from .. import tracing
from .authz import EXECUTE, READ
from .base import operation
from .errors import ApiError
from .models import NodeTestRequest, NodeTestResult, TemplatePreview, TemplatePreviewRequest
from .workflows import WorkflowBase

if TYPE_CHECKING:
    from ..spec.models import WorkflowDocument

T = TypeVar("T")


class NodeTestHandler(WorkflowBase):
    @operation(
        EXECUTE,  # runs the node's code
        operation_id="testNode",
        summary="Run one node on the state it received in a run (or a given state)",
        description="The node runs as in a run (templates, credentials, retries, timeout, "
        "pinned output) but no run, version, event or checkpoint is stored and no other node "
        "starts. Without run_id or state, the latest run that reached the node is used; "
        "before any did, a node the workflow starts at runs on the state a run without "
        "inputs starts it on. A workflow not stored yet is tested on the document sent. A "
        "node that fails answers 200 with its error.",
        body=NodeTestRequest,
        responses={200: NodeTestResult},
        errors=(409,),
    )
    async def post(self, workflow_id: str, node: str, *, body: NodeTestRequest) -> None:
        # Imported here: it loads LangGraph, which the server's start must not.
        from ..runtime.single_node import NodeTestError, check_testable

        executor = await self.executor()
        sent = body.document if body.version is None else None  # a version must exist
        stored = await _unless_unstored(executor.store.get_version(workflow_id, body.version), sent)
        if stored is None:
            assert body.document is not None
            wid, doc = None, body.document
        else:
            assert stored.document is not None
            wid = stored.workflow_id
            doc = body.document or self.orcheo.documents.parsed(stored.checksum, stored.document)
        try:
            check_testable(doc, node)  # a node that does not exist is a 404, whatever the runs
        except NodeTestError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        state, source = await _state_for(
            executor, wid, body.run_node or node, body.run_id, body.state, doc
        )
        # A caller's ``traceparent``: the test's spans continue the caller's trace.
        try:
            with tracing.continued(self.request.headers):
                tested = await executor.test_node(doc, node, state, workflow_id=wid)
        except NodeTestError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        self.reply(200, {**tested.as_dict(), "state_source": source})


async def _unless_unstored(lookup: Awaitable[T], sent: WorkflowDocument | None) -> T | None:
    """``lookup``'s answer; None for a workflow no Run has stored yet (a new file in Lab)
    whose document the caller sends: its nodes are tested on that document, under no
    stored workflow (so no runs, and only credentials scoped to no workflow), where its
    starting nodes need no run. Without a document, an unknown workflow is a 404."""
    from ..store.base import NotFound

    try:
        return await lookup
    except NotFound:
        if sent is None:
            raise
        return None


async def _state_for(
    executor: Any,
    workflow_id: str | None,
    node: str,
    run_id: str | None,
    state: Any,
    document: WorkflowDocument,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The given state, or the node's input in a run (default: the latest that reached
    it; before any did, a starting node's state in a run of ``document``)."""
    from ..runtime.node_input import NodeNotReached, NoRunReached, input_in, recent_runs

    if state is not None:
        return dict(state), {"kind": "given"}
    runs = functools.partial(recent_runs, executor, workflow_id)
    try:
        found = await input_in(executor, node, run_id, runs, document=document)
    except NoRunReached as exc:
        raise ApiError(409, "no_input", f"{exc}: run the workflow first, or send a state") from None
    except NodeNotReached as exc:
        raise ApiError(409, "no_input", str(exc)) from None
    return found.state, found.state_source()


class TemplatePreviewHandler(WorkflowBase):
    @operation(
        READ,
        operation_id="previewTemplates",
        summary="Resolve {{templates}} in a value against the state a node received",
        description="The same resolver as the runtime: an exact template yields the typed "
        "value, templates inside text are replaced by scalars, the first path segment falls "
        "back to results, and what cannot be resolved stays verbatim (listed in unresolved). "
        "Nothing runs and nothing is stored.",
        body=TemplatePreviewRequest,
        responses={200: TemplatePreview},
        errors=(404,),
    )
    async def post(self, workflow_id: str, node: str, *, body: TemplatePreviewRequest) -> None:
        from ..runtime.node_input import graph_node, no_input_preview, template_preview

        executor = await self.executor()
        stored = await _unless_unstored(executor.store.get_workflow(workflow_id), body.document)
        if stored is None:
            assert body.document is not None
            wid, doc = None, body.document
        else:
            wid = stored.id
            doc = await self._document(executor, wid, body.document)
        if body.state is None:  # the input is looked up by node: a missing one is a 404
            self._check_node(doc, node)
        try:
            state, source = await _state_for(
                executor, wid, body.run_node or node, body.run_id, body.state, doc
            )
        except ApiError as exc:
            if exc.code != "no_input":
                raise
            # No run reached the node yet: a state the form shows, not a failed request
            # (the canvas asks as each form opens; a 409 there read as a bug).
            self.reply(200, no_input_preview(body.value, exc.message))
            return
        preview = template_preview(
            body.value,
            state,
            source,
            include_state=body.include_state,
            node=graph_node(doc, node),
            field=body.field,
        )
        self.reply(200, preview)

    async def _document(
        self, executor: Any, workflow_id: str, edited: WorkflowDocument | None
    ) -> WorkflowDocument:
        """The document as edited, else the stored one: the node is looked up in it."""
        if edited is not None:
            return edited
        stored = await executor.store.get_version(workflow_id)
        assert stored.document is not None
        return self.orcheo.documents.parsed(stored.checksum, stored.document)

    def _check_node(self, doc: WorkflowDocument, node: str) -> None:
        """The node is in ``doc``: else a 404."""
        from ..runtime.single_node import NodeTestError, check_testable
        from ..spec.models import FrozenIRGraph

        if isinstance(doc.graph, FrozenIRGraph):  # a script's nodes are its own to name
            try:
                check_testable(doc, node)
            except NodeTestError as exc:
                raise ApiError(404, "not_found", str(exc)) from None
