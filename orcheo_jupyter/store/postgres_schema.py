"""Versioned schema of the Postgres repository, applied on start.

Each migration runs once, in order, inside one transaction that holds an advisory
lock, so several servers and workers starting together migrate exactly once. The
applied versions are rows of ``orcheo_schema_migrations``. A database migrated by
a newer orcheo-jupyter is refused rather than written with an older idea of it.

The tables mirror the SQLite repository's (same columns, same status-transition
triggers), so both backends behave identically. Text columns that are sorted or
compared use the ``C`` collation: byte order, as SQLite compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "workflows, versions, documents, runs, transitions, events",
        """
        CREATE TABLE documents (
            checksum TEXT COLLATE "C" PRIMARY KEY,
            body TEXT NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL
        );
        CREATE TABLE workflows (
            id TEXT COLLATE "C" PRIMARY KEY,
            name TEXT NOT NULL,
            slug TEXT COLLATE "C" NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            tags JSONB NOT NULL DEFAULT '[]',
            latest_version INTEGER NOT NULL,
            created_at TEXT COLLATE "C" NOT NULL,
            updated_at TEXT COLLATE "C" NOT NULL
        );
        CREATE INDEX workflows_by_update ON workflows (updated_at DESC, id);
        CREATE TABLE workflow_versions (
            workflow_id TEXT COLLATE "C" NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            checksum TEXT COLLATE "C" NOT NULL REFERENCES documents(checksum),
            created_at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (workflow_id, version)
        );
        CREATE TABLE runs (
            id TEXT COLLATE "C" PRIMARY KEY,
            workflow_id TEXT COLLATE "C",
            version INTEGER,
            checksum TEXT COLLATE "C" NOT NULL,
            status TEXT COLLATE "C" NOT NULL,
            inputs JSON NOT NULL,
            config JSON NOT NULL DEFAULT '{}',
            error TEXT,
            final_state JSON,
            node_states JSON NOT NULL DEFAULT '{}',
            interrupt JSON,
            parent_run_id TEXT COLLATE "C",
            parent_checkpoint_id TEXT,
            owner TEXT,
            created_at TEXT COLLATE "C" NOT NULL,
            started_at TEXT COLLATE "C",
            finished_at TEXT COLLATE "C",
            updated_at TEXT COLLATE "C" NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX runs_by_created ON runs (created_at DESC, id);
        CREATE INDEX runs_by_workflow ON runs (workflow_id, created_at);
        CREATE INDEX runs_by_status ON runs (status);
        CREATE TABLE run_transitions (
            run_id TEXT COLLATE "C" NOT NULL,
            n INTEGER NOT NULL,
            status TEXT COLLATE "C" NOT NULL,
            at TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (run_id, n)
        );
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
        CREATE TABLE run_events (
            run_id TEXT COLLATE "C" NOT NULL,
            seq INTEGER NOT NULL,
            type TEXT NOT NULL,
            node TEXT,
            at TEXT NOT NULL,
            data JSON NOT NULL,
            PRIMARY KEY (run_id, seq)
        );
        """,
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
        """
        CREATE TABLE credentials (
            id TEXT COLLATE "C" PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            scope JSON,
            description TEXT NOT NULL DEFAULT '',
            sealed BYTEA NOT NULL,
            key_id TEXT NOT NULL,
            expires_at TEXT,
            created_at TEXT NOT NULL,
            rotated_at TEXT,
            version INTEGER NOT NULL
        );
        CREATE TABLE credential_audit (
            id BIGSERIAL PRIMARY KEY,
            credential_id TEXT NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            action TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT,
            workflow_id TEXT,
            run_id TEXT,
            node TEXT,
            detail TEXT
        );
        CREATE INDEX credential_audit_by_name ON credential_audit (name, id);
        """,
    ),
    Migration(
        4,
        "triggers: jobs, webhook deliveries, cron state and fires, dispatch policies",
        """
        CREATE TABLE trigger_jobs (
            id TEXT COLLATE "C" PRIMARY KEY,
            workflow_id TEXT COLLATE "C" NOT NULL,
            version INTEGER,
            inputs JSON NOT NULL,
            config JSON NOT NULL,
            source TEXT NOT NULL,
            source_key TEXT,
            serial INTEGER NOT NULL DEFAULT 0,
            dedupe_key TEXT,
            status TEXT COLLATE "C" NOT NULL,
            run_id TEXT COLLATE "C" NOT NULL UNIQUE,
            attempt INTEGER NOT NULL,
            max_attempts INTEGER NOT NULL,
            not_before TEXT,
            attempts JSON NOT NULL,
            error TEXT,
            created_at TEXT COLLATE "C" NOT NULL,
            updated_at TEXT COLLATE "C" NOT NULL,
            finished_at TEXT,
            UNIQUE (workflow_id, dedupe_key)
        );
        CREATE INDEX trigger_jobs_by_status ON trigger_jobs (status, workflow_id, created_at);
        CREATE TABLE trigger_deliveries (
            id TEXT COLLATE "C" PRIMARY KEY,
            workflow_id TEXT COLLATE "C" NOT NULL,
            job_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            idempotency_key TEXT,
            signature TEXT,
            method TEXT NOT NULL,
            headers JSON NOT NULL,
            query JSON NOT NULL,
            body_sha256 TEXT NOT NULL,
            body_bytes INTEGER NOT NULL,
            received_at TEXT COLLATE "C" NOT NULL,
            UNIQUE (workflow_id, idempotency_key),
            UNIQUE (workflow_id, signature)
        );
        CREATE INDEX trigger_deliveries_by_time ON trigger_deliveries (workflow_id, received_at);
        CREATE TABLE cron_state (
            workflow_id TEXT COLLATE "C" NOT NULL,
            trigger_id TEXT COLLATE "C" NOT NULL,
            expression TEXT NOT NULL,
            timezone TEXT NOT NULL,
            last_fire_at TEXT NOT NULL,
            PRIMARY KEY (workflow_id, trigger_id)
        );
        CREATE TABLE cron_fires (
            workflow_id TEXT COLLATE "C" NOT NULL,
            trigger_id TEXT COLLATE "C" NOT NULL,
            scheduled_for TEXT COLLATE "C" NOT NULL,
            status TEXT NOT NULL,
            at TEXT NOT NULL,
            run_id TEXT,
            detail TEXT,
            PRIMARY KEY (workflow_id, trigger_id, scheduled_for)
        );
        CREATE TABLE trigger_policies (
            workflow_id TEXT COLLATE "C" PRIMARY KEY,
            data JSON NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        5,
        "HTTP polling triggers: what each last saw",
        """
        CREATE TABLE poll_state (
            workflow_id TEXT COLLATE "C" NOT NULL,
            trigger_id TEXT COLLATE "C" NOT NULL,
            target TEXT NOT NULL,
            seen TEXT,
            polled_at TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT,
            run_id TEXT,
            PRIMARY KEY (workflow_id, trigger_id)
        );
        """,
    ),
    Migration(
        6,
        "each run's OpenTelemetry spans",
        """
        CREATE TABLE run_spans (
            run_id TEXT COLLATE "C" NOT NULL,
            span_id TEXT COLLATE "C" NOT NULL,
            trace_id TEXT COLLATE "C" NOT NULL,
            parent_span_id TEXT COLLATE "C",
            name TEXT NOT NULL,
            start_ns BIGINT NOT NULL,
            end_ns BIGINT NOT NULL,
            data JSON NOT NULL,
            PRIMARY KEY (run_id, span_id)
        );
        """,
    ),
    Migration(
        7,
        "the run's first span (W3C traceparent), so a resume elsewhere continues its trace",
        """
        ALTER TABLE runs ADD COLUMN trace_parent TEXT;
        """,
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
