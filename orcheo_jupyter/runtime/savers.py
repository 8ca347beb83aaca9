"""Open the checkpointer Settings name: SQLite under the data dir, or Postgres."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from ..settings import Settings
from ..store.base import Repository
from ..store.factory import backend_name, open_repository, postgres_dsn
from .checkpoints import open_sqlite_saver


async def open_checkpointer(settings: Settings) -> BaseCheckpointSaver[Any]:
    """``ORCHEO_CHECKPOINT_BACKEND``: sqlite (default, group-committed) or postgres (pooled)."""
    backend = backend_name(settings.checkpoint_backend, "ORCHEO_CHECKPOINT_BACKEND")
    if backend == "postgres":
        from .checkpoints_postgres import open_postgres_saver

        dsn = postgres_dsn(settings, "ORCHEO_CHECKPOINT_BACKEND")
        return await open_postgres_saver(
            dsn, pool_size=settings.postgres_pool_size, max_value_bytes=settings.max_value_bytes
        )
    return await open_sqlite_saver(
        settings.checkpoint_file,
        min_interval=settings.checkpoint_min_interval,
        max_value_bytes=settings.max_value_bytes,
        wal_limit_bytes=settings.wal_limit_bytes,
    )


async def open_stores(settings: Settings) -> tuple[Repository, BaseCheckpointSaver[Any]]:
    """The repository and the checkpointer ``settings`` name: both open, or neither.

    A misnamed checkpoint backend fails before the repository is opened.
    """
    backend_name(settings.checkpoint_backend, "ORCHEO_CHECKPOINT_BACKEND")
    store = await open_repository(settings)
    try:
        saver = await open_checkpointer(settings)
    except BaseException:
        await store.close()
        raise
    return store, saver
