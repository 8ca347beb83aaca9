"""The vault's CredentialStore on Postgres: the same sealed rows, shared by every process.

Only sealed blobs reach this layer (the vault seals before it stores), exactly as
with SQLite. The tables are part of the repository's versioned schema
(``store/postgres_schema.py``), migrated on open.
"""

from __future__ import annotations

from ..store.postgres_pool import PostgresStore
from .store import CredentialStore


class PostgresCredentialStore(PostgresStore, CredentialStore):
    """CredentialStore on the orcheo Postgres database (``ORCHEO_POSTGRES_DSN``)."""

    def __init__(self, dsn: str, *, max_size: int = 4) -> None:
        super().__init__(dsn, name="orcheo-vault", max_size=max_size)
