"""One runner process: ``python -m orcheo_jupyter.runners.runner FD SERVER_PID``.

It knows no HTTP. Over the socket inherited as ``FD`` it gets its configuration,
then run orders from the server (``run``: start or continue a stored run;
``resume``; ``cancel``; ``test``: run one node alone; ``history``: a run's
checkpoints, read with its graph; ``check``: compile a large document;
``shutdown``), executes
them with an ``Executor`` on the server's store and checkpoints, and reports back:

- ``events``: each batch of run events once it is committed (what followers see
  is exactly the stored stream, so a runner that dies can never have shown a
  follower an event its successor numbers differently); the start of a node whose
  code may block the loop is committed, and sent, before that code runs;
- ``settled``: a run stopped executing here (finished, failed, cancelled, interrupted);
- ``answer``: the reply to a question (``test``, ``history``) named by its ``call`` id;
- ``node`` / ``node_end``: a node attempt under a timeout started / ended, sent at
  once from the loop thread, so the server can end this process when the node
  never yields;
- ``spent``: this process holds work it gave up on, or ran out of memory: replace
  it once the named run has settled.

``SERVER_PID`` is the server that started it. Once that server has died, the runner
starts no other node (``Lifeline``, asked before each): it leaves, and the next
server resumes its runs from their checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import resource
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from ..runtime.redact import scrub_any
from ..store.announcing import AnnouncingRepository
from . import answers
from .wire import BlockingChannel

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ..store.base import Repository
    from ..store.records import RunBatch

log = logging.getLogger("orcheo_jupyter.runner")


def leave_orphaned() -> NoReturn:
    """End this runner at once, with the processes its nodes started: its server died.

    Its runs stay running in the store, as after any crash: the next server recovers
    them from their checkpoints (stopping them now would record them as cancelled).
    Processes its nodes started leave with it: the whole group is killed (this
    process leads it), as the pool does for a runner that ends while the server lives.
    """
    with contextlib.suppress(OSError):
        os.killpg(os.getpid(), signal.SIGKILL)
    os._exit(0)


#: prctl's option, from <linux/prctl.h>.
PR_SET_PDEATHSIG = 1
#: The parent-death signal: one nothing else sends a runner, whose default action
#: (terminate) is also right should node code reset its handler.
PARENT_DEATH_SIGNAL = signal.Signals.SIGUSR2


class Lifeline:
    """Whether the server that started this runner is still alive.

    Asked before every node attempt, so it must cost next to nothing and never be
    fooled. The runner is the server's own child (``pool._start_process``:
    ``subprocess.Popen`` from the server's event loop, no fork server, shell or other
    process in between), and the kernel re-parents it (to init or a sub-reaper) the
    moment the server has died: ``os.getppid()`` differing from the server's pid is
    one system call, needs neither /proc nor any other thread, and is POSIX.
    The alternatives are weaker: the end-of-file the orders thread reads is seen only
    once that thread is scheduled and holds the GIL (a starved runner's loop started
    the next node first, and the restarted server ran it again); peeking at the
    socket cannot tell while a message is waiting; ``os.kill(pid, 0)`` is fooled
    once the pid is reused.
    """

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def alive(self) -> bool:
        return os.getppid() == self.server_pid

    def arm(self) -> bool:
        """Also be told at once when the server dies (Linux): PR_SET_PDEATHSIG.

        A second line, for a node that runs long after its server died: the signal's
        handler runs on the main thread (the event loop, which runs the nodes) at its
        next bytecode, without waiting for the orders thread. Linux sends it when the
        *thread* that started this process exits, even if the server lives on (its
        runners are started from the server's event loop, normally its main thread,
        but a pool opened on another thread's loop would see that), so the handler
        leaves only when ``alive()`` says the server itself is gone; it kills the
        process group, which SIGKILL as the death signal would leave behind.
        False (and nothing armed) without prctl.
        """
        if not sys.platform.startswith("linux"):
            return False
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            signal.signal(PARENT_DEATH_SIGNAL, self._parent_died)
            if libc.prctl(PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0) != 0:
                return False
        except (OSError, AttributeError, ValueError):  # no libc or prctl: the check remains
            return False
        if not self.alive():  # died before the signal was asked for: it will never come
            leave_orphaned()
        return True

    def _parent_died(self, signum: int, frame: Any) -> None:
        if not self.alive():
            leave_orphaned()


class Guard:
    """The runtime's NodeGuard: tells the server, at once, from whatever thread."""

    def __init__(self, channel: BlockingChannel, lifeline: Lifeline) -> None:
        self._channel = channel
        self._lifeline = lifeline

    def starting(self, node: str) -> None:
        # A node of a dead server's run must not start: its side effects would happen
        # twice (here, and when the next server resumes the run from its checkpoint).
        if not self._lifeline.alive():
            leave_orphaned()

    def started(self, run_id: str, node: str, attempt: int, timeout: float) -> None:
        self._channel.send(
            {"t": "node", "run": run_id, "node": node, "attempt": attempt, "timeout": timeout}
        )

    def ended(self, run_id: str, node: str, attempt: int) -> None:
        self._channel.send({"t": "node_end", "run": run_id, "node": node, "attempt": attempt})

    def spent(self, run_id: str, reason: str) -> None:
        self._channel.send({"t": "spent", "run": run_id, "reason": reason})


class ReportingRepository(AnnouncingRepository):
    """The store, telling the server about each committed batch of events."""

    announces_at_once = True  # a socket send, safe from any thread

    def __init__(self, inner: Any, channel: BlockingChannel) -> None:
        super().__init__(inner)
        self._channel = channel

    def announce_now(self, batch: RunBatch) -> None:
        if batch.events:
            self._channel.send({"t": "events", "events": [e.as_dict() for e in batch.events]})

    async def announce(self, batch: RunBatch) -> None:
        self.announce_now(batch)


class Runner:
    def __init__(
        self, channel: BlockingChannel, config: dict[str, Any], lifeline: Lifeline
    ) -> None:
        self.channel = channel
        self.config = config
        self.lifeline = lifeline
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self.vault: Any = None
        self.orders: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        from ..ingest import AllowList, ScriptLimits, restricted_loader
        from ..runtime import guard, script_graph
        from ..runtime.executor import Executor
        from ..runtime.savers import open_stores
        from .config import describe_bytes, settings_of

        settings = settings_of(self.config["settings"])
        script = self.config.get("script") or {}
        limits = ScriptLimits(
            max_bytes=script.get("max_bytes", ScriptLimits.max_bytes),
            timeout=script.get("timeout", ScriptLimits.timeout),
            allow=AllowList(tuple(script["allow"])) if "allow" in script else AllowList(),
        )
        script_graph.set_script_loader(restricted_loader(limits))
        limit = int(self.config.get("memory_limit") or 0)
        memory = (
            f"runner memory limit {describe_bytes(limit)}, c.OrcheoApp.runner_memory_limit"
            if limit
            else ""
        )
        guard.install(Guard(self.channel, self.lifeline), memory=memory)
        store, saver = await open_stores(settings)
        self.executor = Executor(
            cast("Repository", ReportingRepository(store, self.channel)),
            saver,
            durability=settings.durability,
            owns_resources=True,
            max_value_bytes=settings.max_value_bytes,
            trace_store=settings.trace_store,
            # The server streams what this process commits: a node's start is committed
            # before its body, which may block the loop the group commit needs.
            commit_node_starts=True,
        )
        self.executor.services = self.executor.services.replace(data_dir=settings.data_dir)
        await self._open_vault(settings)

    async def _open_vault(self, settings: Any) -> None:
        from ..vault import Vault

        try:
            self.vault = await Vault.open(
                settings,
                key=self.config.get("vault_key") or None,
                key_file=self.config.get("vault_key_file") or None,
            )
            self.executor.services = self.executor.services.replace(secrets=self.vault)
        except Exception as exc:  # runs that need no credential still run
            log.error("orcheo runner: the credentials vault is unavailable: %s", exc)

    async def close(self) -> None:
        await self.executor.aclose()
        if self.vault is not None:
            await self.vault.close()

    # --- orders ---------------------------------------------------------------------
    def order(self, message: dict[str, Any] | None) -> None:
        """Called on the loop for each message (None: the server has gone)."""
        op = None if message is None else message.get("op")
        if op is None or op == "shutdown":
            self.stopping.set()
            return
        run_id = str(message.get("run")) if message else ""
        if op == "cancel":
            if self.executor.executing(run_id):
                cancelling = asyncio.create_task(self.executor.cancel(run_id))
                cancelling.add_done_callback(lambda t: t.cancelled() or t.exception())
            return
        if op == "test":
            task = asyncio.create_task(self._test(message or {}))
        elif op == "history":
            task = asyncio.create_task(self._history(message or {}))
        elif op == "state_keys":
            task = asyncio.create_task(self._state_keys(message or {}))
        elif op == "check":
            task = asyncio.create_task(self._check(message or {}))
        else:
            task = asyncio.create_task(self._execute(op, run_id, message or {}))
        self.orders.add(task)
        task.add_done_callback(self.orders.discard)

    async def _execute(self, op: str, run_id: str, message: dict[str, Any]) -> None:
        from .. import tracing
        from ..runtime.events import TERMINAL, RunStatus

        executor = self.executor
        # The order's trace context: this run's spans continue the server's trace.
        with tracing.continued(message.get("trace")):
            try:
                record = await executor.store.get_run(run_id)
                if op == "resume":
                    await executor.resume(run_id, message.get("value"))
                elif record.status in TERMINAL or record.status == RunStatus.INTERRUPTED:
                    self.channel.send({"t": "settled", "run": run_id, "status": str(record.status)})
                    return
                elif (
                    record.status == RunStatus.PENDING
                    and not record.last_seq
                    and not (await executor.store.list_events(run_id, limit=1))
                ):
                    await executor.start_stored(record)
                else:
                    await executor.recover(run_id, message.get("reason"))
                final = await executor.wait(run_id)
                self.channel.send({"t": "settled", "run": run_id, "status": str(final.status)})
            except Exception as exc:
                log.exception("orcheo runner: run %s could not %s", run_id, op)
                self.channel.send(
                    {
                        "t": "refused",
                        "run": run_id,
                        "op": op,
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                )

    async def _test(self, message: dict[str, Any]) -> None:
        """Run one node alone ("test node"): the reply carries its output or error."""
        from .. import tracing
        from ..runtime.single_node import NodeTestError
        from ..spec.io import document_from_data

        test_id = str(message.get("call"))
        reply: dict[str, Any]
        with tracing.continued(message.get("trace")):  # the server's request, if traced
            try:
                tested = await self.executor.test_node(
                    document_from_data(message["document"]),
                    str(message["node"]),
                    message.get("state") or {},
                    workflow_id=message.get("workflow_id"),
                    test_id=test_id,
                )
                reply = {"result": tested.as_dict()}
            except Exception as exc:
                reply = answers.failure(exc, NodeTestError, f"test {test_id} could not run")
        self.channel.send({"t": "answer", "call": test_id, **reply})

    async def _history(self, message: dict[str, Any]) -> None:
        """A run's checkpoints, read with its graph (the server never builds a script's)."""
        from ..runtime.serialize import jsonable

        async def read(run_id: str) -> Any:
            history = await self.executor.checkpoints(run_id, values=bool(message.get("values")))
            return jsonable(history)

        await self._about_run(message, read, "checkpoints")

    async def _state_keys(self, message: dict[str, Any]) -> None:
        """The keys of a run's state, read off its graph (what a fork of it may patch)."""
        from ..runtime.breakpoints import state_keys

        async def read(run_id: str) -> Any:
            record = await self.executor.store.get_run(run_id)
            return state_keys(await self.executor.graph_of(record))

        await self._about_run(message, read, "state")

    async def _about_run(
        self, message: dict[str, Any], read: Callable[[str], Awaitable[Any]], what: str
    ) -> None:
        """Answer the server's question about a stored run with ``read(run_id)``."""
        from ..store.base import NotFound

        run_id = str(message.get("run"))
        reply: dict[str, Any]
        try:
            reply = {"result": await read(run_id)}
        except Exception as exc:
            reply = answers.failure(exc, NotFound, f"{what} of {run_id} could not be read")
        self.channel.send({"t": "answer", "call": str(message.get("call")), **reply})

    async def _check(self, message: dict[str, Any]) -> None:
        """Validate, build and compile a document (the server's admission of a large one)."""
        from ..runtime.build import build_graph
        from ..spec.io import document_from_data
        from ..spec.problems import DocumentError

        def check() -> None:
            build_graph(document_from_data(message["document"])).compile()

        reply: dict[str, Any]
        try:
            await asyncio.to_thread(check)  # this runner's runs keep their loop meanwhile
            reply = {"result": True}
        except DocumentError as exc:
            reply = answers.failure(exc)
        except Exception as exc:  # the build's own words: "the graph cannot be built: ..."
            reply = {"error": str(exc) or type(exc).__name__}
        self.channel.send({"t": "answer", "call": str(message.get("call")), **reply})


def _drop_inherited(fd: int) -> None:
    """Point ``fd`` at /dev/null (in a forked child): the server's socket is let go, and
    the socket object the child still holds closes something harmless."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, fd)
        os.close(null)


class ScrubbedStream(io.TextIOBase):
    """The runner's stdout or stderr (the server's log), without the secrets its runs know.

    Node code may print or log a resolved credential; this process's output goes to
    the server's log, where a secret must never appear.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub_any(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


def _limit_memory(limit: int) -> None:
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _yield_cpu(increment: int) -> None:
    """Lower this runner's CPU priority (inherited by processes its nodes start).

    On a machine whose cores runs keep busy, the server's HTTP answers and kernel
    round trips would otherwise wait for time slices behind user code. Where Linux
    shares the CPU between sessions first (autogroup, the default of many
    distributions), a nice value counts only within the session, and this runner
    leads its own: the session is lowered too, else it takes as much CPU as the
    server's whole session.
    """
    if increment <= 0:
        return
    with contextlib.suppress(OSError):
        niceness = os.nice(increment)
        with open("/proc/self/autogroup", "w") as session:  # absent without autogroup
            session.write(str(niceness))


def _read_orders(channel: BlockingChannel, runner: Runner) -> None:
    while True:
        try:
            message = channel.recv()
        except (OSError, ValueError):
            message = None
        if message is None:  # the server died (a graceful stop says "shutdown" first)
            leave_orphaned()
        runner.loop.call_soon_threadsafe(runner.order, message)
        if message.get("op") == "shutdown":
            # Leave within a bound even if a node never yields (the next server
            # recovers what is left running).
            timer = threading.Timer(15.0, os._exit, args=(0,))
            timer.daemon = True
            timer.start()
            return


async def serve(channel: BlockingChannel, config: dict[str, Any], lifeline: Lifeline) -> None:
    runner = Runner(channel, config, lifeline)
    await runner.open()
    threading.Thread(
        target=_read_orders, args=(channel, runner), name="orcheo-orders", daemon=True
    ).start()
    channel.send({"t": "ready", "pid": os.getpid(), "owner": runner.executor.owner})
    await runner.stopping.wait()
    with contextlib.suppress(Exception):
        await runner.close()
    with contextlib.suppress(OSError):
        channel.send({"t": "bye"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sock = socket.socket(fileno=int(args[0]))
    # The server names itself: a runner whose server died before this line ran would
    # otherwise take init for its server.
    lifeline = Lifeline(int(args[1]) if len(args) > 1 else os.getppid())
    lifeline.arm()
    # A process a node forks must not hold the server's socket: the server learns that
    # this runner died when the socket closes, which would wait for that child.
    os.register_at_fork(after_in_child=lambda: _drop_inherited(sock.fileno()))
    channel = BlockingChannel(sock)
    # What every run needs, imported before the configuration is read: a runner started
    # ahead (``pool.prestart``) does this while the server is still starting.
    from ..runtime import executor  # noqa: F401  (LangGraph)

    config = channel.recv()
    if config is None:
        return 0
    sys.stdout = ScrubbedStream(sys.stdout)
    sys.stderr = ScrubbedStream(sys.stderr)
    logging.basicConfig(level=logging.WARNING, format="[orcheo runner %(process)d] %(message)s")
    _limit_memory(int(config.get("memory_limit") or 0))
    _yield_cpu(int(config.get("nice") or 0))
    try:
        asyncio.run(serve(channel, config, lifeline))
    except Exception as exc:
        with contextlib.suppress(OSError):
            channel.send({"t": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
