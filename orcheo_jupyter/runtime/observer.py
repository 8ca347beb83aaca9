"""Per-run event emission, reachable from node wrappers through a context variable.

Node wrappers run inside LangGraph's tasks (and, for sync code, in worker threads);
a context variable reaches them in both without threading anything through
LangGraph's config, which would end up in checkpoints.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from typing import Any

from ..clock import utcnow
from .events import EventType, NodeStatus, RunEvent
from .redact import Redactor
from .serialize import jsonable

Sink = Callable[[RunEvent], None]


class RunObserver:
    """Numbers a run's events, tracks per-node states and fans events out to sinks."""

    def __init__(
        self,
        run_id: str,
        *,
        workflow_id: str | None = None,
        start_seq: int = 0,
        services: dict[str, Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ):
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.services = services or {}
        #: Secret values this run resolved: scrubbed from every event it emits.
        self.redactor = Redactor()
        self.seq = start_seq
        self.node_states: dict[str, str] = {}
        self.events: list[RunEvent] = []
        #: A tuple, replaced on change: emitting iterates it without copying.
        self._sinks: tuple[Sink, ...] = ()
        self._loop = loop or asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def add_sink(self, sink: Sink) -> None:
        self._sinks = (*self._sinks, sink)

    def remove_sink(self, sink: Sink) -> None:
        if sink in self._sinks:
            sinks = list(self._sinks)
            sinks.remove(sink)
            self._sinks = tuple(sinks)

    def emit(self, type_: str, node: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Record an event; safe to call from a node's worker thread."""
        if threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self.emit, type_, node, data)
            return
        self.seq += 1
        if self.redactor and data:
            data = self.redactor.scrub(data)
        event = RunEvent(self.run_id, self.seq, str(type_), utcnow(), node, data or {})
        self.events.append(event)
        for sink in self._sinks:
            sink(event)

    # Node-level helpers used by the graph wrappers.
    def node_started(self, node: str, attempt: int) -> None:
        self.node_states[node] = NodeStatus.RUNNING
        self.emit(EventType.NODE_STARTED, node, {"attempt": attempt})

    def node_finished(self, node: str, output: Any, duration_ms: float) -> None:
        self.node_states[node] = NodeStatus.SUCCEEDED
        self.emit(
            EventType.NODE_FINISHED,
            node,
            {"output": jsonable(output), "duration_ms": round(duration_ms, 3)},
        )

    def node_retrying(self, node: str, attempt: int, error: str, delay: float) -> None:
        self.node_states[node] = NodeStatus.RETRYING
        self.emit(
            EventType.NODE_RETRYING, node, {"attempt": attempt, "error": error, "delay_s": delay}
        )

    def node_failed(self, node: str, error: str, duration_ms: float) -> None:
        self.node_states[node] = NodeStatus.FAILED
        self.emit(
            EventType.NODE_FAILED, node, {"error": error, "duration_ms": round(duration_ms, 3)}
        )

    def node_interrupted(self, node: str) -> None:
        self.node_states[node] = NodeStatus.INTERRUPTED

    def unresolved(self, node: str, templates: list[str]) -> None:
        self.emit(EventType.TEMPLATE_UNRESOLVED, node, {"templates": templates})


current: contextvars.ContextVar[RunObserver | None] = contextvars.ContextVar(
    "orcheo_run_observer", default=None
)
