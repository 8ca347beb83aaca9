"""Runs a notebook kernel was executing when it stopped: stored as failed, with the cause.

A run started in a kernel (``Workflow.run``, ``%orcheo run``) executes in that
kernel, its owner ``kernel@host:pid:...`` (``runtime.owners``). When the kernel is
restarted, shut down or killed in the middle, nothing else would ever end the run:
it stayed ``running`` until a server restart resumed it, in a process that is not
the notebook's. The server sweeps such runs instead: once the kernel process the
owner names is gone, the run is failed ("the kernel running this run stopped
(restart or shutdown)"), naming the node that was running, with ``node_failed`` and
``run_failed`` events, so a viewer, a follower or a waiting client sees it end.

Only kernels' runs are swept: a runner process's runs are its pool's, a Celery
worker's the workers' reaper's, and those keep their own recovery. The sweep is
cheap (one indexed query of unsettled runs with a kernel owner) and runs every
``SWEEP_SECONDS``, and at once when the server's kernel manager restarts or shuts
down a kernel (``wake``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

from ..distributed.config import lease
from ..runtime.events import RunStatus, running_node
from ..runtime.executor import Executor
from ..runtime.owners import KERNEL_OWNER_PREFIX, owner_process, pid_alive
from ..runtime.waiting import within

log = logging.getLogger(__name__)

KERNEL_STOPPED = "the kernel running this run stopped (restart or shutdown)"
#: How often kernels' unsettled runs are looked at without a kernel event.
SWEEP_SECONDS = 5.0


def kernel_stopped(node: str | None) -> str:
    """The error of a run whose kernel stopped, naming the node it was running."""
    return KERNEL_STOPPED if node is None else f"{KERNEL_STOPPED} while node {node!r} was running"


class KernelRunSweeper:
    """Fails the unsettled runs of kernels that are gone, every ``every`` seconds."""

    def __init__(
        self,
        executor: Executor,
        *,
        every: float = SWEEP_SECONDS,
        alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.executor = executor
        self.every = every
        self._alive = alive
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="orcheo-kernel-runs")

    def wake(self) -> None:
        """Sweep now (a kernel was just restarted or shut down)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.sweep()
            except Exception as exc:  # the next round tries again
                log.warning("orcheo: sweeping the runs of stopped kernels failed: %s", exc)
            await within(self._wake.wait(), self.every)

    async def sweep(self) -> list[str]:
        """Fail the unsettled runs whose kernel (on this machine) is gone; their ids."""
        here = socket.gethostname()
        failed = []
        for run_id, owner in await self.executor.store.unsettled_owned(KERNEL_OWNER_PREFIX):
            process = owner_process(owner, KERNEL_OWNER_PREFIX)
            if process is None or process[0] != here or self._alive(process[1]):
                continue  # alive, or on another machine (its own server sweeps it)
            if await self._fail(run_id, owner):
                failed.append(run_id)
        return failed

    async def _fail(self, run_id: str, owner: str) -> bool:
        ex = self.executor
        # Two servers sharing the store: one of them fails it.
        if not await ex.store.try_lock(lease(run_id), ex.owner, 30):
            return False
        try:
            record = await ex.store.get_run(run_id)
            if record.status not in (RunStatus.PENDING, RunStatus.RUNNING) or record.owner != owner:
                return False
            node = running_node(await ex.store.list_events(run_id, after=0))
            message = kernel_stopped(node)
            log.warning("orcheo: run %s failed: %s (%s)", run_id, message, owner)
            await ex.record_failed(record, message, node)
            return True
        finally:
            await ex.store.release_lock(lease(run_id), ex.owner)
