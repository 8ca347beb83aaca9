"""Every table orcheo stores, declared once for SQLite and Postgres (``store/ddl.py``).

The repository's tables, the vault's and the trigger store's: on SQLite each
store has its own file, on Postgres they share one database and its versioned
schema (``postgres_schema.py``), which is why they are all declared here, in the
data layer. The leases table (``orcheo_locks``) is not: its expiry is a REAL of
epoch seconds on SQLite and a TIMESTAMPTZ on Postgres, read by different queries.
"""

from __future__ import annotations

from .ddl import (
    BIGINT,
    BYTES,
    INTEGER,
    JSON,
    JSONB,
    ORDERED,
    ROW_NUMBER,
    TEXT,
    Column,
    Index,
    Table,
)

# --- the repository: documents, workflows, runs -------------------------------------
DOCUMENTS = Table(
    "documents",
    (Column("checksum", ORDERED, key=True), Column("body", TEXT), Column("created_at", ORDERED)),
)
WORKFLOWS = Table(
    "workflows",
    (
        Column("id", ORDERED, key=True),
        Column("name", TEXT),
        Column("slug", ORDERED, unique=True),
        Column("description", TEXT, default="''"),
        Column("tags", JSONB, default="'[]'"),
        Column("latest_version", INTEGER),
        Column("created_at", ORDERED),
        Column("updated_at", ORDERED),
    ),
    indexes=(Index("by_update", ("updated_at DESC", "id"), only="postgres"),),
)
WORKFLOW_VERSIONS = Table(
    "workflow_versions",
    (
        Column("workflow_id", ORDERED, references="workflows(id) ON DELETE CASCADE"),
        Column("version", INTEGER),
        Column("checksum", ORDERED, references="documents(checksum)"),
        Column("created_at", ORDERED),
    ),
    key=("workflow_id", "version"),
)
#: Per workflow, what the last bundle deployment (``jupyter orcheo --bundle``) stored:
#: the checksum of the bundle's document and the version it is. A start with the same
#: bundle document keeps a version stored on the server since; a changed one replaces it.
BUNDLE_DEPLOYMENTS = Table(
    "bundle_deployments",
    (
        Column("workflow_id", ORDERED, key=True, references="workflows(id) ON DELETE CASCADE"),
        Column("checksum", ORDERED),
        Column("version", INTEGER),
        Column("deployed_at", ORDERED),
    ),
)
RUNS = Table(
    "runs",
    (
        Column("id", ORDERED, key=True),
        Column("workflow_id", ORDERED, null=True),
        Column("version", INTEGER, null=True),
        Column("checksum", ORDERED),
        Column("status", ORDERED),
        Column("inputs", JSON),
        Column("config", JSON, default="'{}'"),
        Column("error", TEXT, null=True),
        Column("final_state", JSON, null=True),
        Column("node_states", JSON, default="'{}'"),
        Column("interrupt", JSON, null=True),
        Column("parent_run_id", ORDERED, null=True),
        Column("parent_checkpoint_id", TEXT, null=True),
        Column("owner", TEXT, null=True),
        Column("created_at", ORDERED),
        Column("started_at", ORDERED, null=True),
        Column("finished_at", ORDERED, null=True),
        Column("updated_at", ORDERED),
        Column("last_seq", INTEGER, default="0"),
        #: The run's first span (W3C traceparent), added by a later migration.
        Column("trace_parent", TEXT, null=True),
    ),
    indexes=(
        Index("by_created", ("created_at DESC", "id"), only="postgres"),
        Index("by_workflow", ("workflow_id", "created_at")),
        Index("by_status", ("status",)),
    ),
)
RUN_TRANSITIONS = Table(
    "run_transitions",
    (
        Column("run_id", ORDERED),
        Column("n", INTEGER),
        Column("status", ORDERED),
        Column("at", ORDERED),
    ),
    key=("run_id", "n"),
    without_rowid=True,
)
RUN_EVENTS = Table(
    "run_events",
    (
        Column("run_id", ORDERED),
        Column("seq", INTEGER),
        Column("type", TEXT),
        Column("node", TEXT, null=True),
        Column("at", TEXT),
        Column("data", JSON),
    ),
    key=("run_id", "seq"),
    without_rowid=True,
)
#: SQLite only: large run inputs, stored once beside the run row (which status
#: changes rewrite); Postgres keeps them in the row (TOAST stores them aside).
RUN_INPUTS = Table("run_inputs", (Column("run_id", TEXT, key=True), Column("inputs", TEXT)))
RUN_SPANS = Table(
    "run_spans",
    (
        Column("run_id", ORDERED),
        Column("span_id", ORDERED),
        Column("trace_id", ORDERED),
        Column("parent_span_id", ORDERED, null=True),
        Column("name", TEXT),
        Column("start_ns", BIGINT),
        Column("end_ns", BIGINT),
        Column("data", JSON),
    ),
    key=("run_id", "span_id"),
    without_rowid=True,
)

