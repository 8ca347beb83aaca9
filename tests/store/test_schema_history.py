"""Each migration still creates, step by step, exactly the schema it created when released.

The tables are declared once (``store/tables.py``) and every migration renders
them, so an edit to a declaration would silently change what an *old* migration
creates: new files would differ from files made by earlier versions (which never
run that migration again). ``schema_history.json`` holds the schema after each
migration as the released versions created it (written by hand-kept DDL before
the declarations existed); after each step a new database must match it, and so
an old file at any version, migrated on, ends where a new one does.

Regenerate it only on purpose: ``python tests/store/test_schema_history.py``
(it records what the code on ``PYTHONPATH`` creates).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.store import postgres_schema, sqlite_schema
from orcheo_jupyter.store.sqlite_migrate import migrate
from orcheo_jupyter.triggers import store_schema
from orcheo_jupyter.vault.store import SqliteCredentialStore

HISTORY = Path(__file__).with_name("schema_history.json")

SQLITE_STORES: dict[str, Mapping[int, str]] = {
    "repository": sqlite_schema.MIGRATIONS,
    "triggers": store_schema.MIGRATIONS,
    "vault": SqliteCredentialStore.migrations,
}


def sqlite_schema_text(conn: sqlite3.Connection) -> list[str]:
    """Every table, index and trigger as SQLite stores its definition (white space folded)."""
    found = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    )
    return [f"{kind} {name}: {' '.join(sql.split())}" for kind, name, sql in found]


def sqlite_history(migrations: Mapping[int, str], path: Path) -> dict[str, list[str]]:
    """The schema after each migration, applied one at a time to a new file."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        steps = {}
        for version in sorted(migrations):
            migrate(conn, {v: migrations[v] for v in migrations if v <= version})
            steps[str(version)] = sqlite_schema_text(conn)
        return steps
    finally:
        conn.close()


_PG_SCHEMA = (
    """SELECT table_name || '.' || column_name || ' ' || data_type
        || COALESCE(' COLLATE ' || collation_name, '') || ' null=' || is_nullable
        || COALESCE(' DEFAULT ' || column_default, '')
    FROM information_schema.columns WHERE table_schema = 'public'
    ORDER BY table_name, ordinal_position""",
    """SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace ORDER BY 1""",
    "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
    """SELECT tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid) FROM pg_trigger
    WHERE NOT tgisinternal ORDER BY 1""",
    """SELECT proname || ' ' || regexp_replace(prosrc, '\\s+', ' ', 'g') FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace ORDER BY 1""",
)


def postgres_history(dsn: str) -> dict[str, list[str]]:
    """The schema after each migration, applied one at a time to an empty database."""
    import psycopg

    steps = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for migration in postgres_schema.MIGRATIONS:
            conn.execute(migration.sql.encode())
            steps[str(migration.version)] = [
                str(row[0]) for query in _PG_SCHEMA for row in conn.execute(query.encode())
            ]
    return steps


def _recorded() -> dict[str, Any]:
    return json.loads(HISTORY.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("store", sorted(SQLITE_STORES))
def test_sqlite_migrations_create_what_released_versions_created(
    store: str, tmp_path: Path
) -> None:
    assert (
        sqlite_history(SQLITE_STORES[store], tmp_path / "db.sqlite")
        == (_recorded()["sqlite"][store])
    )


def test_postgres_migrations_create_what_released_versions_created(postgres_dsn: str) -> None:
    assert postgres_history(postgres_dsn) == _recorded()["postgres"]


if __name__ == "__main__":  # records the history of the code on PYTHONPATH
    import tempfile

    sys.path.insert(0, str(Path(__file__).parents[2]))
    from tests.services import PostgresServer

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = {s: sqlite_history(m, Path(tmp) / f"{s}.sqlite") for s, m in SQLITE_STORES.items()}
    server = PostgresServer.start()
    try:
        postgres = postgres_history(server.new_database())
    finally:
        server.stop()
    HISTORY.write_text(
        json.dumps({"sqlite": sqlite, "postgres": postgres}, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
