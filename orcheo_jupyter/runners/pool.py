"""The supervisor: starts runner processes, keeps the pool full, ends and replaces them.

It knows processes and messages, not runs: the pool executor decides what each
message means and which runner a run goes to. Runners start in the background, so
the server answers requests while they import LangGraph; runs submitted meanwhile
wait for the first runner that is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from .config import RunnerConfig
from .wire import pack, read_message

log = logging.getLogger(__name__)

#: Runners that exit before they are ready this many times in a row: the pool is broken.
MAX_FAILED_STARTS = 3


class RunnerProcess:
    """One runner: its process, its socket, and the runs the server handed it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid = 0
        self.owner = ""
        self.ready = False
        #: Why this runner must be replaced (it takes no new run); None while healthy.
        self.spent: str | None = None
        #: Runs it executes now (or was told to start).
        self.runs: set[str] = set()
        #: Why the server ended it, when it did; None if it died by itself.
        self.ended_because: str | None = None
        self.exited = asyncio.Event()
        #: Whether its replacement has been started.
        self.replaced = False
        #: The run whose end the replacement waits for, once spent.
        self.spent_run: str | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def available(self) -> bool:
        return self.ready and self.spent is None and not self.exited.is_set()

    def send(self, message: dict[str, Any]) -> bool:
        if self._writer is None or self._writer.is_closing() or self.exited.is_set():
            return False
        self._writer.write(pack(message))
        return True

    def kill(self, because: str) -> None:
        """End the process now (SIGKILL: a node that never yields ignores anything else)."""
        if self.ended_because is None:
            self.ended_because = because
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            # With what its nodes started: a forked child holds the runner's socket open,
            # and the pool, waiting for it to close, would never see the runner go.
            end_group(self.proc.pid)

    def describe_exit(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return "its connection closed"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"killed by {name}"
        return f"exit status {code}"


Handler = Callable[[RunnerProcess, dict[str, Any]], None]
ExitHandler = Callable[[RunnerProcess, str], None]
ChangeHandler = Callable[[], None]


class RunnerPool:
    def __init__(
        self,
        config: RunnerConfig,
        on_message: Handler,
        on_exit: ExitHandler,
        on_change: ChangeHandler,
    ) -> None:
        self.config = config
        self.runners: list[RunnerProcess] = []
        self._on_message = on_message
        self._on_exit = on_exit
        self._on_change = on_change
        self._numbers = 0
        self._failed_starts = 0
        #: Why no runner can start (after MAX_FAILED_STARTS attempts in a row), if so.
        self.broken: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self.started = False

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        """Start the runners in the background (the caller does not wait for them); once."""
        if self.started:
            return
        self.started = True
        for _ in range(self.config.count):
            self._spawn_soon(0.0)

    def _spawn_soon(self, delay: float) -> None:
        task = asyncio.get_running_loop().create_task(self._spawn(delay), name="orcheo-runner")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _spawn(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._closing:
            return
        self._numbers += 1
        runner = RunnerProcess(self._numbers)
        started = _take_prestarted()
        if started is None:
            try:
                started = _start_process()
            except OSError as exc:
                self._start_failed(f"could not start a runner process: {exc}")
                return
        runner.proc, parent = started
        runner.pid = runner.proc.pid
        self.runners.append(runner)
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        runner._writer = writer
        runner.send(self.config.message())
        await self._listen(runner, reader)

    async def _listen(self, runner: RunnerProcess, reader: asyncio.StreamReader) -> None:
        failure = ""
        try:
            while True:
                try:
                    message = await read_message(reader)
                except ValueError as exc:
                    log.error("orcheo: runner %d sent a bad message: %s", runner.pid, exc)
                    runner.kill(f"it sent a bad message: {exc}")
                    message = None
                if message is None:
                    break
                kind = message.get("t")
                if kind == "ready":
                    runner.ready = True
                    runner.owner = str(message.get("owner") or "")
                    self._failed_starts = 0
                    self.broken = None
                    self._notify()
                elif kind == "failed":
                    failure = str(message.get("error") or "")
                elif kind != "bye":
                    try:
                        self._on_message(runner, message)
                    except Exception:
                        log.exception("orcheo: handling a message of runner %d", runner.pid)
        finally:
            await self._reap(runner, failure)

    async def _reap(self, runner: RunnerProcess, failure: str) -> None:
        proc = runner.proc
        if proc is not None:
            try:
                await asyncio.to_thread(proc.wait, 2.0)
            except subprocess.TimeoutExpired:  # it closed the socket but lingers: end it
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(proc.wait, 30)
            end_group(proc.pid)
        if runner._writer is not None:
            runner._writer.close()
        runner.exited.set()
        with contextlib.suppress(ValueError):
            self.runners.remove(runner)
        cause = runner.ended_because or runner.describe_exit()
        if not runner.ready and not self._closing:
            self._start_failed(f"a runner process exited before it was ready ({failure or cause})")
        else:
            if not self._closing and runner.ended_because is None:
                log.warning("orcheo: runner process %d died (%s); replacing it", runner.pid, cause)
            self._replace(runner)
        self._notify()
        try:
            self._on_exit(runner, cause)
        except Exception:
            log.exception("orcheo: re-homing the runs of runner %d", runner.pid)

    def _start_failed(self, reason: str) -> None:
        self._failed_starts += 1
        log.error("orcheo: %s", reason)
        if self._failed_starts >= MAX_FAILED_STARTS:
            self.broken = reason
            self._notify()
        if not self._closing:
            self._spawn_soon(min(0.5 * 2**self._failed_starts, 30.0))

    def _replace(self, runner: RunnerProcess) -> None:
        if self._closing or runner.replaced:
            return
        runner.replaced = True
        self._spawn_soon(0.0)

    def retire(self, runner: RunnerProcess, reason: str) -> None:
        """Take no new runs on ``runner`` and start its replacement now."""
        if runner.spent is None:
            runner.spent = reason
            self._replace(runner)

    def _notify(self) -> None:
        self._on_change()

    # --- choosing -------------------------------------------------------------------
    def least_busy(self) -> RunnerProcess | None:
        ready = [r for r in self.runners if r.available]
        return min(ready, key=lambda r: len(r.runs)) if ready else None

    async def close(self, timeout: float = 20.0) -> None:
        """Ask every runner to stop its runs and exit; end those that do not in time."""
        self._closing = True
        for runner in list(self.runners):
            if runner.ready or runner.runs:  # it flushes what its runs wrote, then exits
                runner.send({"op": "shutdown"})
            else:  # still starting (importing LangGraph: seconds), it holds nothing yet
                runner.kill("the server stopped")
        waits = [r.exited.wait() for r in list(self.runners)]
        if waits:
            done = asyncio.gather(*waits)
            try:
                await asyncio.wait_for(done, timeout)
            except TimeoutError:
                for runner in list(self.runners):
                    runner.kill("the server stopped")
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


#: Runner processes started before the pool (``prestart``), each with the server's end
#: of its socket; the pool's first spawns take them.
_prestarted: list[tuple[subprocess.Popen[bytes], socket.socket]] = []


def prestart(count: int) -> None:
    """Start ``count`` runner processes now, for a pool that opens later.

    A runner imports LangGraph before it reads its configuration, so one started
    while the server still imports the runtime (the pool can only open after) is
    ready seconds sooner, and the first run does not wait for those imports.
    """
    for _ in range(count - len(_prestarted)):
        try:
            _prestarted.append(_start_process())
        except OSError as exc:  # the pool tries again, and reports it
            log.warning("orcheo: could not start a runner process ahead: %s", exc)
            return


def discard_prestarted() -> None:
    """End runner processes started ahead that no pool took (the runtime never opened).

    They hold nothing yet, and may still be importing LangGraph for seconds before they
    would read the end of their socket: killed at once."""
    while _prestarted:
        proc, parent = _prestarted.pop()
        parent.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _take_prestarted() -> tuple[subprocess.Popen[bytes], socket.socket] | None:
    while _prestarted:
        proc, parent = _prestarted.pop(0)
        if proc.poll() is None:
            return proc, parent
        parent.close()  # it died waiting: start another
    return None


def end_group(pid: int) -> None:
    """Kill what is left of the process group a runner led (``start_new_session``).

    A node may start processes and return without waiting for them; they share its
    runner's group, and without this they outlive the runner (adopted by init).
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _start_process() -> tuple[subprocess.Popen[bytes], socket.socket]:
    """A runner process and the server's end of its socket (OSError if it cannot start)."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = dict(os.environ)
    # Few malloc arenas: each reserves 64 MiB of address space, which the memory
    # limit (RLIMIT_AS) counts although nothing is used.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    try:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orcheo_jupyter.runners.runner",
                str(child.fileno()),
                str(os.getpid()),  # its parent: it stops once that is no longer so
            ],
            pass_fds=(child.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C in a terminal reaches the server, not them
        )
    except OSError:
        parent.close()
        raise
    finally:
        child.close()
    return proc, parent
