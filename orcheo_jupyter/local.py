"""The process-wide executor used by the Python API, on the embedded default store."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import sys

from .runtime import background
from .runtime.executor import Executor
from .runtime.owners import KERNEL_OWNER_PREFIX, process_owner
from .settings import Settings
from .vault.attach import attach_vault, detach_vault

_executor: Executor | None = None
_lock: asyncio.Lock | None = None


async def executor() -> Executor:
    """Open (once) the executor for the current settings; must run on the background loop."""
    global _executor, _lock
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _executor is None:
            settings = Settings.from_env()
            _executor = await Executor.open(settings)
            if in_kernel():
                # The server fails this kernel's unfinished runs once the kernel is gone.
                _executor.owner = process_owner(KERNEL_OWNER_PREFIX)
            await attach_vault(_executor, settings)  # [[credentials]] resolve here too
        return _executor


def in_kernel() -> bool:
    """Whether this process is a Jupyter kernel (an IPython shell with a kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


async def reset() -> None:
    """Close the executor (e.g. after the data directory changed)."""
    global _executor
    if _executor is not None:
        await detach_vault(_executor)
        await _executor.aclose()
        _executor = None


def _close_at_exit() -> None:
    if _executor is not None:
        # At interpreter shutdown there is nobody left to report a failure to.
        with contextlib.suppress(Exception):
            background.run(reset(), timeout=10)


atexit.register(_close_at_exit)
