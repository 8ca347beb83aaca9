"""Run events: the ordered, stored record of what happened in a run."""

from __future__ import annotations

from enum import StrEnum

from ..store.records import EventRecord


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


class NodeStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class EventType(StrEnum):
    RUN_STARTED = "run_started"
    NODE_STARTED = "node_started"
    NODE_FINISHED = "node_finished"
    NODE_RETRYING = "node_retrying"
    NODE_FAILED = "node_failed"
    TEMPLATE_UNRESOLVED = "template_unresolved"
    NODE_MESSAGE = "node_message"
    INTERRUPTED = "interrupted"
    RESUMED = "resumed"
    RUN_FINISHED = "run_finished"
    RUN_FAILED = "run_failed"
    RUN_CANCELLED = "run_cancelled"


TERMINAL_EVENTS = frozenset({EventType.RUN_FINISHED, EventType.RUN_FAILED, EventType.RUN_CANCELLED})


RunEvent = EventRecord


_NODE_STATE_OF: dict[str, str] = {
    EventType.NODE_STARTED: NodeStatus.RUNNING,
    EventType.NODE_FINISHED: NodeStatus.SUCCEEDED,
    EventType.NODE_RETRYING: NodeStatus.RETRYING,
    EventType.NODE_FAILED: NodeStatus.FAILED,
}


def node_states_after(states: dict[str, str], events: list[EventRecord]) -> dict[str, str]:
    """``states`` (a run row's, as of its last update) brought up to ``events`` stored since."""
    states = dict(states)
    for event in events:
        state = _NODE_STATE_OF.get(event.type)
        if event.node is not None and state is not None:
            states[event.node] = state
    return states


def running_node(events: list[EventRecord]) -> str | None:
    """The node that had started and not ended, as far as ``events`` tell (the last one
    started, when several ran at once): what a run was doing when its process died."""
    running: dict[str, int] = {}
    for event in events:
        if event.node is None:
            continue
        if event.type == EventType.NODE_STARTED:
            running[event.node] = event.seq
        elif event.type in (EventType.NODE_FINISHED, EventType.NODE_FAILED):
            running.pop(event.node, None)
    return max(running, key=running.__getitem__) if running else None
