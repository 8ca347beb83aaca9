"""Choose and open the repository backend from Settings (configuration, not code)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Repository

if TYPE_CHECKING:
    from ..settings import Settings

BACKENDS = ("sqlite", "postgres")


def backend_name(value: str, setting: str) -> str:
    """``value`` checked against the known backends; the error names the setting."""
    name = (value or "sqlite").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"{setting} must be one of {', '.join(BACKENDS)}, not {value!r}")
    return name


def postgres_dsn(settings: Settings, setting: str) -> str:
    if not settings.postgres_dsn:
        raise ValueError(
            f"{setting}=postgres needs ORCHEO_POSTGRES_DSN (or c.OrcheoApp.postgres_dsn), "
            "e.g. postgresql://user:password@host:5432/orcheo"
        )
    return settings.postgres_dsn


async def open_repository(settings: Settings) -> Repository:
    """The repository ``settings`` name, opened (schema migrated) and ready."""
    backend = backend_name(settings.repository_backend, "ORCHEO_REPOSITORY_BACKEND")
    repo: Repository
    if backend == "postgres":
        from .postgres import PostgresRepository

        dsn = postgres_dsn(settings, "ORCHEO_REPOSITORY_BACKEND")
        repo = PostgresRepository(dsn, max_size=settings.postgres_pool_size)
    else:
        from .sqlite import SqliteRepository

        repo = SqliteRepository(settings.repository_file, wal_limit_bytes=settings.wal_limit_bytes)
    await repo.open()
    return repo
