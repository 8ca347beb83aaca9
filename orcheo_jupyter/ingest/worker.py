"""The fork server that builds imported scripts' graphs (see ``sandbox.py``).

Started once as ``python -m orcheo_jupyter.ingest.worker FD``: it imports
LangGraph, says ``ready`` on the control socket ``FD``, then for every job
receives a fresh stream socket (as an fd) and forks. The child writes its pid,
reads the job (restricted code, entrypoint, allow-list), answers ``["ok",
index]`` or ``["error", problems]`` as JSON and exits; the server kills it if the
answer does not come in time. The fork server itself stays single-threaded, so
forking it is safe, and it exits when the server's end of the control socket
closes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import marshal
import math
import os
import resource
import signal
import socket
import sys
from typing import Any

#: Address space a child may use: generous for LangGraph, fatal for runaway lists.
MEMORY_BYTES = 2 * 1024**3
#: CPU seconds a child may use beyond its job's timeout before the kernel ends it.
CPU_GRACE_SECONDS = 5
PR_SET_PDEATHSIG = 1
_fork_server_pid = os.getpid()


def _problem(code: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "code": code,
        "message": message,
        "node": None,
        "field": "graph.source",
    }


def run_job(job: dict[str, Any]) -> list[Any]:
    from ..runtime.script_graph import check_compiles, graph_from_namespace, index_of
    from ..spec.problems import DocumentError
    from .policy import AllowList, script_module

    code = marshal.loads(base64.b64decode(job["code"]))
    namespace = script_module(str(job["key"]), AllowList(tuple(job["allow"]))).__dict__
    try:
        exec(code, namespace)
    except MemoryError:
        return ["error", [_problem("memory", "script ran out of memory")]]
    except Exception as exc:
        return ["error", [_problem("script_error", f"script raised {type(exc).__name__}: {exc}")]]
    try:
        graph = graph_from_namespace(namespace, job.get("entrypoint"))
    except DocumentError as exc:
        return ["error", [p.as_dict() for p in exc.problems]]
    except Exception as exc:
        return [
            "error",
            [_problem("script_error", f"building the graph raised {type(exc).__name__}: {exc}")],
        ]
    try:
        check_compiles(graph)
    except DocumentError as exc:
        return ["error", [p.as_dict() for p in exc.problems]]
    from ..compat.freeze import freeze

    try:
        ir, why = freeze(graph)
    except Exception as exc:  # a graph we cannot describe statically stays a script
        ir, why = None, f"{type(exc).__name__}: {exc}"
    frozen = ir.model_dump(mode="json") if ir is not None else None
    return ["ok", index_of(graph).model_dump(mode="json"), frozen, why]


def _die_with_parent() -> None:
    """SIGKILL this child when the fork server exits.

    The server kills a child past its deadline; a server that is itself killed (or
    crashes) cannot, and a looping script would spin on for ever. The fork server
    exits when the server's end of its control socket closes, so this ties the
    child's life to the server's. (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere the
    CPU limit below still ends it.)
    """
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != _fork_server_pid:  # it died before the call: no signal comes
            os._exit(1)


def _limit(kind: int, value: int) -> None:
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(kind)
        soft = value if hard == resource.RLIM_INFINITY else min(hard, value)
        resource.setrlimit(kind, (soft, hard))


def _child(conn: socket.socket) -> None:
    """In the forked child: announce the pid, run one job, answer, exit."""
    _die_with_parent()
    _limit(resource.RLIMIT_AS, MEMORY_BYTES)
    conn.sendall(f"{os.getpid()}\n".encode())
    data = bytearray()
    while chunk := conn.recv(65536):
        data += chunk
    try:
        job = json.loads(data)
        # A backstop for the server's deadline: CPU seconds past it end the child.
        _limit(resource.RLIMIT_CPU, math.ceil(float(job.get("timeout", 60))) + CPU_GRACE_SECONDS)
        reply = run_job(job)
    except BaseException as exc:  # the server must always get an answer
        reply = ["error", [_problem("script_error", f"{type(exc).__name__}: {exc}"[:1000])]]
    try:
        text = json.dumps(reply)
    except (TypeError, ValueError):
        text = json.dumps(["error", [_problem("script_error", "graph index is not JSON")]])
    conn.sendall(text.encode("utf-8"))
    conn.close()


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def main() -> None:
    import langgraph.graph  # noqa: F401  (imported once, before forking: jobs pay nothing)

    from ..compat import freeze  # noqa: F401
    from ..nodes import registry

    registry.all_specs()  # node types imported once, before forking
    from ..runtime import script_graph  # noqa: F401
    from . import policy  # noqa: F401

    # Whatever a script or library prints goes nowhere near the replies.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    global _fork_server_pid
    _fork_server_pid = os.getpid()
    control = socket.socket(fileno=int(sys.argv[1]))
    control.sendall(b"ready")
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 64, 1)
        except OSError:
            return
        _reap()
        if not message or not fds:
            return  # the server closed its end: stop
        pid = os.fork()
        if pid == 0:
            control.close()
            try:
                _child(socket.socket(fileno=fds[0]))
            finally:
                os._exit(0)
        os.close(fds[0])


if __name__ == "__main__":
    main()
