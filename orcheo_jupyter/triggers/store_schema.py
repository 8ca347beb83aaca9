"""The trigger store's SQLite migrations and the columns its queries name.

The tables are declared once in ``store/tables.py``; Postgres creates the same
ones (``store/postgres_schema.py``), so every query in ``triggers/store.py``
serves both databases.
"""

from __future__ import annotations

from ..store.ddl import create_all
from ..store.tables import (
    CRON_FIRES,
    CRON_STATE,
    POLL_STATE,
    TRIGGER_DELIVERIES,
    TRIGGER_JOBS,
    TRIGGER_POLICIES,
)

#: The first schema, with the names the tables had then.
_SCHEMA = (
    TRIGGER_JOBS.create("sqlite", name="jobs")
    + TRIGGER_DELIVERIES.create("sqlite", name="deliveries")
    + create_all("sqlite", CRON_STATE, CRON_FIRES)
    + TRIGGER_POLICIES.create("sqlite", name="policies")
)
#: The names the Postgres schema uses (shared with the repository's tables there).
_SAME_NAMES = """
ALTER TABLE jobs RENAME TO trigger_jobs;
ALTER TABLE deliveries RENAME TO trigger_deliveries;
ALTER TABLE policies RENAME TO trigger_policies;
"""
MIGRATIONS = {1: _SCHEMA, 2: POLL_STATE.create("sqlite"), 3: _SAME_NAMES}
CRON_STATE_COLUMNS = CRON_STATE.names
FIRE_COLUMNS = CRON_FIRES.names
POLL_COLUMNS = POLL_STATE.names
_JOB_COLUMNS = TRIGGER_JOBS.names
_JOB_JSON = TRIGGER_JOBS.json_names
#: What a job's update rewrites: everything from its status on except when it was created.
_JOB_MUTABLE = tuple(c for c in _JOB_COLUMNS[_JOB_COLUMNS.index("status") :] if c != "created_at")
_DELIVERY_COLUMNS = TRIGGER_DELIVERIES.names
_DELIVERY_JSON = TRIGGER_DELIVERIES.json_names
