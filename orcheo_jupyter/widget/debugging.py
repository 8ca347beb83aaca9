"""The canvas widget's debug loop, answered in the kernel: runs, node tests, previews.

The notebook canvas needs no server, so "Test node" and the expression preview
run where its workflow runs: on the kernel's executor, on the state a node
received in one of the workflow's runs (default: the latest that reached it).
Nothing is stored: no run, version, event or checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..runtime.node_input import (
    NodeNotReached,
    NoRunReached,
    graph_node,
    input_in,
    template_preview,
)
from ..spec.models import WorkflowDocument
from ..workflow import Workflow

#: Runs the run selector offers (newest first).
MAX_RUNS = 50


class DebugRequestError(Exception):
    """A request the kernel cannot answer; ``code`` and the message say why."""

    def __init__(
        self, code: str, message: str, problems: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems or []


class WidgetDebug:
    """The runs of one canvas's workflow, and tests and previews on their states."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow

    async def handle(self, op: str, args: Mapping[str, Any]) -> Any:
        if op == "runs":
            return await self.runs()
        if op == "inputs":
            return self.check_inputs(args.get("inputs"))
        node = args.get("node")
        if not isinstance(node, str) or not node:
            raise DebugRequestError("bad_request", "node: expected a node id")
        run_id = args.get("run_id")
        if run_id is not None and not isinstance(run_id, str):
            raise DebugRequestError("bad_request", "run_id: expected a run id or null")
        # The node's id in that run, when renamed since: its input is looked up under it.
        run_node = args.get("run_node")
        if run_node is not None and (not isinstance(run_node, str) or not run_node):
            raise DebugRequestError("bad_request", "run_node: expected a node id or null")
        if op == "test":
            return await self.test(node, run_id, run_node)
        if op == "preview":
            field = args.get("field")
            return await self.preview(
                node, args.get("value"), run_id, bool(args.get("include_state")), field, run_node
            )
        raise DebugRequestError("bad_request", f"op: unknown request {op!r}")

    def check_inputs(self, inputs: Any) -> dict[str, Any]:
        """The run's inputs with their defaults, or their problems (the form shows them).

        The run form asks before it runs, so a refused value is shown beside its
        field with what was typed, as in Lab, instead of a notice after the form closed.
        """
        from ..runtime.admission import admit_inputs
        from ..spec.problems import DocumentError

        if not isinstance(inputs, Mapping):
            raise DebugRequestError("invalid_inputs", "inputs: expected an object")
        try:
            return admit_inputs(self.workflow.document, inputs)
        except DocumentError as exc:  # UnstorableValue too
            problems = [p.as_dict() for p in exc.problems]
            raise DebugRequestError("invalid_inputs", str(exc), problems) from None

    async def _records(self) -> list[Any]:
        from .. import local

        executor = await local.executor()
        records = []
        for run_id in self.workflow.run_ids:
            try:
                records.append(await executor.get_run(run_id))
            except LookupError:
                continue
        doc_id = self.workflow.document.id
        if doc_id:  # runs started elsewhere (magics, CLI) under the workflow's id
            stored, _ = await executor.store.list_runs(workflow_id=doc_id, limit=MAX_RUNS)
            seen = {r.id for r in records}
            records += [r for r in stored if r.id not in seen]
        records.sort(key=lambda r: str(r.created_at or ""), reverse=True)
        return records[:MAX_RUNS]

    async def runs(self) -> list[dict[str, Any]]:
        return [
            {"id": r.id, "status": str(r.status), "at": r.started_at or r.created_at}
            for r in await self._records()
        ]

    async def _state(
        self, node: str, run_id: str | None, doc: WorkflowDocument
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        from .. import local

        executor = await local.executor()
        try:
            found = await input_in(executor, node, run_id, self._records, document=doc)
        except NoRunReached as exc:
            raise DebugRequestError("no_input", f"{exc}: run the workflow first (▶ Run)") from None
        except NodeNotReached as exc:
            raise DebugRequestError("no_input", str(exc)) from None
        except LookupError:
            raise DebugRequestError("not_found", f"no run {run_id!r}") from None
        return found.state, found.state_source()

    async def test(
        self, node: str, run_id: str | None, run_node: str | None = None
    ) -> dict[str, Any]:
        from .. import local
        from ..runtime.single_node import NodeTestError
        from ..spec import DocumentError

        doc = self.workflow.document.model_copy(deep=True)
        state, source = await self._state(run_node or node, run_id, doc)
        executor = await local.executor()
        try:
            tested = await executor.test_node(doc, node, state, workflow_id=doc.id)
        except NodeTestError as exc:
            raise DebugRequestError("not_found", str(exc)) from None
        except DocumentError as exc:
            problems = [p.as_dict() for p in exc.problems]
            raise DebugRequestError("invalid_document", str(exc), problems) from None
        return {**tested.as_dict(), "state_source": source}

    async def preview(
        self,
        node: str,
        value: Any,
        run_id: str | None,
        include_state: bool,
        field: Any = None,
        run_node: str | None = None,
    ) -> dict[str, Any]:
        state, source = await self._state(run_node or node, run_id, self.workflow.document)
        return template_preview(
            value,
            state,
            source,
            include_state=include_state,
            node=graph_node(self.workflow.document, node),
            field=field if isinstance(field, str | list) else None,
        )
