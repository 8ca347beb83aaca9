"""The runner-pool backend of ``Executor``: the server admits and stores runs, runners execute.

Everything a run must pass (``Executor.admit``), the run row, and everything read
from the store (status, transitions, checkpoints, re-runs) is the executor's, as
for every backend; this backend decides where a stored run executes (``start``,
``recover``, ``resume``) and how the server learns about it: committed events
and "settled" notes arrive over each runner's socket, and followers get them from
memory. The server also enforces what a runner cannot: a node past its timeout by
``STOP_GRACE_SECONDS``, or a cancelled run whose node never yields, ends its
runner process; the runs it hosted continue from their checkpoints on another.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.graph.state import CompiledStateGraph

from .. import tracing
from ..runtime.admission import is_large
from ..runtime.backend import Probe, RunBackend
from ..runtime.build import as_document
from ..runtime.events import TERMINAL, RunStatus, running_node
from ..runtime.outcomes import RunStateError
from ..runtime.serialize import jsonable
from ..runtime.single_node import (
    NodeTest,
    NodeTestError,
    check_testable,
    new_test_id,
    run_single_node,
)
from ..runtime.streams import Cursor
from ..runtime.waiting import TIMED_OUT, within
from ..spec.io import to_data
from ..spec.models import ScriptGraph, WorkflowDocument
from ..spec.problems import DocumentError, Problem
from ..store.base import NotFound
from ..store.records import EventRecord, RunRecord
from . import answers
from .config import STOP_GRACE_SECONDS, RunnerConfig
from .pool import RunnerPool, RunnerProcess
from .stand_in import is_stand_in, stand_in

log = logging.getLogger(__name__)


def _test_fields(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "node_id": str(result["node"]),
        "output": result.get("output"),
        "error": result.get("error"),
        "duration_ms": float(result.get("duration_ms") or 0.0),
        "pinned": bool(result.get("pinned")),
        "test_id": result.get("test_id"),
        "trace_id": result.get("trace_id"),
    }


#: A run whose runner dies this many times is failed rather than recovered again.
MAX_RUNNER_DEATHS = 3
_UNSETTLED = (RunStatus.PENDING, RunStatus.RUNNING)


@dataclass
class _Stop:
    """How a run ends when the server ends its runner on purpose."""

    status: RunStatus
    message: str
    node: str | None = None


@dataclass
class _Call:
    """A question a runner answers (a node test, a script run's checkpoints)."""

    runner: RunnerProcess
    #: What the answer is for, as errors say it ("node 'x' could not be tested").
    failure: str
    reply: asyncio.Future[dict[str, Any]]
    #: Why the server ended its runner, when it did (a node past its timeout).
    stop: str | None = None


#: How long an answer waits for the runner to settle a run it announced interrupted.
SETTLING_SECONDS = 10.0


@dataclass
class _Hosted:
    """A run the pool executes: waiting for a runner, or on one."""

    order: dict[str, Any]
    runner: RunnerProcess | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    stop: _Stop | None = None
    deaths: int = 0
    #: The runner streamed an ``interrupted`` event: it is about to settle the run, and
    #: a client that saw the event may already be answering it.
    interrupted: bool = False


class PoolBackend(RunBackend):
    name = "runners"
    runs_here = False

    def __init__(self, runners: RunnerConfig) -> None:
        self.pool = RunnerPool(runners, self._message, self._exited, self._kick)
        self._hosted: dict[str, _Hosted] = {}
        self._calls: dict[str, _Call] = {}
        self._queue: deque[str] = deque()
        self._followers: dict[str, set[asyncio.Queue[EventRecord | None]]] = {}
        self._deadlines: dict[tuple[str, str, int], asyncio.TimerHandle] = {}
        self._wake = asyncio.Event()
        self._assigner: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[Any]] = set()

    async def open(self) -> None:
        if not self.pool.config.on_demand:
            self.pool.start()
        self._assigner = asyncio.create_task(self._assign(), name="orcheo-assign")

    async def stop(self) -> None:
        """Runners stop their runs (stored as cancelled, as in-process runs are) and exit."""
        if self._assigner is not None:
            self._assigner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._assigner
        await self.pool.close()
        for task in list(self._chores):
            with contextlib.suppress(Exception):
                await task
        for timer in self._deadlines.values():
            timer.cancel()

    def _chore(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    # --- handing runs to runners ----------------------------------------------------
    async def start(self, record: RunRecord, graph: Any = None) -> None:
        self._host(record.id, {"op": "run", "run": record.id})

    def _host(self, run_id: str, order: dict[str, Any], deaths: int = 0) -> None:
        if "trace" not in order:
            trace = tracing.carrier()  # the runner's spans continue this trace
            if trace:
                order = {**order, "trace": trace}
        self._hosted[run_id] = _Hosted(order, deaths=deaths)
        self._queue.append(run_id)
        self.pool.start()  # started already, unless the runners start on demand
        self._kick()

    def _kick(self) -> None:
        self._wake.set()

    async def _assign(self) -> None:
        """Hand queued runs to the least busy ready runner, in order."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                run_id = self._queue[0]
                hosted = self._hosted.get(run_id)
                if hosted is None or hosted.runner is not None:
                    self._queue.popleft()  # cancelled while it waited
                    continue
                runner = self.pool.least_busy()
                if runner is None:
                    if self.pool.broken:
                        self._queue.popleft()
                        message = f"no runner process could start: {self.pool.broken}"
                        self._chore(self._fail_unstarted(run_id, message))
                        continue
                    break
                self._queue.popleft()
                hosted.runner = runner
                runner.runs.add(run_id)
                runner.send(hosted.order)

    async def _fail_unstarted(self, run_id: str, message: str) -> None:
        record = await self.executor.store.get_run(run_id)
        if record.status not in TERMINAL:
            await self.executor.record_failed(record, message)
        self._settle(run_id)

    def _settle(self, run_id: str, runner: RunnerProcess | None = None) -> None:
        hosted = self._hosted.get(run_id)
        if hosted is None or (runner is not None and hosted.runner is not runner):
            return
        del self._hosted[run_id]
        if hosted.runner is not None:
            hosted.runner.runs.discard(run_id)
        hosted.settled.set()
        for queue in self._followers.get(run_id, ()):
            queue.put_nowait(None)  # re-read the store: the end may have been written here

    # --- what runners say -----------------------------------------------------------
    def _message(self, runner: RunnerProcess, message: dict[str, Any]) -> None:
        kind = message.get("t")
        run_id = str(message.get("run", ""))
        if kind == "events":
            for data in message.get("events", ()):
                event = EventRecord(**data)
                if event.type == "interrupted":
                    hosted = self._hosted.get(event.run_id)
                    if hosted is not None:
                        hosted.interrupted = True
                for sink in self.executor.event_sinks:
                    sink(event)
                for queue in self._followers.get(event.run_id, ()):
                    queue.put_nowait(event)
        elif kind == "settled":
            self._settle(run_id, runner)
            if runner.spent is not None and runner.spent_run == run_id:
                runner.kill(runner.spent)
        elif kind == "answer":
            self._answered(runner, str(message.get("call", "")), message)
        elif kind == "node":
            key = (run_id, str(message["node"]), int(message["attempt"]))
            timeout = float(message["timeout"])
            self._deadlines[key] = asyncio.get_running_loop().call_later(
                timeout + STOP_GRACE_SECONDS, self._overdue, runner, key, timeout
            )
        elif kind == "node_end":
            timer = self._deadlines.pop(
                (run_id, str(message["node"]), int(message["attempt"])), None
            )
            if timer is not None:
                timer.cancel()
        elif kind == "spent":
            self._spent(runner, run_id, str(message.get("reason") or "it was spent"))
        elif kind == "refused":
            self._chore(self._refused(runner, run_id, message))

    def _answered(self, runner: RunnerProcess, call_id: str, message: dict[str, Any]) -> None:
        runner.runs.discard(call_id)
        call = self._calls.get(call_id)
        if call is not None and call.runner is runner and not call.reply.done():
            call.reply.set_result(message)
        if runner.spent is not None and runner.spent_run == call_id:
            runner.kill(runner.spent)  # its node's thread still runs: replace it now
        self._kick()

    def _spent(self, runner: RunnerProcess, run_id: str, reason: str) -> None:
        """Replace ``runner`` once ``run_id`` has settled there (or after the grace period)."""
        if runner.spent is not None:
            return
        runner.spent_run = run_id
        self.pool.retire(runner, reason)
        if run_id not in runner.runs:
            runner.kill(reason)
            return
        asyncio.get_running_loop().call_later(STOP_GRACE_SECONDS, runner.kill, reason)

    def _overdue(self, runner: RunnerProcess, key: tuple[str, str, int], timeout: float) -> None:
        """A node is past its timeout and never yielded: its runner is ended."""
        self._deadlines.pop(key, None)
        run_id, node, _ = key
        message = (
            f"node {node!r} failed: timed out after {timeout:g}s (its timeout); it never "
            "yielded, so its runner process was ended"
        )
        call = self._calls.get(run_id)
        if call is not None and call.runner is runner and not runner.exited.is_set():
            call.stop = message
            runner.kill(f"node {node!r} tested as {run_id} ran past its {timeout:g}s timeout")
            return
        hosted = self._hosted.get(run_id)
        if runner.exited.is_set() or hosted is None or hosted.runner is not runner:
            return
        hosted.stop = _Stop(RunStatus.FAILED, message, node)
        runner.kill(f"node {node!r} of run {run_id} ran past its {timeout:g}s timeout")

    async def _refused(self, runner: RunnerProcess, run_id: str, message: dict[str, Any]) -> None:
        hosted = self._hosted.get(run_id)
        if hosted is None or hosted.runner is not runner:
            return
        record = await self.executor.store.get_run(run_id)
        if message.get("op") == "run" and record.status in _UNSETTLED:
            await self.executor.record_failed(
                record, f"the run could not start: {message.get('error')}"
            )
        self._settle(run_id, runner)

    def _exited(self, runner: RunnerProcess, cause: str) -> None:
        """A runner is gone: end the runs it was stopped for, recover the others elsewhere."""
        for key in [k for k, t in self._deadlines.items() if k[0] in runner.runs]:
            self._deadlines.pop(key).cancel()
        for call_id, call in list(self._calls.items()):
            if call.runner is runner and not call.reply.done():
                runner.runs.discard(call_id)
                how = (
                    f"was ended: {runner.ended_because}"
                    if runner.ended_because
                    else f"died: {cause}"
                )
                error = call.stop or f"{call.failure}: its runner process (pid {runner.pid}) {how}"
                call.reply.set_result({"stopped": error})
        for run_id in list(runner.runs):
            hosted = self._hosted.get(run_id)
            if hosted is not None and hosted.runner is runner:
                hosted.runner = None
                self._chore(self._rehome(run_id, hosted, runner, cause))
        runner.runs.clear()

    async def _rehome(
        self, run_id: str, hosted: _Hosted, runner: RunnerProcess, cause: str
    ) -> None:
        record = await self.executor.store.get_run(run_id)
        stop = hosted.stop
        if stop is not None:
            if record.status not in TERMINAL:
                if stop.status == RunStatus.CANCELLED:
                    await self.executor.record_cancelled(record)
                else:
                    await self.executor.record_failed(record, stop.message, stop.node)
            self._settle(run_id)
            return
        resuming = hosted.order.get("op") == "resume"
        if record.status in TERMINAL or (record.status == RunStatus.INTERRUPTED and not resuming):
            self._settle(run_id)
            return
        deaths = hosted.deaths + 1
        if deaths >= MAX_RUNNER_DEATHS:
            message = f"its runner process died {deaths} times while running it (last: {cause})"
            node = await self._node_at_death(run_id)
            if node is not None:  # the node whose code kills its process (os._exit, a crash)
                message = f"node {node!r} failed: {message}"
            await self.executor.record_failed(record, message, node)
            self._settle(run_id)
            return
        why = (
            f"its runner process (pid {runner.pid}) was ended: {runner.ended_because}"
            if runner.ended_because
            else f"its runner process (pid {runner.pid}) died: {cause}"
        )
        log.warning("orcheo: run %s continues on another runner: %s", run_id, why)
        order = hosted.order if resuming and record.status == RunStatus.INTERRUPTED else None
        self._hosted.pop(run_id, None)
        if order is None:
            order = {"op": "run", "run": run_id, "reason": why}
            if "trace" in hosted.order:  # the recovered run stays in its trace
                order["trace"] = hosted.order["trace"]
        self._host(run_id, order, deaths)
        # Whoever waited on the old entry waits on the new one.
        hosted.settled.set()

    async def _node_at_death(self, run_id: str) -> str | None:
        """The node that had started and not ended when the run's runner last died, as far
        as the stored events tell (a start not yet committed when the process died is not
        known: the failure then names no node; a runner commits the start of user code
        before running it)."""
        try:
            events = await self.executor.store.list_events(run_id)
        except Exception:  # the message is the better for it, never worth more
            return None
        return running_node(events)

    # --- what the executor delegates ----------------------------------------------------
    def probes(self) -> dict[str, Probe]:
        return {"runners": self.ping_runners}

    def compiler(self) -> Callable[[WorkflowDocument], Awaitable[None]]:
        return self.check_document

    async def ping_runners(self) -> None:
        """The health check: at least one runner is ready to take runs."""
        if self.pool.broken:
            raise RuntimeError(f"no runner process can start: {self.pool.broken}")
        if not self.pool.started:
            return  # they start on demand: none was needed yet
        if self.pool.least_busy() is None:
            starting = len(self.pool.runners)
            raise RuntimeError(f"no runner process is ready yet ({starting} starting)")

    def executing(self, run_id: str) -> bool:
        return run_id in self._hosted

    def runs_in_progress(self) -> int:
        return sum(1 for hosted in self._hosted.values() if hosted.runner is not None)

    def observed(self, record: RunRecord) -> RunRecord:
        """The stored run; one whose answer is on its way to a runner is running already."""
        run_id = record.id
        hosted = self._hosted.get(run_id)
        if (
            hosted is not None
            and hosted.order.get("op") == "resume"
            and record.status == RunStatus.INTERRUPTED
        ):
            return dataclasses.replace(record, status=RunStatus.RUNNING, interrupt=None)
        return record

    async def recover(self, record: RunRecord, reason: str | None) -> None:
        run_id = record.id
        if run_id in self._hosted:
            raise RunStateError(f"run {run_id} is already running in this server's runners")
        self._host(run_id, {"op": "run", "run": run_id, "reason": reason})

    async def settling(self, run_id: str) -> None:
        hosted = self._hosted.get(run_id)
        if hosted is not None and hosted.interrupted:
            # The answer can outrun the runner's "settled" (the client saw the
            # ``interrupted`` event first): let that land, then check the stored status.
            await within(hosted.settled.wait(), SETTLING_SECONDS)

    async def resume(self, record: RunRecord, value: Any) -> None:
        run_id = record.id
        if run_id in self._hosted:
            raise RunStateError(f"run {run_id} is already being resumed, not interrupted")
        self._host(run_id, {"op": "resume", "run": run_id, "value": jsonable(value)})

    async def cancel(self, run_id: str) -> RunRecord | None:
        hosted = self._hosted.get(run_id)
        if hosted is None:
            return None  # interrupted, or pending and not ours: the executor records it
        runner = hosted.runner
        if runner is None:  # still waiting for a runner
            record = await self.executor.store.get_run(run_id)
            if record.status in TERMINAL:
                raise RunStateError(f"run {run_id} already {record.status}")
            del self._hosted[run_id]
            record = await self.executor.record_cancelled(record)
            hosted.settled.set()
            for queue in self._followers.get(run_id, ()):
                queue.put_nowait(None)
            return record
        runner.send({"op": "cancel", "run": run_id})
        stopped = await within(hosted.settled.wait(), STOP_GRACE_SECONDS)
        if stopped is TIMED_OUT and self._hosted.get(run_id) is hosted and hosted.runner is runner:
            hosted.stop = _Stop(RunStatus.CANCELLED, "cancelled")
            runner.kill(f"run {run_id} was cancelled while a node of it never yielded")
        return await self.executor.wait(run_id)

    async def test_node(
        self,
        document: WorkflowDocument | Mapping[str, Any],
        node_id: str,
        state: Mapping[str, Any],
        *,
        workflow_id: str | None,
        test_id: str | None,
    ) -> NodeTest:
        """Run one node alone in a runner: a node that blocks or spins stalls only that runner.

        A node past its timeout that never yields ends its runner, as in a run; the
        test then answers with the timeout, and nothing is stored either way.
        """
        doc = as_document(document)
        try:
            check_testable(doc, node_id)
        except NodeTestError:
            # The same refusal as in-process, without waiting for a runner.
            return await run_single_node(doc, node_id, state, workflow_id=workflow_id)
        started = time.perf_counter()
        reply = await self._ask(
            {
                "op": "test",
                "document": to_data(doc),
                "node": node_id,
                "state": jsonable(dict(state)),
                "workflow_id": workflow_id,
                "trace": tracing.carrier(),  # the test's spans continue the caller's trace
            },
            f"node {node_id!r} could not be tested",
            call_id=test_id or new_test_id(),
        )
        if "result" in reply:
            return NodeTest(**_test_fields(reply["result"]))
        answers.raise_refusal(reply, NodeTestError)
        if "stopped" in reply:
            elapsed = (time.perf_counter() - started) * 1000
            return NodeTest(node_id, None, str(reply["stopped"]), elapsed, False)
        raise RuntimeError(f"node {node_id!r} could not be tested: {reply.get('error')}")

    # --- script and large graphs are built and read in runners only -------------------
    def build(self, doc: WorkflowDocument) -> CompiledStateGraph[Any, Any, Any, Any] | None:
        """A script's graph is never built here: building it executes the script.

        Imported scripts run where runs run. The server admitted the script when it
        was stored (the import child built it); here it gets a stand-in that no run
        executes, and reading a script run's checkpoints asks a runner. A large
        document was compiled in a runner when it was stored, and gets one too.
        """
        if isinstance(doc.graph, ScriptGraph) or is_large(doc):
            # A large document was compiled when it was stored (in a runner); compiling
            # it again here would hold the server's GIL for seconds.
            return stand_in()
        return None

    async def check_document(self, doc: WorkflowDocument) -> None:
        """Build and compile ``doc`` in a runner: DocumentError naming what fails."""
        reply = await self._ask(
            {"op": "check", "document": to_data(doc)}, "the document could not be checked"
        )
        answers.raise_refusal(reply)
        if "result" not in reply:
            message = f"the graph cannot be built: {reply.get('error') or reply.get('stopped')}"
            raise DocumentError([Problem("error", "graph_build", message)])

    async def history(
        self, record: RunRecord, graph: CompiledStateGraph[Any, Any, Any, Any], values: bool
    ) -> list[dict[str, Any]] | None:
        """A script's run: its graph lives in runners, and so does reading its states."""
        if not is_stand_in(graph):
            return None
        order = {"op": "history", "run": record.id, "values": values}
        return await self._ask_list(order, f"the checkpoints of run {record.id} could not be read")

    async def state_keys(
        self, record: RunRecord, graph: CompiledStateGraph[Any, Any, Any, Any]
    ) -> list[str] | None:
        """A script's run: only its graph knows the keys the script declared."""
        if not is_stand_in(graph):
            return None
        order = {"op": "state_keys", "run": record.id}
        return await self._ask_list(order, f"the state of run {record.id} could not be read")

    async def _ask_list(self, order: dict[str, Any], failure: str) -> list[Any]:
        """A runner's list answer about a stored run (NotFound when it has gone)."""
        reply = await self._ask(order, failure)
        if "result" in reply:
            return list(reply["result"])
        answers.raise_refusal(reply, NotFound)
        raise RuntimeError(str(reply.get("stopped") or reply.get("error")))

    async def _ask(
        self, order: dict[str, Any], failure: str, call_id: str | None = None
    ) -> dict[str, Any]:
        """Send ``order`` to a ready runner; its answer, or ``{"stopped": why}`` if it died."""
        call_id = call_id or f"call-{uuid.uuid4().hex[:12]}"
        runner = await self._ready_runner()
        call = _Call(runner, failure, asyncio.get_running_loop().create_future())
        self._calls[call_id] = call
        runner.runs.add(call_id)
        try:
            if not runner.send({**order, "call": call_id}):
                raise RuntimeError(f"{failure}: the runner process chosen has gone; try again")
            return await call.reply
        finally:
            self._calls.pop(call_id, None)
            runner.runs.discard(call_id)

    async def _ready_runner(self, timeout: float = 60.0) -> RunnerProcess:
        """The least busy ready runner, once one is (runners start in the background)."""
        self.pool.start()  # started already, unless the runners start on demand
        deadline = time.monotonic() + timeout
        while True:
            runner = self.pool.least_busy()
            if runner is not None:
                return runner
            if self.pool.broken:
                raise RuntimeError(f"no runner process could start: {self.pool.broken}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no runner process was ready within {timeout:g}s")
            await asyncio.sleep(0.05)

    async def wait(self, run_id: str, timeout: float | None) -> RunRecord:
        async def settle() -> RunRecord:
            while True:
                hosted = self._hosted.get(run_id)
                if hosted is not None:
                    await hosted.settled.wait()
                    continue
                record = await self.executor.get_run(run_id)
                if record.status not in _UNSETTLED:
                    return record
                if run_id not in self._hosted:
                    await asyncio.sleep(0.05)  # driven by another process (a kernel)

        return await asyncio.wait_for(settle(), timeout)

    async def events(self, run_id: str, *, after: int, follow: bool) -> AsyncIterator[EventRecord]:
        """Stored events after ``after``, then each batch a runner commits, as it arrives.

        A follower registers before it reads the store, skips what it has seen and
        re-reads the store on any gap, so each event is yielded once and in order,
        across runner deaths too.
        """
        cursor = Cursor(after)
        store = self.executor.store
        await store.get_run(run_id)  # NotFound before anything is yielded
        queue: asyncio.Queue[EventRecord | None] = asyncio.Queue()
        followers = self._followers.setdefault(run_id, set())
        followers.add(queue)
        try:
            while True:
                for event in cursor.fresh(await store.list_events(run_id, after=cursor.last)):
                    yield event
                if cursor.ended or not follow:
                    return
                if run_id not in self._hosted and cursor.caught_up(await store.get_run(run_id)):
                    return
                while True:
                    hosted = run_id in self._hosted
                    got = await within(queue.get(), 0.5 if hosted else 0.25)
                    if got is TIMED_OUT:
                        if hosted and run_id in self._hosted:
                            continue  # its runner streams whatever it commits
                        break  # driven elsewhere, or waiting on an interrupt: read the store
                    if got is None or got.seq > cursor.last + 1:
                        break  # settled here, or a gap: the store has the rest
                    if cursor.take(got):
                        yield got
                        if cursor.ended:
                            return
        finally:
            followers.discard(queue)
            if not followers:
                self._followers.pop(run_id, None)
