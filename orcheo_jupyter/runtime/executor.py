"""The executor owns runs: lifecycle, stored events, checkpoints, cancel, resume, re-run.

``runtime/`` knows nothing of HTTP: the server, the CLI and the Python API all
drive runs through this class.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Unpack

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from .. import tracing
from ..common.lru import LRU
from ..common.options import check_options
from ..common.timestamps import utcnow
from ..settings import Durability, Settings
from ..spec.io import loads
from ..spec.models import WorkflowDocument
from ..spec.values import ValueLimits, check_value
from ..store.base import NotFound, Repository
from ..store.encoding import DEFAULT_MAX_VALUE_BYTES, check_size, encode_json
from ..store.fencing import Fence
from ..store.records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    share_inputs,
)
from . import admission, breakpoints
from . import observer as obs
from .active_runs import ActiveRun
from .admission import Admission, StartOptions, is_large, pending_run
from .backend import RunBackend
from .build import build_graph
from .checkpoints import close_saver
from .events import TERMINAL, EventType, NodeStatus, RunStatus, node_states_after
from .inprocess import InProcessBackend
from .outcomes import RunStateError, resume_map
from .owners import process_owner
from .prepared import PreparedDocuments
from .script_scope import namespace_of, script_scope
from .serialize import jsonable
from .services import RuntimeServices
from .single_node import NodeTest, new_test_id

log = logging.getLogger(__name__)


class Executor:
    """Runs of workflow documents; where they execute is its ``backend``'s business."""

    def __init__(
        self,
        store: Repository,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
        *,
        backend: RunBackend | None = None,
        durability: Durability = "async",
        services: RuntimeServices | None = None,
        recursion_limit: int = 1000,
        max_graphs: int = 128,
        max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES,
        value_limits: ValueLimits | None = None,
        owns_resources: bool = False,
        trace_store: bool | None = None,
        commit_node_starts: bool = False,
    ) -> None:
        from .writer import BatchWriter

        # OTEL_TRACES_EXPORTER / ORCHEO_TRACE_STORE (``trace_store`` overrides the latter).
        tracing.configure(store=trace_store)

        #: Where runs execute: in this process unless a backend is given.
        self.backend: RunBackend = backend if backend is not None else InProcessBackend()
        self.backend.bind(self)
        self.store = store = self.backend.wrap_store(store)
        self.checkpointer = checkpointer
        self.durability = durability
        #: What nodes reach besides their state; sub-workflow nodes read this store.
        self.services = (services or RuntimeServices()).replace(store=store)
        self.recursion_limit = recursion_limit
        #: The most one stored value (inputs, an event, a final state) may take.
        self.max_value_bytes = max_value_bytes
        #: How deeply run inputs may nest (ORCHEO_MAX_INPUT_DEPTH); checked on admission.
        self.value_limits = value_limits or ValueLimits.from_env()
        self.owner = process_owner()
        #: Commits the events and status changes of ``runs`` in batches.
        self.writer = BatchWriter(store)
        self._graphs: LRU[str, CompiledStateGraph[Any, Any, Any, Any]] = LRU(max_graphs)
        #: Runs whose events and status this process writes (see ``activate``).
        self.runs: dict[str, ActiveRun] = {}
        self._known_docs: set[str] = set()
        #: Size of each admitted run's stored inputs, until it starts (see start_stored).
        self._inputs_sizes: dict[str, int] = {}
        self._prepared = PreparedDocuments(max_graphs)
        #: Whether ``aclose`` closes the store and checkpointer too.
        self._owns_resources = owns_resources
        #: Extra observers of every run's events (metrics, structured logs).
        self.event_sinks: list[obs.Sink] = []
        #: Set where runs execute under leases (Celery workers): a run's checkpoints are
        #: written under its lease (see ``store.fencing``), like its events.
        self.fence: Fence | None = None
        #: Commit a node's start (and what was queued before it) before its body runs.
        #: Set in runner processes, whose server streams only what they commit: a node
        #: that blocks the event loop would otherwise hold its start in the group commit
        #: (which runs on that loop) until it ends.
        self.commit_node_starts = commit_node_starts

    @classmethod
    async def open(cls, settings: Settings | None = None, **kwargs: Any) -> Executor:
        """The stores ``settings`` name (SQLite files under the data dir by default), with
        ``backend`` (keyword; in-process by default) opened."""
        from .savers import open_stores

        settings = settings or Settings.from_env()
        store, saver = await open_stores(settings)
        kwargs.setdefault("max_value_bytes", settings.max_value_bytes)
        kwargs.setdefault("value_limits", ValueLimits(settings.max_input_depth))
        kwargs.setdefault("trace_store", settings.trace_store)
        executor = cls(store, saver, durability=settings.durability, owns_resources=True, **kwargs)
        # Nodes that keep files (SQLite databases, vector stores) put them here.
        if executor.services.data_dir is None:
            executor.services = executor.services.replace(data_dir=settings.data_dir)
        try:
            await executor.backend.open()
        except BaseException:
            await executor.aclose()
            raise
        return executor

    async def aclose(self) -> None:
        """Stop the backend's runs (recorded as cancelled with the cause), release files."""
        try:
            await self.backend.stop()
            await self.writer.close()
            if self._owns_resources:
                await self.store.close()
                await close_saver(self.checkpointer)
        finally:
            await self.backend.close()

    @property
    def mode(self) -> str:
        """The backend's name, as health checks report it."""
        return self.backend.name

    # --- graphs --------------------------------------------------------------
    def _build(self, doc: WorkflowDocument) -> CompiledStateGraph[Any, Any, Any, Any]:
        # The compiled graph outlives the call and is shared by every run of this
        # checksum: it must not hold the caller's model, which a notebook canvas edits
        # in place (a paused run would continue with the edit, under its old checksum).
        doc = doc.model_copy(deep=True)
        elsewhere = self.backend.build(doc)
        if elsewhere is not None:
            return elsewhere
        graph = build_graph(doc)
        with script_scope(namespace_of(graph)):
            return graph.compile(checkpointer=self.checkpointer)

    def _compiled(
        self, checksum: str, doc: WorkflowDocument
    ) -> CompiledStateGraph[Any, Any, Any, Any]:
        return self._graphs.get_or_make(checksum, lambda: self._build(doc))

    async def graph_of(self, record: RunRecord) -> CompiledStateGraph[Any, Any, Any, Any]:
        graph = self._graphs.get(record.checksum)
        if graph is not None:
            return graph
        body = await self.store.get_document(record.checksum)
        return self._compiled(record.checksum, loads(body))

    def run_config(self, run_id: str, config: Mapping[str, Any]) -> RunnableConfig:
        configurable = dict(config.get("configurable", {}))
        configurable["thread_id"] = run_id
        return {
            "configurable": configurable,
            "recursion_limit": int(config.get("recursion_limit", self.recursion_limit)),
        }

    # --- starting runs -------------------------------------------------------
    async def admit(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        **start: Unpack[StartOptions],
    ) -> Admission:
        """Everything a run must pass before it exists, for every backend.

        The document validates and its graph builds (DocumentError otherwise), then
        ``admission.admit`` (inputs_schema, manual-trigger rules when ``manual``, storable
        values, defaults and the inputs check, credentials, the manual cooldown), then the
        size of the stored inputs. Nothing is stored; ``Admission.withdraw`` gives back
        the cooldown when the run is not stored after all. ``start``: see ``StartOptions``.
        """
        check_options(start, StartOptions)
        if is_large(document):
            # Seconds of validation and compilation must not stall the loop (a server's).
            doc, checksum, body = await asyncio.to_thread(self._prepared.get, document)
            if checksum not in self._graphs:
                self._graphs.put(checksum, await asyncio.to_thread(self._build, doc))
        else:
            doc, checksum, body = self._prepared.get(document)
        graph = self._compiled(checksum, doc)
        workflow_id = start.get("workflow_id") or doc.id
        admitted = await admission.admit(
            doc,
            inputs,
            workflow_id=workflow_id,
            checksum=checksum,
            config=start.get("config"),
            manual=start.get("manual"),
            store=self.store,
            resolver=self.services.secrets,
            limits=self.value_limits,
        )
        try:
            record = pending_run(
                start.get("run_id") or uuid.uuid4().hex,
                checksum,
                inputs=jsonable(admitted.inputs),
                workflow_id=workflow_id,
                version=start.get("version"),
                config=jsonable(admitted.config),
                owner=self.owner,
            )
            inputs_text = encode_json(record.inputs)
            check_size("the run's inputs", inputs_text, self.max_value_bytes, field="inputs")
        except BaseException:
            await admitted.withdraw()
            raise
        self._inputs_sizes[record.id] = len(inputs_text)
        if len(self._inputs_sizes) > 1024:  # admitted, never started (refused by a store)
            self._inputs_sizes.pop(next(iter(self._inputs_sizes)))
        return Admission(record, body, graph, admitted)

    async def submit(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        **start: Unpack[StartOptions],
    ) -> str:
        """Admit, store the run as pending and start it; returns the run id at once.

        A run that may not start raises DocumentError (or ManualRefused, for a start by
        hand: ``manual``) and stores nothing. ``start``: see ``StartOptions``.
        """
        tracer = tracing.current
        if tracer is None:
            admitted = await self._admit_and_store(document, inputs, start)
            await self.start_stored(admitted.record, admitted.graph)
            return admitted.record.id
        span = tracer.start_submit(start.get("workflow_id"), start.get("version"))
        try:
            admitted = await self._admit_and_store(document, inputs, start)
        except BaseException as exc:
            span.end(exc)
            raise
        record = admitted.record
        span.admitted(record.id)
        try:
            if not self.backend.runs_here:
                # Another process executes it: this span is stored before it gets there.
                span.finish()
                await self.store_spans(tracer, record.id)
            await self.start_stored(record, admitted.graph)
        except BaseException:
            span.end()
            self.queue_spans(tracer, record.id)
            raise
        # Executed here: the span waits in the collector and is stored with the run's.
        span.end()
        return record.id

    async def _admit_and_store(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        inputs: Mapping[str, Any] | None,
        start: StartOptions,
    ) -> Admission:
        admitted = await self.admit(document, inputs, **start)
        record = admitted.record
        known = record.checksum in self._known_docs
        try:
            await self.store.create_run(record, None if known else admitted.body)
        except BaseException:
            await admitted.withdraw()  # not stored: not a start
            raise
        self._known_docs.add(record.checksum)
        return admitted

    def queue_spans(self, tracer: Any, run_id: str) -> None:
        """The run's finished spans, committed with its next batch of events (before them)."""
        if tracer.collector is not None:
            spans = tracer.collector.take(run_id)
            if spans:
                self.writer.add_spans(run_id, spans)

    async def store_spans(self, tracer: Any, run_id: str) -> None:
        """The run's finished spans go to the store; a trace is never worth failing a run."""
        try:
            await tracer.store_spans(self.store, run_id)
        except Exception as exc:
            log.warning("orcheo: run %s: its spans were not stored: %s", run_id, exc)

    async def start_stored(
        self, record: RunRecord, graph: CompiledStateGraph[Any, Any, Any, Any] | None = None
    ) -> None:
        """Execute a run stored as pending (from its start, or from a copied checkpoint)
        where the backend executes runs."""
        await self.backend.start(record, graph)

    def admitted_inputs_size(self, run_id: str) -> int | None:
        """The size of the run's stored inputs measured on admission (once)."""
        return self._inputs_sizes.pop(run_id, None)

    async def execute(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        **start: Unpack[StartOptions],
    ) -> RunRecord:
        """Submit and wait until the run finishes, fails, is cancelled or interrupted."""
        run_id = await self.submit(document, inputs, **start)
        return await self.wait(run_id)

    # --- runs whose events this process writes (any backend's, through these) -------
    def activate(self, record: RunRecord, start_seq: int | None = None) -> ActiveRun:
        """The run's entry in ``runs``: its observer numbers events after ``start_seq``
        (default: the stored ``last_seq``) and hands them to the writer and sinks."""
        active = self.runs.get(record.id)
        if active is None:
            observer = obs.RunObserver(
                record.id,
                workflow_id=record.workflow_id,
                start_seq=record.last_seq if start_seq is None else start_seq,
                services=self.services,
            )
            observer.max_value_bytes = self.max_value_bytes
            observer.add_sink(self.writer.add_event)
            for sink in self.event_sinks:
                observer.add_sink(sink)
            observer.node_states = dict(record.node_states or {})
            if self.commit_node_starts:
                observer.before_body = self.writer.flush
            active = ActiveRun(record, observer)
            self.runs[record.id] = active
        active.settled.clear()
        return active

    def set_status(self, active: ActiveRun, status: RunStatus, **fields: Any) -> None:
        """Change the run's status (scrubbed of its secrets) and queue the row's update."""
        now = utcnow()
        record = active.record
        if active.observer.redactor:
            fields = active.observer.redactor.scrub(fields)  # error, final state, interrupt
        record.status = status
        record.updated_at = now
        for key, value in fields.items():
            setattr(record, key, value)
        if fields.get("final_state"):
            fields["final_state"] = share_inputs(fields["final_state"], record.inputs)
        record.node_states = dict(active.observer.node_states)
        record.last_seq = active.observer.seq
        changes = {
            "status": str(status),
            "node_states": record.node_states,
            "last_seq": record.last_seq,
            "owner": self.owner,
            **fields,
        }
        self.writer.add_update(RunUpdate(record.id, now, changes))
        active.transitions.append(TransitionRecord(record.id, str(status), now))

    # --- waiting and reading ---------------------------------------------------
    async def wait(self, run_id: str, timeout: float | None = None) -> RunRecord:
        """The run once it is no longer running (finished, failed, cancelled or interrupted)."""
        return await self.backend.wait(run_id, timeout)

    def executing(self, run_id: str) -> bool:
        """Whether the backend is executing ``run_id`` now."""
        return self.backend.executing(run_id)

    def runs_in_progress(self) -> int:
        """Runs executing now (not those waiting on an interrupt)."""
        return self.backend.runs_in_progress()

    async def transitions(self, run_id: str) -> list[TransitionRecord]:
        """The run's status changes in order, including ones not yet committed."""
        stored = await self.store.list_transitions(run_id)
        active = self.runs.get(run_id)
        if active is None:
            return stored
        seen = {(t.status, t.at) for t in stored}
        return stored + [t for t in active.transitions if (t.status, t.at) not in seen]

    async def get_run(self, run_id: str) -> RunRecord:
        return self.backend.observed(await self._record(run_id))

    async def _record(self, run_id: str) -> RunRecord:
        """The run as this process last wrote it, else as stored."""
        active = self.runs.get(run_id)
        return active.record if active is not None else await self.store.get_run(run_id)

    def events(
        self, run_id: str, *, after: int = 0, follow: bool = True
    ) -> AsyncIterator[EventRecord]:
        """Stored events after ``after``, then live ones until the run's terminal event.

        Every event is yielded exactly once and in order, whether it is replayed from
        the store, from memory, or arrives live (see ``runtime/streams.py``).
        """
        return self.backend.events(run_id, after=after, follow=follow)

    async def follow(
        self, run_id: str, on_event: Callable[[EventRecord], None], *, after: int = 0
    ) -> RunRecord:
        """Give ``on_event`` each event after ``after`` as it happens, until the run
        settles; the settled run. For a view of a run (a cell's output, a canvas)."""
        last = after

        async def forward(after: int, follow: bool) -> None:
            nonlocal last
            async for event in self.events(run_id, after=after, follow=follow):
                last = event.seq
                on_event(event)

        live = asyncio.create_task(forward(after, True))
        try:
            record = await self.wait(run_id)
        finally:
            # An interrupted run has no terminal event: stop following, then deliver
            # whatever the live follower had not reached yet.
            live.cancel()
            await asyncio.gather(live, return_exceptions=True)
        await forward(last, False)
        return record

    def observer_of(self, run_id: str) -> obs.RunObserver | None:
        active = self.runs.get(run_id)
        return active.observer if active is not None else None

    # --- control ---------------------------------------------------------------
    async def cancel(self, run_id: str) -> RunRecord:
        """Stop the run wherever the backend executes it, or record a run no one executes
        (pending, or waiting on an interrupt) as cancelled."""
        stopped = await self.backend.cancel(run_id)
        if stopped is not None:
            return stopped
        record = await self.get_run(run_id)
        if record.status in TERMINAL:
            raise RunStateError(f"run {run_id} already {record.status}")
        if record.status == RunStatus.RUNNING and record.owner != self.owner:
            raise RunStateError(f"run {run_id} is executing in another process ({record.owner})")
        return await self.record_cancelled(record)

    async def record_cancelled(self, record: RunRecord, reason: str = "cancelled") -> RunRecord:
        """Store the cancellation of a run no process is executing (or one whose process
        was just stopped); the event numbering continues after what is stored."""
        return await self.record_ended(
            record, RunStatus.CANCELLED, EventType.RUN_CANCELLED, "cancelled", {"reason": reason}
        )

    async def record_failed(
        self, record: RunRecord, message: str, node: str | None = None
    ) -> RunRecord:
        """Store the failure of a run whose process was stopped (a node over its limit)."""
        return await self.record_ended(
            record, RunStatus.FAILED, EventType.RUN_FAILED, message, {"error": message}, node
        )

    async def record_ended(
        self,
        record: RunRecord,
        status: RunStatus,
        event: EventType,
        error: str,
        data: dict[str, Any],
        node: str | None = None,
    ) -> RunRecord:
        stored = await self.store.list_events(record.id, after=record.last_seq)
        start_seq = stored[-1].seq if stored else record.last_seq
        # The row's node states date from its last status change: the stored events
        # since then say which nodes finished (and which was running) when it stopped.
        record.node_states = node_states_after(record.node_states or {}, stored)
        if node is not None:
            record.node_states[node] = str(NodeStatus.FAILED)
        active = self.activate(record, start_seq=start_seq)
        if node is not None:
            active.observer.emit(EventType.NODE_FAILED, node, {"error": error})
        active.observer.emit(event, data=data)
        self.set_status(active, status, error=error, finished_at=utcnow())
        await self.writer.flush()
        self.runs.pop(record.id, None)
        active.settled.set()
        return active.record

    async def resume(self, run_id: str, value: Any) -> str:
        """Answer a pending interrupt; the run continues from its checkpoint."""
        check_value(value, "value", self.value_limits)  # the checkpoint must hold it
        await self.backend.settling(run_id)
        record = await self._record(run_id)
        if record.status != RunStatus.INTERRUPTED:
            raise RunStateError(f"run {run_id} is {record.status}, not interrupted")
        if self.checkpointer is None:
            raise RunStateError("resuming needs a checkpointer")
        if not breakpoints.is_breakpoint(record.interrupt):  # a breakpoint just continues
            resume_map(run_id, record.interrupt or [], value)  # refuse a misaddressed answer
        await self.backend.resume(record, value)
        return run_id

    async def recover(self, run_id: str, reason: str | None = None) -> str:
        """Continue a run whose process died, from its last checkpoint (or its start).

        ``reason`` (why its process is gone) goes into the ``resumed`` event.
        """
        record = await self.store.get_run(run_id)
        if record.status not in (RunStatus.RUNNING, RunStatus.PENDING):
            raise RunStateError(
                f"run {run_id} is {record.status}; only a run left running can be recovered"
            )
        await self.backend.recover(record, reason)
        return run_id

    async def checkpoints(self, run_id: str, *, values: bool = False) -> list[dict[str, Any]]:
        """The run's checkpoints, newest first: what time travel can re-run from.

        ``values`` adds each checkpoint's whole state (what a node received there).
        """
        record = await self.get_run(run_id)
        graph = await self.graph_of(record)
        elsewhere = await self.backend.history(record, graph, values)
        if elsewhere is not None:
            return elsewhere
        out = []
        async for snap in graph.aget_state_history(self.run_config(run_id, {})):
            item = {
                "checkpoint_id": snap.config["configurable"]["checkpoint_id"],
                "step": (snap.metadata or {}).get("step"),
                "next": list(snap.next),
                "created_at": snap.created_at,
                "results": jsonable(snap.values.get("results", {})),
            }
            if values:
                item["values"] = jsonable(snap.values)
            out.append(item)
        return out

    async def checkpoint(self, run_id: str, checkpoint_id: str) -> dict[str, Any]:
        """One checkpoint of the run with its whole state: what a fork starts from."""
        record = await self.get_run(run_id)
        graph = await self.graph_of(record)
        elsewhere = await self.backend.history(record, graph, True)
        if elsewhere is not None:
            for item in elsewhere:
                if item["checkpoint_id"] == checkpoint_id:
                    return item
            raise NotFound(f"run {run_id} has no checkpoint {checkpoint_id}")
        config = self.run_config(run_id, {})
        config["configurable"]["checkpoint_id"] = checkpoint_id
        snap = await graph.aget_state(config)
        found = (snap.config or {}).get("configurable", {}).get("checkpoint_id")
        if snap.metadata is None or found != checkpoint_id:
            raise NotFound(f"run {run_id} has no checkpoint {checkpoint_id}")
        return {
            "checkpoint_id": checkpoint_id,
            "step": (snap.metadata or {}).get("step"),
            "next": list(snap.next),
            "created_at": snap.created_at,
            "results": jsonable(snap.values.get("results", {})),
            "values": jsonable(snap.values),
        }

    async def rerun(
        self,
        run_id: str,
        checkpoint_id: str | None = None,
        state_patch: Mapping[str, Any] | None = None,
    ) -> str:
        """A new run: from the start with the same inputs, or from a stored checkpoint.

        ``state_patch`` (with a checkpoint) edits the state the new run starts from:
        ``results`` merges by node id, other keys are replaced; a key the state does
        not have is refused (DocumentError). The source run and its checkpoints are
        never changed.
        """
        if state_patch and checkpoint_id is None:
            raise RunStateError("a state patch needs a checkpoint_id to fork from")
        source = await self.get_run(run_id)
        graph = await self.graph_of(source)  # the document still builds
        if state_patch:
            keys = await self.backend.state_keys(source, graph)
            keys = breakpoints.state_keys(graph) if keys is None else keys
            breakpoints.check_patch(state_patch, keys)
        record = pending_run(
            uuid.uuid4().hex,
            source.checksum,
            inputs=source.inputs,
            workflow_id=source.workflow_id,
            version=source.version,
            config=source.config,
            owner=self.owner,
            parent_run_id=run_id,
            parent_checkpoint_id=checkpoint_id,
        )
        if checkpoint_id is not None:
            if self.checkpointer is None:
                raise RunStateError("re-running from a checkpoint needs a checkpointer")
            await self._copy_checkpoint(run_id, checkpoint_id, record.id, state_patch)
        await self.store.create_run(record)
        await self.start_stored(record)
        return record.id

    async def _copy_checkpoint(
        self,
        run_id: str,
        checkpoint_id: str,
        new_id: str,
        state_patch: Mapping[str, Any] | None = None,
    ) -> None:
        assert self.checkpointer is not None
        source_cfg: RunnableConfig = {
            "configurable": {
                "thread_id": run_id,
                "checkpoint_ns": "",
                "checkpoint_id": checkpoint_id,
            }
        }
        snap = await self.checkpointer.aget_tuple(source_cfg)
        if snap is None:
            raise NotFound(f"run {run_id} has no checkpoint {checkpoint_id}")
        target: RunnableConfig = {"configurable": {"thread_id": new_id, "checkpoint_ns": ""}}
        # Pending writes are deliberately not copied: a re-run executes the steps after
        # the checkpoint again instead of replaying what the first run produced there.
        checkpoint = snap.checkpoint
        if state_patch:
            values = breakpoints.patched(checkpoint["channel_values"], state_patch)
            checkpoint = {**checkpoint, "channel_values": values}
        await self.checkpointer.aput(
            target, checkpoint, snap.metadata, checkpoint["channel_versions"]
        )
        flush = getattr(self.checkpointer, "flush", None)
        if flush is not None:
            # Committed before the fork starts: a runner process reads it from the
            # database, and a write still queued here made it start with no input.
            await flush(new_id)

    async def test_node(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        node_id: str,
        state: Mapping[str, Any],
        *,
        workflow_id: str | None = None,
        test_id: str | None = None,
    ) -> NodeTest:
        """Run one node alone on ``state`` with this executor's services.

        Nothing of a run is stored; its spans are, when spans are kept (under the
        test's id, as a run's are under the run's), by whichever process ran the node.
        """
        test_id = test_id or new_test_id()
        return await self.backend.test_node(
            document, node_id, state, workflow_id=workflow_id, test_id=test_id
        )
