"""Execution routes: status, history, events, cancel, resume, checkpoints, re-run."""

from __future__ import annotations

import contextlib
from dataclasses import fields
from typing import Any

from .. import tracing
from ..runtime.events import TERMINAL, TERMINAL_EVENTS
from ..store.encoding import encode_json
from ..store.records import RunRecord, reference
from ..tracing.names import TEST_ID_PREFIX
from .authz import EXECUTE, EXECUTIONS, READ
from .base import OrcheoHandler, operation
from .models import (
    CheckpointDetail,
    CheckpointList,
    EventPage,
    EventsQuery,
    Execution,
    ExecutionAccepted,
    ExecutionListQuery,
    ExecutionPage,
    ExecutionQuery,
    RerunRequest,
    ResumeRequest,
    Trace,
)

_SUMMARY_FIELDS = (
    "id",
    "workflow_id",
    "version",
    "status",
    "error",
    "parent_run_id",
    "created_at",
    "started_at",
    "finished_at",
    "last_seq",
)


def summary(record: RunRecord) -> dict[str, Any]:
    return {f: getattr(record, f) for f in _SUMMARY_FIELDS}


#: Inputs larger than this (as JSON) are not repeated inside an execution's final state.
_INLINE_INPUTS = 64 * 1024


def _values(record: RunRecord, data: dict[str, Any], include: bool) -> None:
    """Leave out the run's large values, or send its inputs once (not twice)."""
    if not include:
        data.pop("inputs", None)
        data.pop("final_state", None)
        return
    final = data.get("final_state")
    if (
        isinstance(final, dict)
        and record.inputs
        and final.get("inputs") == record.inputs
        and len(encode_json(record.inputs)) > _INLINE_INPUTS
    ):
        data["final_state"] = {**final, "inputs": reference("inputs")}


class _ExecutionBase(OrcheoHandler):
    auth_resource = EXECUTIONS
    api_tag = "executions"

    async def _execution(self, run_id: str, *, values: bool = True) -> dict[str, Any]:
        executor = await self.executor()
        record = await executor.get_run(run_id)
        data = {
            f.name: getattr(record, f.name)
            for f in fields(record)
            if f.name not in ("checksum", "owner")
        }
        _values(record, data, values)
        data["transitions"] = [
            {"status": t.status, "at": t.at} for t in await executor.transitions(run_id)
        ]
        return data


class ExecutionsHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="listExecutions",
        summary="Runs, newest first, filtered by workflow, status and id prefix",
        query=ExecutionListQuery,
        responses={200: ExecutionPage},
    )
    async def get(self, *, query: ExecutionListQuery) -> None:
        store = (await self.executor()).store
        workflow_id = query.workflow_id
        if workflow_id:
            with contextlib.suppress(LookupError):  # a slug names the workflow too
                workflow_id = (await store.get_workflow(workflow_id)).id
        runs, total = await store.list_runs(
            workflow_id=workflow_id,
            status=query.status,
            id_prefix=query.id_prefix,
            limit=query.limit,
            offset=query.offset,
        )
        self.reply_page([summary(r) for r in runs], total, query)


class ExecutionHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="getExecution",
        summary="A run: status, timestamps and transitions, error, final state when done",
        query=ExecutionQuery,
        responses={200: Execution},
    )
    async def get(self, execution_id: str, *, query: ExecutionQuery) -> None:
        self.reply(200, await self._execution(execution_id, values=query.values))

    @operation(
        EXECUTE,
        operation_id="cancelExecution",
        summary="Cancel a pending, running or interrupted run",
        responses={200: Execution},
        errors=(409,),
    )
    async def delete(self, execution_id: str) -> None:
        executor = await self.executor()
        await executor.cancel(execution_id)
        self.reply(200, await self._execution(execution_id))


class EventsHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="listExecutionEvents",
        summary="The run's events after sequence number N, in order",
        query=EventsQuery,
        responses={200: EventPage},
    )
    async def get(self, execution_id: str, *, query: EventsQuery) -> None:
        executor = await self.executor()
        items: list[dict[str, Any]] = []
        done = False
        last = query.after
        size = 0
        events = executor.events(execution_id, after=query.after, follow=False)
        try:
            async for event in events:
                size += len(event.text) if event.text is not None else len(encode_json(event.data))
                if items and size > query.max_bytes:
                    break  # the next page starts with it
                items.append(event.as_dict())
                last = event.seq
                if event.type in TERMINAL_EVENTS:
                    done = True
                if len(items) >= query.limit or size >= query.max_bytes:
                    break
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        if not done and not items:
            record = await executor.get_run(execution_id)
            done = record.status in TERMINAL and record.last_seq <= query.after
        self.reply(200, {"items": items, "next_after": last, "done": done})


class ResumeHandler(_ExecutionBase):
    @operation(
        EXECUTE,
        operation_id="resumeExecution",
        summary="Answer the run's pending interrupt; it continues in the background",
        body=ResumeRequest,
        responses={202: ExecutionAccepted},
        errors=(409, 413),
    )
    async def post(self, execution_id: str, *, body: ResumeRequest) -> None:
        executor = await self.executor()
        # A caller's ``traceparent``: the resumed part of the run links to its trace.
        with tracing.continued(self.request.headers):
            run_id = await executor.resume(execution_id, body.value)
        self.reply_started(run_id)


class CheckpointsHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="listCheckpoints",
        summary="The run's checkpoints, newest first (what a re-run can start from)",
        responses={200: CheckpointList},
    )
    async def get(self, execution_id: str) -> None:
        executor = await self.executor()
        items = await executor.checkpoints(execution_id)
        self.reply(200, {"items": items})


class CheckpointHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="getCheckpoint",
        summary="One checkpoint of the run with its whole state (what a fork starts from)",
        responses={200: CheckpointDetail},
    )
    async def get(self, execution_id: str, checkpoint_id: str) -> None:
        executor = await self.executor()
        self.reply(200, await executor.checkpoint(execution_id, checkpoint_id))


class RerunHandler(_ExecutionBase):
    @operation(
        EXECUTE,
        operation_id="rerunExecution",
        summary="Start a new run from the start or from one of this run's checkpoints",
        body=RerunRequest,
        responses={202: ExecutionAccepted},
        errors=(409, 413),
    )
    async def post(self, execution_id: str, *, body: RerunRequest) -> None:
        executor = await self.executor()
        run_id = await executor.rerun(execution_id, body.checkpoint_id, body.state_patch)
        self.reply_started(run_id)


class TraceHandler(_ExecutionBase):
    @operation(
        READ,
        operation_id="getExecutionTrace",
        summary="The run's OpenTelemetry spans, stored with it (no collector needed)",
        description="Spans are kept when ORCHEO_TRACE_STORE (c.OrcheoApp.trace_store) is on; "
        "a run's spans appear as it settles or pauses. OTEL_TRACES_EXPORTER sends them "
        "to a collector as well. A node test's spans are read with its test_id.",
        responses={200: Trace},
    )
    async def get(self, execution_id: str) -> None:
        executor = await self.executor()
        stored = await executor.store.list_spans(execution_id)
        if not (stored and execution_id.startswith(TEST_ID_PREFIX)):
            await executor.get_run(execution_id)  # 404 for an unknown run (or node test)
        spans = {s["span_id"]: s for s in stored}
        current = tracing.current
        if current is not None and current.collector is not None:
            # Finished spans of a run this process is still executing.
            for span in current.collector.peek(execution_id):
                spans.setdefault(span["span_id"], span)
        ordered = sorted(spans.values(), key=lambda s: (s["start_ns"], s["span_id"]))
        items = [
            {
                **span,
                "start_ms": span["start_ns"] / 1e6,
                "duration_ms": round((span["end_ns"] - span["start_ns"]) / 1e6, 3),
            }
            for span in ordered
        ]
        self.reply(
            200,
            {
                "execution_id": execution_id,
                "trace_ids": list(dict.fromkeys(s["trace_id"] for s in ordered)),
                "stored": current is not None and current.collector is not None,
                "spans": items,
            },
        )
