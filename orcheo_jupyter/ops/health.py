"""Health checks: can this process reach its store, its checkpoints, its broker, its runners?

Each check runs with a timeout and reports ``ok``, the latency and, when it
fails, the error's type and message (connection strings are never included).
A load balancer takes any failing check as "do not send traffic here".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .. import __version__

if TYPE_CHECKING:
    from ..runtime.executor import Executor

Probe = Callable[[], Awaitable[Any]]


async def _timed(probe: Probe, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), timeout)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {timeout:g} s"}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 3)}


def probes(executor: Executor) -> dict[str, Probe]:
    """What this executor depends on: its store, its checkpointer, and a broker if any."""
    found: dict[str, Probe] = {"store": lambda: executor.store.list_runs(limit=1)}
    saver = executor.checkpointer
    if saver is not None:
        config: Any = {"configurable": {"thread_id": "orcheo-health", "checkpoint_ns": ""}}
        found["checkpoints"] = lambda: saver.aget_tuple(config)
    found.update(executor.backend.probes())  # runners, a broker
    return found


async def check(executor: Executor, *, timeout: float = 5.0) -> dict[str, Any]:
    """``{"status": "ok"|"unavailable", "checks": {...}}``; any failed check is unavailable."""
    named = probes(executor)
    results = await asyncio.gather(*(_timed(p, timeout) for p in named.values()))
    checks = dict(zip(named, results, strict=True))
    return {
        "status": "ok" if all(c["ok"] for c in checks.values()) else "unavailable",
        "version": __version__,
        "executor": executor.backend.name,
        "checks": checks,
    }