# --- the vault: sealed credentials and the audit of every use -----------------------
CREDENTIALS = Table(
    "credentials",
    (
        Column("id", ORDERED, key=True),
        Column("name", ORDERED, unique=True),
        Column("kind", TEXT),
        Column("scope", JSON, null=True),
        Column("description", TEXT, default="''"),
        Column("sealed", BYTES),
        Column("key_id", TEXT),
        Column("expires_at", TEXT, null=True),
        Column("created_at", TEXT),
        Column("rotated_at", TEXT, null=True),
        Column("version", INTEGER),
    ),
)
CREDENTIAL_AUDIT = Table(
    "credential_audit",
    (
        Column("id", ROW_NUMBER),
        Column("credential_id", TEXT),
        Column("name", ORDERED),
        Column("action", TEXT),
        Column("at", TEXT),
        Column("actor", TEXT, null=True),
        Column("workflow_id", TEXT, null=True),
        Column("run_id", TEXT, null=True),
        Column("node", TEXT, null=True),
        Column("detail", TEXT, null=True),
    ),
    indexes=(Index("by_name", ("name", "id")),),
)

# --- triggers: queued jobs, webhook deliveries, cron and polling state --------------
TRIGGER_JOBS = Table(
    "trigger_jobs",
    (
        Column("id", ORDERED, key=True),
        Column("workflow_id", ORDERED),
        Column("version", INTEGER, null=True),
        Column("inputs", JSON),
        Column("config", JSON),
        Column("source", TEXT),
        Column("source_key", TEXT, null=True),
        Column("serial", INTEGER, default="0"),
        Column("dedupe_key", TEXT, null=True),
        Column("status", ORDERED),
        Column("run_id", ORDERED, unique=True),
        Column("attempt", INTEGER),
        Column("max_attempts", INTEGER),
        Column("not_before", TEXT, null=True),
        Column("attempts", JSON),
        Column("error", TEXT, null=True),
        Column("created_at", ORDERED),
        Column("updated_at", ORDERED),
        Column("finished_at", TEXT, null=True),
    ),
    unique=(("workflow_id", "dedupe_key"),),
    indexes=(Index("by_status", ("status", "workflow_id", "created_at")),),
)
TRIGGER_DELIVERIES = Table(
    "trigger_deliveries",
    (
        Column("id", ORDERED, key=True),
        Column("workflow_id", ORDERED),
        Column("job_id", TEXT),
        Column("run_id", TEXT),
        Column("idempotency_key", TEXT, null=True),
        Column("signature", TEXT, null=True),
        Column("method", TEXT),
        Column("headers", JSON),
        Column("query", JSON),
        Column("body_sha256", TEXT),
        Column("body_bytes", INTEGER),
        Column("received_at", ORDERED),
    ),
    unique=(("workflow_id", "idempotency_key"), ("workflow_id", "signature")),
    indexes=(Index("by_time", ("workflow_id", "received_at")),),
)
CRON_STATE = Table(
    "cron_state",
    (
        Column("workflow_id", ORDERED),
        Column("trigger_id", ORDERED),
        Column("expression", TEXT),
        Column("timezone", TEXT),
        Column("last_fire_at", TEXT),
    ),
    key=("workflow_id", "trigger_id"),
)
CRON_FIRES = Table(
    "cron_fires",
    (
        Column("workflow_id", ORDERED),
        Column("trigger_id", ORDERED),
        Column("scheduled_for", ORDERED),
        Column("status", TEXT),
        Column("at", TEXT),
        Column("run_id", TEXT, null=True),
        Column("detail", TEXT, null=True),
    ),
    key=("workflow_id", "trigger_id", "scheduled_for"),
)
TRIGGER_POLICIES = Table(
    "trigger_policies",
    (Column("workflow_id", ORDERED, key=True), Column("data", JSON), Column("updated_at", TEXT)),
)
POLL_STATE = Table(
    "poll_state",
    (
        Column("workflow_id", ORDERED),
        Column("trigger_id", ORDERED),
        Column("target", TEXT),
        Column("seen", TEXT, null=True),
        Column("polled_at", TEXT),
        Column("status", TEXT),
        Column("detail", TEXT, null=True),
        Column("run_id", TEXT, null=True),
    ),
    key=("workflow_id", "trigger_id"),
)
