"""Run a script's graph building in a child process under a wall-clock limit.

Why a process and not a thread: ``PyThreadState_SetAsyncExc`` and trace
functions only fire between bytecodes, so they cannot stop ``time.sleep(1e9)``,
``math.factorial(10**8)`` or a catastrophic regex, and a "stopped" thread keeps
running, holding the GIL and whatever locks it took inside the server. A child
process is killed outright at the deadline, whatever it is doing, and takes any
memory it grabbed with it. What crosses back is plain JSON (the graph's index or
the problems), which is all an import needs.

Children are forked from a small fork server (``worker.py``): a fresh
interpreter, started once, that has LangGraph imported. Each job gets its own
child (nothing one script does leaks into the next) in milliseconds instead of
the ~1 s a new interpreter needs, and nothing ever forks the multi-threaded
Jupyter server itself.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import marshal
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..spec.problems import DocumentError, Problem
from .compiler import CompiledScript
from .policy import AllowList

log = logging.getLogger(__name__)

#: How long the fork server may take to start (import LangGraph).
STARTUP_TIMEOUT = 60.0
#: Most bytes a child may answer with (an index is small; this bounds a runaway).
MAX_REPLY_BYTES = 16 * 1024 * 1024


class _ForkServer:
    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        # Kept for the log if the process fails to start (e.g. an import error).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orcheo_jupyter.ingest.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        theirs.close()
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        readable, _, _ = select.select([self.control], [], [], STARTUP_TIMEOUT)
        if not readable or self.control.recv(16) != b"ready":
            self._stderr.seek(0)
            log.error(
                "orcheo: the script fork server did not start:\n%s",
                self._stderr.read(4000).decode("utf-8", "replace"),
            )
            raise OSError("the script worker process did not start")
        self.ready = True

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        self._stderr.close()
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)


_lock = threading.Lock()
_server: _ForkServer | None = None


def _fork_server() -> _ForkServer:
    global _server
    if _server is None or not _server.alive():
        if _server is not None:
            _server.close()
        _server = _ForkServer()
    return _server


def warm() -> None:
    """Start the fork server now, so the first import does not wait for it."""
    with _lock:
        _fork_server()


def shutdown() -> None:
    """Stop the fork server (server shutdown); children it started die with their jobs."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.close()


def _start_child() -> socket.socket:
    """A connected socket to a freshly forked child."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _lock:
            for attempt in (1, 2):
                server = _fork_server()
                try:
                    server.wait_ready()
                    socket.send_fds(server.control, [b"job"], [theirs.fileno()])
                    return ours
                except OSError as exc:
                    server.close()  # it died: start another once
                    if attempt == 2:
                        raise _problem("sandbox", f"cannot run the script: {exc}") from None
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    raise AssertionError("unreachable")


def _read(conn: socket.socket, deadline: float, until_newline: bool) -> bytes | None:
    """Bytes until EOF (or a newline); None when the deadline passes first."""
    chunks = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        readable, _, _ = select.select([conn], [], [], left)
        if not readable:
            return None
        chunk = conn.recv(65536)
        if not chunk:
            return bytes(chunks)
        chunks += chunk
        if len(chunks) > MAX_REPLY_BYTES or (until_newline and b"\n" in chunks):
            return bytes(chunks)


def _kill(pid: int, grace: float = 10.0) -> None:
    """SIGKILL a child and wait until it has exited, so "stopped" in the reply is true.

    A kill is asynchronous: a child freeing gigabytes takes a while to die. A pidfd
    becomes readable when the process exits, and works for the fork server's
    children, which are not ours to ``waitpid``.
    """
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        fd = None
    try:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if fd is not None:
            select.select([fd], [], [], grace)
    finally:
        if fd is not None:
            os.close(fd)


def _problem(code: str, message: str) -> DocumentError:
    return DocumentError([Problem("error", code, message, field="graph.source")])


@dataclass(frozen=True)
class BuiltScript:
    """What building a script's graph found: its index, and its frozen-ir if static."""

    index: dict[str, Any]
    frozen: dict[str, Any] | None = None
    why_script: str = ""


def build_index(
    compiled: CompiledScript,
    entrypoint: str | None,
    *,
    allow: AllowList,
    timeout: float,
) -> dict[str, Any]:
    """The index of the graph the code builds; DocumentError on failure or timeout."""
    return build_script(compiled, entrypoint, allow=allow, timeout=timeout).index


def build_script(
    compiled: CompiledScript,
    entrypoint: str | None,
    *,
    allow: AllowList,
    timeout: float,
) -> BuiltScript:
    """Build the script's graph in a child; DocumentError on failure or timeout.

    Blocking: call it from a worker thread when on an event loop.
    """
    conn = _start_child()
    pid: int | None = None
    try:
        head = _read(conn, time.monotonic() + STARTUP_TIMEOUT, True) or b""
        first, _, rest = head.partition(b"\n")
        if not first.isdigit():
            raise _problem("sandbox", "the script worker process did not answer")
        pid = int(first)
        job = {
            "code": base64.b64encode(marshal.dumps(compiled.code)).decode("ascii"),
            "key": compiled.key,
            "entrypoint": entrypoint,
            "allow": list(allow.modules),
            "timeout": timeout,
        }
        conn.sendall(json.dumps(job).encode("utf-8"))
        conn.shutdown(socket.SHUT_WR)
        started = time.monotonic()
        tail = _read(conn, started + timeout, False)
        if tail is None:
            raise _problem(
                "timeout",
                f"building the graph took longer than {timeout:g} s and was stopped; "
                "does the script loop forever?",
            )
        pid = None  # it answered (or died): nothing left to stop
        reply = rest + tail
    finally:
        conn.close()
        if pid is not None:
            _kill(pid)
    try:
        status, payload, *extra = json.loads(reply)
    except (ValueError, TypeError):
        raise _problem(
            "crashed",
            f"building the graph ended the process after {time.monotonic() - started:.1f} s "
            "(out of memory or a crash)",
        ) from None
    if status != "ok":
        raise DocumentError(
            [
                Problem(
                    "error",
                    str(p.get("code", "script_error")),
                    str(p.get("message", "")),
                    node=p.get("node"),
                    field=p.get("field"),
                )
                for p in payload
            ]
        )
    frozen = extra[0] if extra and isinstance(extra[0], dict) else None
    why = str(extra[1]) if len(extra) > 1 else ""
    return BuiltScript(dict(payload), frozen, why)
