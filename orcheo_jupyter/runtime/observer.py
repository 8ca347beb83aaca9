"""Per-run event emission, reachable from node wrappers through a context variable.

Node wrappers run inside LangGraph's tasks (and, for sync code, in worker threads);
a context variable reaches them in both without threading anything through
LangGraph's config, which would end up in checkpoints.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..common.timestamps import utcnow
from ..spec.surrogates import has_lone_surrogate, surrogate_path
from ..store.encoding import DEFAULT_MAX_VALUE_BYTES, NotUnicode, check_size, encode_json
from ..store.records import reference
from .events import EventType, NodeStatus, RunEvent
from .redact import Redactor
from .serialize import jsonable
from .services import NO_SERVICES, RuntimeServices

Sink = Callable[[RunEvent], None]
log = logging.getLogger(__name__)

#: Above this many bytes, a value the run row stores anyway (inputs, final state) is
#: referenced from its event instead of copied into it.
INLINE_BYTES = 64 * 1024


class RunObserver:
    """Numbers a run's events, tracks per-node states and fans events out to sinks."""

    def __init__(
        self,
        run_id: str,
        *,
        workflow_id: str | None = None,
        start_seq: int = 0,
        services: RuntimeServices = NO_SERVICES,
        loop: asyncio.AbstractEventLoop | None = None,
    ):
        self.run_id = run_id
        self.workflow_id = workflow_id
        self.services = services
        #: Secret values this run resolved: scrubbed from every event it emits.
        self.redactor = Redactor()
        self.seq = start_seq
        self.node_states: dict[str, str] = {}
        self.events: list[RunEvent] = []
        #: A tuple, replaced on change: emitting iterates it without copying.
        self._sinks: tuple[Sink, ...] = ()
        self._loop = loop or asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        #: The most one stored event may take (None: unlimited); see ``emit``.
        self.max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES
        #: Awaited after each node attempt's start, before its body runs (None: nothing).
        #: A runner commits the start here, so that followers see it even when the body
        #: then blocks the event loop (see ``Executor.commit_node_starts``).
        self.before_body: Callable[[], Awaitable[None]] | None = None

    def add_sink(self, sink: Sink) -> None:
        self._sinks = (*self._sinks, sink)

    def remove_sink(self, sink: Sink) -> None:
        if sink in self._sinks:
            sinks = list(self._sinks)
            sinks.remove(sink)
            self._sinks = tuple(sinks)

    def emit(
        self,
        type_: str,
        node: str | None = None,
        data: dict[str, Any] | None = None,
        *,
        stored: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> None:
        """Record an event; safe to call from a node's worker thread.

        The event is encoded here, once (the store writes this text), and measured:
        ValueTooLarge (nothing recorded) when it exceeds ``max_value_bytes``, so an
        oversized value fails its own run instead of the batch it would have joined;
        NotUnicode when it holds text no UTF-8 store can encode.
        ``stored`` maps data keys to the run-row field that holds the same value:
        when the event is large, those keys become references (``{"$ref": "#/inputs"}``).
        ``what`` names the value in that error (default: the event).
        """
        if threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._emit_later, type_, node, data)
            return
        if self.redactor and data:
            data = self.redactor.scrub(data)
        data = data or {}
        try:
            text = encode_json(data)
        except (TypeError, ValueError):
            data = jsonable(data)
            text = encode_json(data)
        if what is None:
            what = f"the {type_} event" + (f" of node {node!r}" if node else "")
        check_size(what, text, self.max_value_bytes)
        if has_lone_surrogate(text):  # the store could not encode it: the run's end lost
            raise NotUnicode(what, surrogate_path(data) or "?")
        if stored and len(text) > INLINE_BYTES:
            data = {k: reference(stored[k]) if k in stored else v for k, v in data.items()}
            text = encode_json(data)
        self.seq += 1
        event = RunEvent(self.run_id, self.seq, str(type_), utcnow(), node, data, text)
        self.events.append(event)
        for sink in self._sinks:
            sink(event)

    def _emit_later(self, type_: str, node: str | None, data: dict[str, Any] | None) -> None:
        try:
            self.emit(type_, node, data)
        except ValueError as exc:  # nobody to tell: the emitting thread has moved on
            log.warning("orcheo: run %s: an event was not recorded: %s", self.run_id, exc)

    # Node-level helpers used by the graph wrappers.
    def node_started(self, node: str, attempt: int) -> None:
        self.node_states[node] = NodeStatus.RUNNING
        self.emit(EventType.NODE_STARTED, node, {"attempt": attempt})

    def node_finished(self, node: str, output: Any, duration_ms: float) -> None:
        self.emit(
            EventType.NODE_FINISHED,
            node,
            {"output": jsonable(output), "duration_ms": round(duration_ms, 3)},
            what="its output",
        )
        self.node_states[node] = NodeStatus.SUCCEEDED

    def node_retrying(self, node: str, attempt: int, error: str, delay: float) -> None:
        self.node_states[node] = NodeStatus.RETRYING
        self.emit(
            EventType.NODE_RETRYING, node, {"attempt": attempt, "error": error, "delay_s": delay}
        )

    def node_failed(
        self, node: str, error: str, duration_ms: float, line: int | None = None
    ) -> None:
        """``line``: the line of a code node's body it failed on, for editors to mark."""
        self.node_states[node] = NodeStatus.FAILED
        data: dict[str, Any] = {"error": error, "duration_ms": round(duration_ms, 3)}
        if line is not None:
            data["line"] = line
        self.emit(EventType.NODE_FAILED, node, data)

    def node_interrupted(self, node: str) -> None:
        self.node_states[node] = NodeStatus.INTERRUPTED

    def unresolved(self, node: str, templates: list[str]) -> None:
        self.emit(EventType.TEMPLATE_UNRESOLVED, node, {"templates": templates})


current: contextvars.ContextVar[RunObserver | None] = contextvars.ContextVar(
    "orcheo_run_observer", default=None
)
