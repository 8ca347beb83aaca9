"""``POST /workflows/{id}/nodes/{node}/test``: run one node alone, store nothing."""

from __future__ import annotations

from typing import Any

from .authz import EXECUTE, WORKFLOWS, guard
from .base import OrcheoHandler, operation
from .errors import ApiError
from .models import NodeTestRequest, NodeTestResult


class NodeTestHandler(OrcheoHandler):
    auth_resource = WORKFLOWS

    @guard(EXECUTE)  # runs the node's code
    @operation(
        operation_id="testNode",
        summary="Run one node on the state it received in a run (or a given state)",
        description="The node runs as in a run (templates, credentials, retries, timeout, "
        "pinned output) but no run, version, event or checkpoint is stored and no other node "
        "starts. Without run_id or state, the latest run that reached the node is used. A "
        "node that fails answers 200 with its error.",
        tag="workflows",
        body=NodeTestRequest,
        responses={200: NodeTestResult},
        errors=(409,),
    )
    async def post(self, workflow_id: str, node: str, *, body: NodeTestRequest) -> None:
        # Imported here: they load LangGraph, which the server's start must not.
        from ..runtime.node_input import NodeNotReached, latest_run_reaching, node_input
        from ..runtime.single_node import NodeTestError

        executor = await self.executor()
        stored = await executor.store.get_version(workflow_id, body.version)
        assert stored.document is not None
        wid = stored.workflow_id
        doc = body.document or self.orcheo.documents.parsed(stored.checksum, stored.document)
        source: dict[str, Any]
        if body.state is not None:
            state, source = body.state, {"kind": "given"}
        else:
            run_id = body.run_id or await latest_run_reaching(executor, wid, node)
            if run_id is None:
                raise ApiError(
                    409,
                    "no_input",
                    f"no run of this workflow reached node {node!r} yet: run the workflow "
                    "first, or send a state to test on",
                )
            try:
                found = await node_input(executor, run_id, node)
            except NodeNotReached as exc:
                raise ApiError(409, "no_input", str(exc)) from None
            state = found.state
            source = {"kind": found.source, "run_id": run_id}
            if found.checkpoint_id:
                source["checkpoint_id"] = found.checkpoint_id
        try:
            tested = await executor.test_node(doc, node, state, workflow_id=wid)
        except NodeTestError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        self.reply(200, {**tested.as_dict(), "state_source": source})
