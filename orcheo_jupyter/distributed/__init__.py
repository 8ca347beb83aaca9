"""Distributed execution: Celery workers over Redis, chosen by configuration alone.

``ORCHEO_EXECUTOR=local`` (default) runs workflows inside the server process;
``ORCHEO_EXECUTOR=celery`` makes the server store each run and enqueue it, and
``orcheo-jupyter worker`` processes execute it with the same runtime. Celery and
redis are imported only in that mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runtime.executor import Executor
    from ..settings import Settings

MODES = ("local", "celery")


def executor_mode(settings: Settings) -> str:
    mode = (settings.executor or "local").strip().lower()
    if mode not in MODES:
        raise ValueError(f"ORCHEO_EXECUTOR must be local or celery, not {settings.executor!r}")
    return mode


async def open_executor(settings: Settings) -> Executor:
    """The executor ``settings`` ask for, with its store and checkpoints open."""
    if executor_mode(settings) == "celery":
        from .client import CeleryExecutor

        return await CeleryExecutor.open(settings)
    from ..runtime.executor import Executor

    return await Executor.open(settings)
