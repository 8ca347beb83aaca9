"""What servers and workers both do to stored runs: cancel one nobody executes, lease names."""

from __future__ import annotations

from ..clock import utcnow
from ..runtime.events import EventType, RunStatus
from ..runtime.executor import Executor
from ..store.records import RunRecord


def lease(run_id: str) -> str:
    """The lock a worker holds while it executes ``run_id``."""
    return f"run:{run_id}"


class StoredRunsMixin(Executor):
    async def store_cancelled(self, record: RunRecord) -> RunRecord:
        """Record the cancellation of a run no process is executing (caller holds its lease).

        The event numbering continues after whatever the last owner stored.
        """
        stored = await self.store.list_events(record.id, after=record.last_seq)
        start_seq = stored[-1].seq if stored else record.last_seq
        active = self._activate(record, start_seq=start_seq)
        active.observer.emit(EventType.RUN_CANCELLED, data={"reason": "cancelled"})
        self._set_status(active, RunStatus.CANCELLED, error="cancelled", finished_at=utcnow())
        await self._writer.flush()
        self._active.pop(record.id, None)
        active.settled.set()
        return active.record
