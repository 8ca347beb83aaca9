"""The SQLite repository's schema, as numbered migrations applied in order on open.

The tables are declared in ``tables.py``; only the triggers are SQLite's own.
"""

from __future__ import annotations

from .ddl import create_all
from .tables import (
    BUNDLE_DEPLOYMENTS,
    DOCUMENTS,
    RUN_EVENTS,
    RUN_INPUTS,
    RUN_SPANS,
    RUN_TRANSITIONS,
    RUNS,
    WORKFLOW_VERSIONS,
    WORKFLOWS,
)

SCHEMA_VERSION = 5

#: Each run's status transitions, recorded by the database as the row changes.
_TRANSITION_TRIGGERS = """
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
"""

MIGRATIONS: dict[int, str] = {
    1: create_all("sqlite", DOCUMENTS, WORKFLOWS, WORKFLOW_VERSIONS)
    + RUNS.create("sqlite", leave_out={"trace_parent"})
    + RUN_TRANSITIONS.create("sqlite")
    + _TRANSITION_TRIGGERS
    + RUN_EVENTS.create("sqlite"),
    # Large run inputs, stored once beside the run row (which status changes rewrite).
    2: RUN_INPUTS.create("sqlite"),
    # Each run's OpenTelemetry spans (ORCHEO_TRACE_STORE), read back as its trace.
    3: RUN_SPANS.create("sqlite"),
    # The run's first span (W3C traceparent), so a resume elsewhere continues its trace.
    4: RUNS.add_column("sqlite", "trace_parent"),
    # What each workflow's last bundle deployment stored, so a restart keeps server edits.
    5: BUNDLE_DEPLOYMENTS.create("sqlite"),
}
