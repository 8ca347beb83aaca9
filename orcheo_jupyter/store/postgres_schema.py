"""Versioned schema of the Postgres repository, applied on start.

Each migration runs once, in order, inside one transaction that holds an advisory
lock, so several servers and workers starting together migrate exactly once. The
applied versions are rows of ``orcheo_schema_migrations``. A database migrated by
a newer orcheo-jupyter is refused rather than written with an older idea of it.

The tables are the SQLite stores' (declared once in ``tables.py``: same columns,
and here the same status-transition triggers), so both backends behave
identically. Text columns that are sorted or compared use the ``C`` collation:
byte order, as SQLite compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from .ddl import create_all
from .tables import (
    BUNDLE_DEPLOYMENTS,
    CREDENTIAL_AUDIT,
    CREDENTIALS,
    CRON_FIRES,
    CRON_STATE,
    DOCUMENTS,
    POLL_STATE,
    RUN_EVENTS,
    RUN_SPANS,
    RUN_TRANSITIONS,
    RUNS,
    TRIGGER_DELIVERIES,
    TRIGGER_JOBS,
    TRIGGER_POLICIES,
    WORKFLOW_VERSIONS,
    WORKFLOWS,
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


#: Each run's status transitions, recorded by the database as the row changes.
_TRANSITION_TRIGGERS = """
CREATE FUNCTION orcheo_run_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO run_transitions (run_id, n, status, at)
    VALUES (NEW.id, 1, NEW.status, NEW.created_at);
    RETURN NEW;
END $$;
CREATE TRIGGER run_created AFTER INSERT ON runs
    FOR EACH ROW EXECUTE FUNCTION orcheo_run_created();
CREATE FUNCTION orcheo_run_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.status = 'running' THEN
        INSERT INTO run_transitions (run_id, n, status, at) VALUES (
            NEW.id,
            (SELECT COALESCE(MAX(n), 0) + 1 FROM run_transitions WHERE run_id = NEW.id),
            NEW.status,
            NEW.updated_at
        );
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER run_status_changed AFTER UPDATE OF status ON runs
    FOR EACH ROW EXECUTE FUNCTION orcheo_run_status_changed();
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "workflows, versions, documents, runs, transitions, events",
        create_all("postgres", DOCUMENTS, WORKFLOWS, WORKFLOW_VERSIONS)
        + RUNS.create("postgres", leave_out={"trace_parent"})
        + RUN_TRANSITIONS.create("postgres")
        + _TRANSITION_TRIGGERS
        + RUN_EVENTS.create("postgres"),
    ),
    Migration(
        2,
        "leases and leader locks shared by servers and workers",
        """
        CREATE TABLE orcheo_locks (
            name TEXT COLLATE "C" PRIMARY KEY,
            owner TEXT COLLATE "C" NOT NULL,
            expires_at TIMESTAMPTZ NOT NULL
        );
        CREATE INDEX orcheo_locks_by_owner ON orcheo_locks (owner);
        """,
    ),
    Migration(
        3,
        "vault: sealed credentials and their audit trail",
        create_all("postgres", CREDENTIALS, CREDENTIAL_AUDIT),
    ),
    Migration(
        4,
        "triggers: jobs, webhook deliveries, cron state and fires, dispatch policies",
        create_all(
            "postgres", TRIGGER_JOBS, TRIGGER_DELIVERIES, CRON_STATE, CRON_FIRES, TRIGGER_POLICIES
        ),
    ),
    Migration(5, "HTTP polling triggers: what each last saw", POLL_STATE.create("postgres")),
    Migration(6, "each run's OpenTelemetry spans", RUN_SPANS.create("postgres")),
    Migration(
        7,
        "the run's first span (W3C traceparent), so a resume elsewhere continues its trace",
        RUNS.add_column("postgres", "trace_parent"),
    ),
    Migration(
        8,
        "what each workflow's last bundle deployment stored, so a restart keeps server edits",
        BUNDLE_DEPLOYMENTS.create("postgres"),
    ),
)

#: Any constant works; it only has to be the same in every process.
_MIGRATION_LOCK = 0x6F72636865  # "orche"


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer orcheo-jupyter than this one."""


def latest_version() -> int:
    return MIGRATIONS[-1].version


async def migrate(conn: AsyncConnection[Any]) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied now."""
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS orcheo_schema_migrations ("
            " version INTEGER PRIMARY KEY,"
            " description TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT array_agg(version) FROM orcheo_schema_migrations")
        row = await cur.fetchone()
        versions = (next(iter(row.values())) if isinstance(row, dict) else row[0]) if row else None
        done = {int(v) for v in versions or []}
        newer = sorted(v for v in done if v > latest_version())
        if newer:
            raise SchemaTooNew(
                f"the Postgres database is at schema version {max(newer)}, newer than this "
                f"orcheo-jupyter knows ({latest_version()}); upgrade orcheo-jupyter"
            )
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            await conn.execute(migration.sql.encode())
            await conn.execute(
                "INSERT INTO orcheo_schema_migrations (version, description) VALUES (%s, %s)",
                (migration.version, migration.description),
            )
            applied_now.append(migration.version)
    return applied_now
