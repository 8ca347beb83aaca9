"""Run a script's graph building in a child process under a wall-clock limit.

Why a process and not a thread: ``PyThreadState_SetAsyncExc`` and trace
functions only fire between bytecodes, so they cannot stop ``time.sleep(1e9)``,
a catastrophic regex or a huge integer power, and a "stopped" thread keeps
running, holding the GIL and whatever locks it took inside the server. A child
process is killed outright at the deadline, whatever it is doing, and takes any
memory it grabbed with it. What crosses back is plain JSON (the graph's index or
the problems), which is all an import needs.

Each child serves exactly one script and exits, so nothing one script does can
leak into the next. To keep LangGraph's import time (~0.7 s) off the request
path, one spare child is started ahead and waits, imports done, for its job.
Children are fresh interpreters (``python -m orcheo_jupyter.ingest.worker``),
never forks of the multi-threaded server.
"""

from __future__ import annotations

import base64
import contextlib
import json
import marshal
import os
import select
import subprocess
import sys
import threading
import time
from typing import IO, Any

from ..spec.problems import DocumentError, Problem
from .compiler import CompiledScript
from .policy import AllowList

#: How long a cold child may take to import LangGraph before the job starts.
STARTUP_TIMEOUT = 60.0
#: Most bytes a child may answer with (an index is small; this bounds a runaway).
MAX_REPLY_BYTES = 16 * 1024 * 1024

_lock = threading.Lock()
_spare: subprocess.Popen[bytes] | None = None


def _spawn() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "orcheo_jupyter.ingest.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _take() -> subprocess.Popen[bytes]:
    """A child for one job (the warm spare if there is one), and start the next spare."""
    global _spare
    with _lock:
        proc = _spare if _spare is not None and _spare.poll() is None else None
        if proc is None:
            proc = _spawn()
        _spare = _spawn()
        return proc


def warm() -> None:
    """Start a spare child now, so the next import does not wait for LangGraph's import."""
    global _spare
    with _lock:
        if _spare is None or _spare.poll() is not None:
            _spare = _spawn()


def shutdown() -> None:
    """Stop the spare child (server shutdown)."""
    global _spare
    with _lock:
        proc, _spare = _spare, None
    if proc is not None:
        _kill(proc)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _read_until(stream: IO[bytes], deadline: float, stop_at_newline: bool) -> bytes | None:
    """Bytes from the child until EOF (or a newline); None when the deadline passes first."""
    fd = stream.fileno()
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            return b"".join(chunks)
        if stop_at_newline and b"\n" in chunk:
            return b"".join(chunks)


def _problem(code: str, message: str) -> DocumentError:
    return DocumentError([Problem("error", code, message, field="graph.source")])


def build_index(
    compiled: CompiledScript,
    entrypoint: str | None,
    *,
    allow: AllowList,
    timeout: float,
) -> dict[str, Any]:
    """The index of the graph the code builds; DocumentError on failure or timeout.

    Blocking: call it from a worker thread when on an event loop.
    """
    proc = _take()
    assert proc.stdin is not None and proc.stdout is not None
    try:
        ready = _read_until(proc.stdout, time.monotonic() + STARTUP_TIMEOUT, True)
        if not ready or not ready.startswith(b"ready"):
            raise _problem("sandbox", "the script worker process did not start")
        job = {
            "code": base64.b64encode(marshal.dumps(compiled.code)).decode("ascii"),
            "key": compiled.key,
            "entrypoint": entrypoint,
            "allow": list(allow.modules),
        }
        try:
            proc.stdin.write(json.dumps(job).encode("utf-8"))
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            raise _problem("sandbox", "the script worker process ended early") from None
        started = time.monotonic()
        reply = _read_until(proc.stdout, started + timeout, False)
        if reply is None:
            raise _problem(
                "timeout",
                f"building the graph took longer than {timeout:g} s and was stopped; "
                "does the script loop forever?",
            )
    finally:
        _kill(proc)
    try:
        status, payload = json.loads(reply)
    except (ValueError, TypeError):
        elapsed = time.monotonic() - started
        raise _problem(
            "crashed",
            f"building the graph ended the process after {elapsed:.1f} s "
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
    return dict(payload)
