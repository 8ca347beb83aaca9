"""A dedicated event-loop thread, so sync calls work inside a running notebook loop.

Jupyter kernels already run an event loop, so ``asyncio.run`` is unavailable there;
nesting loops (nest_asyncio) breaks libraries. Instead every sync call submits its
coroutine to one long-lived loop in a daemon thread and blocks on the result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """The background loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            new_loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(new_loop)
                ready.set()
                new_loop.run_forever()

            threading.Thread(target=serve, name="orcheo-loop", daemon=True).start()
            ready.wait()
            _loop = new_loop
        return _loop


def submit(coro: Coroutine[Any, Any, T]) -> Future[T]:
    return asyncio.run_coroutine_threadsafe(coro, loop())


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a coroutine on the background loop and wait for its result."""
    if threading.current_thread().name == "orcheo-loop":
        raise RuntimeError("cannot block the orcheo loop on itself; await the coroutine instead")
    return submit(coro).result(timeout)


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine that must run on the background loop, from any other loop."""
    return await asyncio.wrap_future(submit(coro))
