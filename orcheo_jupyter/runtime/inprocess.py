"""The in-process backend: runs execute in this process's event loop.

Kernels, tests and ``runners=0`` servers use it, and so does each runner process
and Celery worker for the runs handed to it. The executor keeps the bookkeeping
(``activate``, ``set_status``, the writer); this module only drives graphs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from .. import tracing
from ..common.timestamps import utcnow
from ..store.encoding import check_size, encode_json
from ..store.fencing import current_lease
from ..store.records import EventRecord, RunRecord, reference
from . import breakpoints
from . import observer as obs
from .active_runs import ActiveRun
from .backend import RunBackend
from .checkpoints import CheckpointError
from .events import TERMINAL, EventType, RunStatus
from .outcomes import RunStateError, failure_message, resume_map
from .script_scope import current_script, namespace_of
from .serialize import jsonable
from .state import initial_state
from .streams import run_events

log = logging.getLogger(__name__)


class InProcessBackend(RunBackend):
    runs_here = True

    def __init__(self, name: str = "local") -> None:
        self.name = name

    async def stop(self) -> None:
        """Stop this process's runs (recorded as cancelled with the cause)."""
        runs = list(self.executor.runs.values())
        for active in runs:
            if active.task is not None and not active.task.done():
                active.task.cancel("executor shutting down")
        for active in runs:
            if active.task is not None:
                await asyncio.gather(active.task, return_exceptions=True)

    # --- where runs execute ----------------------------------------------------------
    async def start(
        self, record: RunRecord, graph: CompiledStateGraph[Any, Any, Any, Any] | None
    ) -> None:
        ex = self.executor
        if graph is None:
            graph = await ex.graph_of(record)
        payload = (
            None if record.parent_checkpoint_id else initial_state(record.inputs, record.config)
        )
        active = ex.activate(record)
        active.inputs_size = ex.admitted_inputs_size(record.id)
        mark_fresh = getattr(ex.checkpointer, "mark_fresh", None)
        if payload is not None and mark_fresh is not None:
            # A new run id has no checkpoint: skip the lookup. Large inputs space its
            # checkpoints out (each holds the whole state).
            mark_fresh(record.id, active.inputs_size or 0)
        active.task = asyncio.create_task(
            self._drive(active, graph, payload, EventType.RUN_STARTED)
        )

    async def resume(self, record: RunRecord, value: Any) -> None:
        ex = self.executor
        command: Command[Any] | None = None
        if not breakpoints.is_breakpoint(record.interrupt):  # a breakpoint just continues
            command = Command(resume=resume_map(record.id, record.interrupt or [], value))
        trace_parent = await self._trace_parent(record)  # the resumed part continues it
        graph = await ex.graph_of(record)
        active = ex.activate(record)
        active.record.status = RunStatus.RUNNING  # claim it before the first await
        active.task = asyncio.create_task(
            self._drive(active, graph, command, EventType.RESUMED, trace_parent=trace_parent)
        )

    async def recover(self, record: RunRecord, reason: str | None) -> None:
        ex = self.executor
        run_id = record.id
        if run_id in ex.runs:
            raise RunStateError(f"run {run_id} is already running in this process")
        # Stored before a lower limit was set: its checkpoints could never be written.
        check_size("the run's inputs", encode_json(record.inputs), ex.max_value_bytes)
        graph = await ex.graph_of(record)
        config = ex.run_config(run_id, record.config)
        snapshot = await ex.checkpointer.aget_tuple(config) if ex.checkpointer else None
        stored = await ex.store.list_events(run_id, after=record.last_seq)
        start_seq = stored[-1].seq if stored else record.last_seq
        # A run stored but never started (its process died first) starts now.
        opening = EventType.RESUMED if snapshot is not None or start_seq else EventType.RUN_STARTED
        trace_parent = await self._trace_parent(record) if opening == EventType.RESUMED else None
        active = ex.activate(record, start_seq=start_seq)
        payload = None if snapshot is not None else initial_state(record.inputs, record.config)
        note = {"reason": reason} if reason else None
        active.task = asyncio.create_task(
            self._drive(active, graph, payload, opening, note, trace_parent=trace_parent)
        )

    async def cancel(self, run_id: str) -> RunRecord | None:
        active = self.executor.runs.get(run_id)
        if active is None or active.task is None:
            return None
        active.task.cancel()
        await active.settled.wait()
        return active.record

    # --- following runs --------------------------------------------------------------
    async def wait(self, run_id: str, timeout: float | None) -> RunRecord:
        ex = self.executor

        async def settle() -> RunRecord:
            while True:
                active = ex.runs.get(run_id)
                if active is not None:
                    await active.settled.wait()
                    if active.task is None:
                        return active.record
                    continue
                record = await ex.store.get_run(run_id)
                if record.status not in (RunStatus.PENDING, RunStatus.RUNNING):
                    return record
                await asyncio.sleep(0.05)  # driven by another process

        return await asyncio.wait_for(settle(), timeout)

    def events(self, run_id: str, *, after: int, follow: bool) -> AsyncIterator[EventRecord]:
        return run_events(
            self.executor.store, self.executor.observer_of, run_id, after=after, follow=follow
        )

    def executing(self, run_id: str) -> bool:
        active = self.executor.runs.get(run_id)
        return active is not None and active.task is not None

    def runs_in_progress(self) -> int:
        return sum(1 for active in self.executor.runs.values() if active.task is not None)

    # --- driving a graph --------------------------------------------------------------
    async def _trace_parent(self, record: RunRecord) -> Any:
        """The span a resumed run's spans continue (its first), so a run is one trace."""
        tracer = tracing.current
        if tracer is None:
            return None
        try:
            return await tracer.run_parent(self.executor.store, record.id, record.trace_parent)
        except Exception as exc:  # a trace is never worth failing a resume
            log.warning("orcheo: run %s: its trace could not be continued: %s", record.id, exc)
            return None

    async def _forked_from(self, record: RunRecord) -> dict[str, Any]:
        """Where a fork starts, and the nodes whose results it carries from there: they
        did not run in this run, so a viewer shows them as carried over, not unreached."""
        carried: list[str] = []
        saver = self.executor.checkpointer
        try:
            if saver is not None:
                config = self.executor.run_config(record.id, record.config)
                snap = await saver.aget_tuple(config)
                results = snap.checkpoint["channel_values"].get("results") if snap else None
                if isinstance(results, dict):
                    carried = sorted(results)
        except Exception as exc:  # what a viewer shows is never worth failing the fork
            log.warning("orcheo: fork %s: its carried results are unknown: %s", record.id, exc)
        return {
            "run_id": record.parent_run_id,
            "checkpoint_id": record.parent_checkpoint_id,
            "carried": carried,
        }

    async def _drive(
        self,
        active: ActiveRun,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        payload: Any,
        opening: EventType,
        note: dict[str, Any] | None = None,
        trace_parent: Any = None,
    ) -> None:
        ex = self.executor
        observer, record = active.observer, active.record
        token = obs.current.set(observer)
        if ex.fence is not None:  # this task's (and its graph's) writes: under the lease
            current_lease.set((ex.fence.lease(record.id), ex.fence.owner))
        # This task's context: a script graph's nodes and their tasks run in its scope.
        script = namespace_of(graph)
        current_script.set(script)
        tracer = tracing.current
        run_span = (
            tracer.start_run(
                record.id,
                workflow_id=record.workflow_id,
                version=record.version,
                opening=str(opening),
                scrub=observer.redactor.text,
                continues=trace_parent,
            )
            if tracer is not None
            else None
        )
        try:
            fields: dict[str, Any] = {"interrupt": None}
            if record.started_at is None:
                fields["started_at"] = utcnow()
            if run_span is not None and record.trace_parent is None:
                # Kept on the run row: a resume by another process continues this trace.
                fields["trace_parent"] = run_span.first
            data: dict[str, Any] = {}
            if opening == EventType.RUN_STARTED:
                if active.inputs_size is None:
                    active.inputs_size = len(encode_json(record.inputs))
                # Large inputs are stored once, on the run; the event points there.
                inline = active.inputs_size <= obs.INLINE_BYTES
                data["inputs"] = record.inputs if inline else reference("inputs")
                if record.parent_checkpoint_id is not None:
                    data["forked_from"] = await self._forked_from(record)
            observer.emit(opening, data={**data, **(note or {})})
            ex.set_status(active, RunStatus.RUNNING, **fields)
            kwargs: dict[str, Any] = breakpoints.invoke_kwargs(record.config)
            if ex.checkpointer is not None:
                durability = record.config.get("durability", ex.durability)
                kwargs["durability"] = durability
                keep_every_step = getattr(ex.checkpointer, "keep_every_step", None)
                if keep_every_step is not None and (durability == "sync" or script is not None):
                    # Each step is one to fork from. A script's node input cannot be
                    # rebuilt from its events ("test node" reads it from a checkpoint),
                    # so its runs keep every step, as LangGraph does by default.
                    keep_every_step(record.id)
            run_config = ex.run_config(record.id, record.config)
            result = await graph.ainvoke(payload, run_config, **kwargs)
            flush_checkpoints = getattr(ex.checkpointer, "flush", None)
            if flush_checkpoints is not None:
                # A last checkpoint that cannot be stored fails the run, plainly.
                await flush_checkpoints(record.id)
            interrupts = result.get("__interrupt__") if isinstance(result, dict) else None
            paused = None
            if not interrupts and ("interrupt_before" in kwargs or "interrupt_after" in kwargs):
                paused = await breakpoints.paused_at(graph, run_config, record.config)
            if interrupts or paused:
                pending = paused or [
                    {"id": i.id, "value": jsonable(i.value)} for i in interrupts or []
                ]
                observer.emit(
                    EventType.INTERRUPTED,
                    data={"interrupts": pending},
                    what="the run's interrupt payload",
                )
                ex.set_status(active, RunStatus.INTERRUPTED, interrupt=pending)
            else:
                final = jsonable({k: v for k, v in result.items() if k != "__interrupt__"})
                observer.emit(
                    EventType.RUN_FINISHED,
                    data={"state": final},
                    stored={"state": "final_state"},
                    what="the run's final state",
                )
                ex.set_status(active, RunStatus.SUCCEEDED, final_state=final, finished_at=utcnow())
        except asyncio.CancelledError:
            observer.emit(EventType.RUN_CANCELLED, data={"reason": "cancelled"})
            ex.set_status(active, RunStatus.CANCELLED, error="cancelled", finished_at=utcnow())
        except BaseException as exc:  # a bare BaseException too: the run must settle
            limit = ex.run_config(record.id, record.config)["recursion_limit"]
            message = failure_message(exc, limit)  # the run's own limit, not the default
            observer.emit(EventType.RUN_FAILED, data={"error": message})
            ex.set_status(active, RunStatus.FAILED, error=message, finished_at=utcnow())
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise  # the process's own stop (Ctrl+C in a kernel): recorded, not swallowed
        finally:
            if run_span is not None:
                # Ended and queued with the status change it records: whoever sees the
                # run settled (or paused) finds its spans stored.
                run_span.end(str(record.status), record.error)
                ex.queue_spans(tracer, record.id)
            obs.current.reset(token)
            try:
                # The checkpoint a resume or recovery starts from, and the stored
                # events and status, are on disk before anyone is told the run settled.
                flush_checkpoints = getattr(ex.checkpointer, "flush", None)
                if flush_checkpoints is not None:
                    try:
                        await flush_checkpoints(record.id)
                    except CheckpointError as exc:  # the run already failed or stopped
                        log.warning("orcheo: run %s: %s", record.id, exc)
                await ex.writer.flush()
            finally:
                if record.status in TERMINAL:
                    ex.runs.pop(record.id, None)
                active.task = None
                active.settled.set()
