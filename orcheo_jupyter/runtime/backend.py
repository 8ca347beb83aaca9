"""Where a stored run executes: the one thing an ``Executor`` delegates.

The executor does everything else once, for every backend: admission (document,
inputs defaults, credentials, manual rules), storing the run row, the event and
status bookkeeping of runs it ends itself (``record_cancelled``/``record_failed``),
the state checks of resume, recover and cancel, checkpoints and re-runs. A backend
only starts, continues, stops and follows runs:

- ``InProcessBackend`` (runtime/inprocess.py): in this process (kernels, tests,
  ``runners=0``, and inside each runner process and Celery worker);
- ``PoolBackend`` (runners/backend.py): in the server's supervised runner processes;
- ``CeleryBackend`` (distributed/client.py): queued for ``orcheo-jupyter worker``.

Backends see the executor through its public API only (``bind``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph

    from ..spec.models import WorkflowDocument
    from ..store.base import Repository
    from ..store.records import EventRecord, RunRecord
    from .executor import Executor
    from .single_node import NodeTest

    #: A compiled graph of a document.
    Graph = CompiledStateGraph[Any, Any, Any, Any]

#: A health probe: awaited, it raises when what it checks is unavailable.
Probe = Callable[[], Awaitable[Any]]


class RunBackend(ABC):
    #: What health checks report as the executor ("local", "runners", "celery", "worker").
    name: str = "local"
    #: Whether runs execute in this process (their spans are then stored with their events).
    runs_here: bool = False

    _executor: Executor | None = None

    def bind(self, executor: Executor) -> None:
        """Called once by the executor that delegates to this backend."""
        self._executor = executor

    @property
    def executor(self) -> Executor:
        if self._executor is None:
            raise RuntimeError(f"the {self.name} backend is not bound to an executor")
        return self._executor

    # --- life cycle ------------------------------------------------------------------
    def wrap_store(self, store: Repository) -> Repository:
        """The store the executor writes through (Celery publishes each commit)."""
        return store

    async def open(self) -> None:
        """Start what runs need (runner processes, a broker listener)."""
        return None  # nothing to do by default

    async def stop(self) -> None:
        """No run executes here any more (the executor then flushes its writes)."""
        return None  # nothing to do by default

    async def close(self) -> None:
        """Release connections, after the executor's last write."""
        return None  # nothing to do by default

    # --- where runs execute ----------------------------------------------------------
    @abstractmethod
    async def start(self, record: RunRecord, graph: Graph | None) -> None:
        """Execute a run stored as pending (from its start, or a copied checkpoint)."""

    async def settling(self, run_id: str) -> None:
        """Wait, briefly, for a run announced interrupted to settle: a client that saw
        the event may answer before the backend has finished pausing the run."""
        return None

    @abstractmethod
    async def resume(self, record: RunRecord, value: Any) -> None:
        """Continue an interrupted run with ``value`` (the executor checked both)."""

    @abstractmethod
    async def recover(self, record: RunRecord, reason: str | None) -> None:
        """Continue a run left pending or running by a process that died."""

    @abstractmethod
    async def cancel(self, run_id: str) -> RunRecord | None:
        """Stop ``run_id`` if this backend executes it; None: the executor records it."""

    @abstractmethod
    async def wait(self, run_id: str, timeout: float | None) -> RunRecord:
        """The run once no longer pending or running."""

    @abstractmethod
    def events(self, run_id: str, *, after: int, follow: bool) -> AsyncIterator[EventRecord]:
        """Stored events after ``after``, then live ones, each once and in order."""

    @abstractmethod
    def executing(self, run_id: str) -> bool:
        """Whether this backend executes ``run_id`` now."""

    @abstractmethod
    def runs_in_progress(self) -> int:
        """Runs executing now (not those waiting on an interrupt)."""

    # --- optional: what only some backends do -----------------------------------------
    def observed(self, record: RunRecord) -> RunRecord:
        """The run as clients should see it (an answer on its way makes it running)."""
        return record

    def build(self, doc: WorkflowDocument) -> Graph | None:
        """A graph that stands in for one built elsewhere; None: build it here."""
        return None

    async def history(
        self, record: RunRecord, graph: Graph, values: bool
    ) -> list[dict[str, Any]] | None:
        """The run's checkpoints read where its graph lives; None: read them here."""
        return None

    async def state_keys(self, record: RunRecord, graph: Graph) -> list[str] | None:
        """The keys of the run's state, read where its graph lives; None: read them here."""
        return None

    async def test_node(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        node_id: str,
        state: Mapping[str, Any],
        *,
        workflow_id: str | None,
        test_id: str | None,
    ) -> NodeTest:
        """Run one node alone on ``state``, in this process; only its spans are stored."""
        from .. import tracing
        from .single_node import new_test_id, run_single_node

        test_id = test_id or new_test_id()
        tested = await run_single_node(
            document,
            node_id,
            state,
            services=self.executor.services,
            workflow_id=workflow_id,
            test_id=test_id,
        )
        tracer = tracing.current
        if tracer is not None:
            await self.executor.store_spans(tracer, test_id)
        return tested

    def probes(self) -> dict[str, Probe]:
        """Health checks of what this backend depends on (runners, a broker)."""
        return {}

    def compiler(self) -> Callable[[WorkflowDocument], Awaitable[None]] | None:
        """Compiles a large document elsewhere (DocumentError when it fails); None: here."""
        return None

    async def queue_depth(self) -> int:
        """Runs waiting for a process to take them (a broker's queue)."""
        return 0
