"""A process-wide watcher of node work that a thread cannot stop by itself.

Code a node runs may never yield (``while True: pass``, a long C call, a blocking
call inside ``async def``) or exhaust memory. Inside a kernel nothing more can be
done than today; a runner process installs a guard that tells its supervisor when
such work starts under a deadline, when it ends, and when the process holds work
it gave up on (a cancelled or timed-out node whose thread still runs, a node out
of memory): the supervisor then ends the process and re-homes its other runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from . import observer as obs

T = TypeVar("T")


class NodeGuard(Protocol):
    def starting(self, node: str) -> None:
        """Any node is about to begin an attempt (with or without a timeout).

        Called before the attempt is recorded or its code runs: a guard whose process
        must run no more nodes (its server is gone) ends the process here.
        """

    def started(self, run_id: str, node: str, attempt: int, timeout: float) -> None:
        """A node began an attempt that must end within ``timeout`` seconds."""

    def ended(self, run_id: str, node: str, attempt: int) -> None:
        """That attempt ended (in any way)."""

    def spent(self, run_id: str, reason: str) -> None:
        """This process must be replaced once ``run_id`` has settled."""


_guard: NodeGuard | None = None
#: Appended to "out of memory in node X": which limit, and where it is set.
memory_note = ""


def install(guard: NodeGuard | None, *, memory: str = "") -> None:
    global _guard, memory_note
    _guard = guard
    memory_note = memory


def current() -> NodeGuard | None:
    return _guard


def out_of_memory(node: str) -> str:
    """The failure message of a node that ran out of memory (and marks the process spent)."""
    message = f"out of memory in node {node!r}"
    if memory_note:
        message += f" ({memory_note})"
    observer = obs.current.get()
    if _guard is not None and observer is not None:
        _guard.spent(observer.run_id, message)
    return message


async def in_thread(node: str, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` on a worker thread; a stop that leaves it running is reported."""
    done = threading.Event()

    def work() -> T:
        try:
            return fn(*args)
        finally:
            done.set()

    try:
        return await asyncio.to_thread(work)
    except asyncio.CancelledError:
        observer = obs.current.get()
        if not done.is_set() and _guard is not None and observer is not None:
            _guard.spent(
                observer.run_id,
                f"node {node!r} of run {observer.run_id} kept running after it was stopped",
            )
        raise
