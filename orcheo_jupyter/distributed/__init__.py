"""Distributed execution: Celery workers over Redis, chosen by configuration alone.

``ORCHEO_EXECUTOR=local`` (default) runs workflows on this machine: in the server's
runner processes (``orcheo_jupyter.runners``), or in-process with ``runners=0``;
``ORCHEO_EXECUTOR=celery`` makes the server store each run and enqueue it, and
``orcheo-jupyter worker`` processes execute it with the same runtime. Celery and
redis are imported only in that mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runners import RunnerConfig
    from ..runtime.executor import Executor
    from ..settings import Settings

MODES = ("local", "celery")


def executor_mode(settings: Settings) -> str:
    mode = (settings.executor or "local").strip().lower()
    if mode not in MODES:
        raise ValueError(f"ORCHEO_EXECUTOR must be local or celery, not {settings.executor!r}")
    return mode


async def open_executor(settings: Settings, runners: RunnerConfig | None = None) -> Executor:
    """The executor ``settings`` ask for, with its store and checkpoints open.

    One ``Executor`` whatever the mode; its backend decides where runs execute:
    Celery workers, the server's runner processes (local mode with ``runners``,
    count > 0), or this process.
    """
    from ..runtime.executor import Executor

    if executor_mode(settings) == "celery":
        from .client import CeleryBackend

        celery = await CeleryBackend.connect(settings)
        try:
            return await Executor.open(settings, backend=celery)
        except BaseException:
            await celery.close()
            raise
    if runners is not None and runners.count > 0:
        from ..runners.backend import PoolBackend

        return await Executor.open(settings, backend=PoolBackend(runners))
    return await Executor.open(settings)
