"""The TriggerStore on Postgres: webhook deliveries, jobs, cron state shared by all servers.

The queries are ``TriggerStore``'s; only accepting a delivery differs from
SQLite: several servers may store the same delivery at once, and the one whose
insert a unique constraint refuses looks again and answers with the stored one.
"""

from __future__ import annotations

from ..store.base import Conflict
from ..store.postgres_pool import PostgresStore
from ..store.sql import Duplicate
from .records import Accepted, Delivery, Job
from .store import TriggerStore


class PostgresTriggerStore(PostgresStore, TriggerStore):
    """TriggerStore on the orcheo Postgres database (``ORCHEO_POSTGRES_DSN``)."""

    def __init__(self, dsn: str, *, max_size: int = 4) -> None:
        super().__init__(dsn, name="orcheo-triggers", max_size=max_size)

    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted:
        """Store the delivery and its job, unless an earlier delivery already stands for it."""
        for _ in range(3):
            try:
                return await super().accept_delivery(delivery, job)
            except Duplicate:
                continue  # another server stored the same delivery meanwhile: find it
        raise Conflict(f"delivery {delivery.id} conflicts with a stored one")
