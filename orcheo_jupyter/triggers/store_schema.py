"""The SQLite tables of the trigger store and the columns both backends share.

The Postgres tables (``store/postgres_schema.py``) carry the same names and
columns, so every query in ``triggers/store.py`` serves both databases.
"""

from __future__ import annotations

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    version INTEGER,
    inputs TEXT NOT NULL,
    config TEXT NOT NULL,
    source TEXT NOT NULL,
    source_key TEXT,
    serial INTEGER NOT NULL DEFAULT 0,
    dedupe_key TEXT,
    status TEXT NOT NULL,
    run_id TEXT NOT NULL UNIQUE,
    attempt INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    not_before TEXT,
    attempts TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (workflow_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, workflow_id, created_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    idempotency_key TEXT,
    signature TEXT,
    method TEXT NOT NULL,
    headers TEXT NOT NULL,
    query TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    body_bytes INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (workflow_id, idempotency_key),
    UNIQUE (workflow_id, signature)
);
CREATE INDEX IF NOT EXISTS deliveries_by_time ON deliveries(workflow_id, received_at);
CREATE TABLE IF NOT EXISTS cron_state (
    workflow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    expression TEXT NOT NULL,
    timezone TEXT NOT NULL,
    last_fire_at TEXT NOT NULL,
    PRIMARY KEY (workflow_id, trigger_id)
);
CREATE TABLE IF NOT EXISTS cron_fires (
    workflow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    run_id TEXT,
    detail TEXT,
    PRIMARY KEY (workflow_id, trigger_id, scheduled_for)
);
CREATE TABLE IF NOT EXISTS policies (
    workflow_id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
_POLL_SCHEMA = """
CREATE TABLE IF NOT EXISTS poll_state (
    workflow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    target TEXT NOT NULL,
    seen TEXT,
    polled_at TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT,
    run_id TEXT,
    PRIMARY KEY (workflow_id, trigger_id)
);
"""
#: The names the Postgres schema uses (shared with the repository's tables there).
_SAME_NAMES = """
ALTER TABLE jobs RENAME TO trigger_jobs;
ALTER TABLE deliveries RENAME TO trigger_deliveries;
ALTER TABLE policies RENAME TO trigger_policies;
"""
MIGRATIONS = {1: _SCHEMA, 2: _POLL_SCHEMA, 3: _SAME_NAMES}
CRON_STATE_COLUMNS = ("workflow_id", "trigger_id", "expression", "timezone", "last_fire_at")
FIRE_COLUMNS = ("workflow_id", "trigger_id", "scheduled_for", "status", "at", "run_id", "detail")
POLL_COLUMNS = (
    "workflow_id",
    "trigger_id",
    "target",
    "seen",
    "polled_at",
    "status",
    "detail",
    "run_id",
)

_JOB_COLUMNS = (
    "id",
    "workflow_id",
    "version",
    "inputs",
    "config",
    "source",
    "source_key",
    "serial",
    "dedupe_key",
    "status",
    "run_id",
    "attempt",
    "max_attempts",
    "not_before",
    "attempts",
    "error",
    "created_at",
    "updated_at",
    "finished_at",
)
_JOB_JSON = {"inputs", "config", "attempts"}
#: What a job's update rewrites: everything from its status on except when it was created.
_JOB_MUTABLE = tuple(c for c in _JOB_COLUMNS[_JOB_COLUMNS.index("status") :] if c != "created_at")
_DELIVERY_COLUMNS = (
    "id",
    "workflow_id",
    "job_id",
    "run_id",
    "idempotency_key",
    "signature",
    "method",
    "headers",
    "query",
    "body_sha256",
    "body_bytes",
    "received_at",
)
