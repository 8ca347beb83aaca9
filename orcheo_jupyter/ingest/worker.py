"""Child process that builds one imported script's graph (see ``sandbox.py``).

Protocol: print ``ready`` once LangGraph is imported, read one JSON job from
stdin (restricted code, entrypoint, allow-list), answer ``["ok", index]`` or
``["error", problems]`` as JSON on stdout, exit. The parent kills it at the
deadline.
"""

from __future__ import annotations

import base64
import json
import marshal
import os
import resource
import sys
from typing import Any

#: Address space the child may use: generous for LangGraph, fatal for runaway lists.
MEMORY_BYTES = 2 * 1024**3


def _limit_memory() -> None:
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard, MEMORY_BYTES)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _problem(code: str, message: str) -> dict[str, Any]:
    return {
        "severity": "error",
        "code": code,
        "message": message,
        "node": None,
        "field": "graph.source",
    }


def run_job(job: dict[str, Any]) -> list[Any]:
    from ..runtime.script_graph import graph_from_namespace, index_of
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
        graph.compile()
    except Exception as exc:
        return ["error", [_problem("graph", f"the graph does not compile: {exc}")]]
    return ["ok", index_of(graph).model_dump(mode="json")]


def main() -> None:
    import langgraph.graph  # noqa: F401  (imported before "ready": the job pays nothing)

    from ..runtime import script_graph  # noqa: F401

    _limit_memory()
    # The reply channel is a private copy of stdout; whatever a library prints
    # while the script runs goes to /dev/null instead of corrupting the reply.
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    out.write(b"ready\n")
    out.flush()
    job = json.loads(sys.stdin.buffer.read())
    try:
        reply = run_job(job)
    except BaseException as exc:  # the parent must always get an answer
        reply = ["error", [_problem("script_error", f"{type(exc).__name__}: {exc}"[:1000])]]
    try:
        text = json.dumps(reply)
    except (TypeError, ValueError):
        text = json.dumps(["error", [_problem("script_error", "graph index is not JSON")]])
    out.write(text.encode("utf-8"))
    out.flush()


if __name__ == "__main__":
    main()
