"""The SQLite repository's schema, as numbered migrations applied in order on open."""

from __future__ import annotations

SCHEMA_VERSION = 4

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS documents (
        checksum TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS workflows (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        latest_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS workflow_versions (
        workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        checksum TEXT NOT NULL REFERENCES documents(checksum),
        created_at TEXT NOT NULL,
        PRIMARY KEY (workflow_id, version)
    );
    CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        workflow_id TEXT,
        version INTEGER,
        checksum TEXT NOT NULL,
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        final_state TEXT,
        node_states TEXT NOT NULL DEFAULT '{}',
        interrupt TEXT,
        parent_run_id TEXT,
        parent_checkpoint_id TEXT,
        owner TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs(workflow_id, created_at);
    CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
    CREATE TABLE IF NOT EXISTS run_transitions (
        run_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (run_id, n)
    ) WITHOUT ROWID;
    CREATE TRIGGER IF NOT EXISTS run_created AFTER INSERT ON runs BEGIN
        INSERT INTO run_transitions (run_id, n, status, at)
        VALUES (NEW.id, 1, NEW.status, NEW.created_at);
    END;
    CREATE TRIGGER IF NOT EXISTS run_status_changed AFTER UPDATE OF status ON runs
    WHEN NEW.status IS NOT OLD.status OR NEW.status = 'running' BEGIN
        INSERT INTO run_transitions (run_id, n, status, at) VALUES (
            NEW.id,
            (SELECT COALESCE(MAX(n), 0) + 1 FROM run_transitions WHERE run_id = NEW.id),
            NEW.status,
            NEW.updated_at
        );
    END;
    CREATE TABLE IF NOT EXISTS run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        node TEXT,
        at TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    """,
    # Large run inputs, stored once beside the run row (which status changes rewrite).
    2: """
    CREATE TABLE IF NOT EXISTS run_inputs (
        run_id TEXT PRIMARY KEY,
        inputs TEXT NOT NULL
    );
    """,
    # Each run's OpenTelemetry spans (ORCHEO_TRACE_STORE), read back as its trace.
    3: """
    CREATE TABLE IF NOT EXISTS run_spans (
        run_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        parent_span_id TEXT,
        name TEXT NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, span_id)
    ) WITHOUT ROWID;
    """,
    # The run's first span (W3C traceparent), so a resume elsewhere continues its trace.
    4: """
    ALTER TABLE runs ADD COLUMN trace_parent TEXT;
    """,
}
