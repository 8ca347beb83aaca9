"""SQLiteNode on real database files and PostgresNode on Debian's PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import ValidationError

from orcheo_jupyter.nodes.library.storage import SQLiteNode
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.vault import Vault
from tests.conftest import vaulted_executor
from tests.services import PostgresServer

from .helpers import chain_doc, node, results, run, run_node

EVIL = "Robert'); DROP TABLE people; --"


def _people_db(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
        conn.executemany(
            "INSERT INTO people (name, score) VALUES (?, ?)",
            [(f"p{i}", i / 2) for i in range(1, 8)],
        )


@pytest.mark.asyncio
async def test_sqlite_node_inserts_and_queries_with_bound_parameters(
    executor: Executor, tmp_path: Path
) -> None:
    db = tmp_path / "people.db"
    _people_db(db)
    doc = chain_doc(
        node(
            "add",
            "SQLiteNode",
            database=str(db),
            query="INSERT INTO people (name, score) VALUES (:name, :score)",
            parameters={"name": "{{inputs.name}}", "score": "{{inputs.score}}"},
            fetch="none",
        ),
        node(
            "top",
            "SQLiteNode",
            database=str(db),
            query="SELECT id, name, score FROM people WHERE score >= ? ORDER BY score DESC",
            parameters=["{{inputs.min}}"],
            max_rows=2,
        ),
        node(
            "evil",
            "SQLiteNode",
            database=str(db),
            query="SELECT name FROM people WHERE name = ?",
            parameters=["{{inputs.name}}"],
            fetch="one",
        ),
    )
    out = results(await run(executor, doc, {"name": EVIL, "score": 9.5, "min": 3}))
    assert out["add"] == {"rows": [], "rowcount": 1, "columns": [], "truncated": False}
    assert out["top"] == {
        "rows": [{"id": 8, "name": EVIL, "score": 9.5}, {"id": 7, "name": "p7", "score": 3.5}],
        "rowcount": 2,
        "columns": ["id", "name", "score"],
        "truncated": True,
    }
    assert out["evil"]["row"] == {"name": EVIL}
    with sqlite3.connect(db) as conn:  # the table survived the "injection"
        assert conn.execute("SELECT count(*) FROM people").fetchone() == (8,)


@pytest.mark.asyncio
async def test_sqlite_statements_are_one_transaction(executor: Executor, tmp_path: Path) -> None:
    db = tmp_path / "people.db"
    _people_db(db)
    ok = node(
        "tx",
        "SQLiteNode",
        database=str(db),
        statements=[
            {"query": "INSERT INTO people (name) VALUES (?)", "parameters": ["{{inputs.a}}"]},
            {"query": "UPDATE people SET score = 0 WHERE name = ?", "parameters": ["p1"]},
            {
                "query": "SELECT name, score FROM people WHERE score = 0 OR name = ?",
                "parameters": ["{{inputs.a}}"],
            },
        ],
    )
    out = results(await run(executor, chain_doc(ok), {"a": "zed"}))
    assert out["tx"]["rows"] == [{"name": "p1", "score": 0.0}, {"name": "zed", "score": None}]

    failing = node(
        "tx",
        "SQLiteNode",
        database=str(db),
        statements=[
            {"query": "INSERT INTO people (name) VALUES (?)", "parameters": ["ghost"]},
            {"query": "INSERT INTO nowhere VALUES (1)"},
        ],
    )
    record = await run(executor, chain_doc(failing))
    assert record.status == "failed"
    assert "statements[1].query: OperationalError: no such table: nowhere" in (record.error or "")
    with sqlite3.connect(db) as conn:  # the first insert was rolled back
        assert conn.execute("SELECT count(*) FROM people WHERE name='ghost'").fetchone() == (0,)


@pytest.mark.asyncio
async def test_sqlite_relative_paths_live_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    executor = await Executor.open(Settings(data_dir=data, durability="sync"))
    try:
        doc = chain_doc(
            node("mk", "SQLiteNode", database="notes.db", query="CREATE TABLE n (t TEXT)"),
            node(
                "put",
                "SQLiteNode",
                database="notes.db",
                query="INSERT INTO n VALUES (?)",
                parameters=["hi"],
            ),
        )
        results(await run(executor, doc))
    finally:
        await executor.aclose()
    with sqlite3.connect(data / "notes.db") as conn:
        assert conn.execute("SELECT t FROM n").fetchall() == [("hi",)]


@pytest.mark.asyncio
async def test_sql_text_never_takes_templates_and_errors_name_the_field(
    executor: Executor, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError) as err:
        SQLiteNode.model_validate({"query": "SELECT * FROM t WHERE name = '{{inputs.name}}'"})
    assert err.value.errors()[0]["loc"] == ("query",)
    assert "use placeholders and pass the values in parameters" in str(err.value)
    with pytest.raises(ValidationError) as err:
        SQLiteNode.model_validate({})
    assert "set exactly one of query or statements" in str(err.value)

    record = await run(
        executor,
        chain_doc(node("q", "SQLiteNode", query="SELECT ?", parameters=[1, 2])),
    )
    assert record.status == "failed"
    assert "parameters: Incorrect number of bindings supplied" in (record.error or "")
    with pytest.raises(Exception) as missing:
        await run_node(
            "SQLiteNode", {"database": str(tmp_path / "no" / "x.db"), "query": "SELECT 1"}
        )
    assert "database: cannot open" in str(missing.value)


@pytest.mark.asyncio
async def test_sqlite_timeout_interrupts_a_long_query() -> None:
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    with pytest.raises(Exception) as err:
        await run_node("SQLiteNode", {"query": slow, "timeout": 0.2})
    assert str(err.value) == "timeout: timed out after 0.2s"


# --- PostgreSQL -----------------------------------------------------------------


@pytest_asyncio.fixture
async def pg_env(
    tmp_path: Path, postgres_server: PostgresServer
) -> AsyncIterator[tuple[Executor, Vault, str]]:
    dsn = postgres_server.new_database()
    postgres_server.psql("ALTER USER postgres PASSWORD 'pg-Secret-77'")
    secret_dsn = dsn.replace("postgres@", "postgres:pg-Secret-77@")
    postgres_server.psql(
        "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, "
        "total numeric(10,2), placed timestamptz DEFAULT '2026-01-02T03:04:05Z');"
        "INSERT INTO orders (customer, total) VALUES ('ada', 12.50), ('bob', 7), ('ada', 1.25)",
        database=dsn.rsplit("/", 1)[1],
    )
    async with vaulted_executor(tmp_path / "data") as (executor, vault):
        await vault.create("pg_dsn", value=secret_dsn, scope=["orders"])
        yield executor, vault, secret_dsn


@pytest.mark.asyncio
async def test_postgres_node_queries_with_a_secret_dsn(
    pg_env: tuple[Executor, Vault, str],
) -> None:
    executor, _, _ = pg_env
    doc = chain_doc(
        node(
            "add",
            "PostgresNode",
            dsn="[[pg_dsn]]",
            query="INSERT INTO orders (customer, total) VALUES (%(who)s, %(total)s) RETURNING id",
            parameters={"who": "{{inputs.who}}", "total": "{{inputs.total}}"},
            fetch="one",
        ),
        node(
            "report",
            "PostgresNode",
            dsn="[[pg_dsn]]",
            query="SELECT customer, sum(total) AS spent, min(placed) AS first FROM orders "
            "WHERE customer <> %s GROUP BY customer ORDER BY customer",
            parameters=["nobody"],
        ),
        name="orders",
        id="orders",
    )
    record = await run(executor, doc, {"who": EVIL, "total": 3})
    out = results(record)
    assert out["add"]["row"] == {"id": 4}
    assert out["report"]["rows"] == [
        {"customer": EVIL, "spent": 3, "first": "2026-01-02T03:04:05+00:00"},
        {"customer": "ada", "spent": 13.75, "first": "2026-01-02T03:04:05+00:00"},
        {"customer": "bob", "spent": 7, "first": "2026-01-02T03:04:05+00:00"},
    ]
    stored = json.dumps(
        [
            (await executor.store.get_run(record.id)).as_dict(),
            [e.as_dict() for e in await executor.store.list_events(record.id)],
            await executor.checkpoints(record.id),
        ],
        default=str,
    )
    assert "pg-Secret-77" not in stored


@pytest.mark.asyncio
async def test_postgres_statements_roll_back_together(
    pg_env: tuple[Executor, Vault, str], postgres_server: PostgresServer
) -> None:
    executor, _, secret_dsn = pg_env
    doc = chain_doc(
        node(
            "tx",
            "PostgresNode",
            dsn="[[pg_dsn]]",
            statements=[
                {"query": "DELETE FROM orders WHERE customer = %s", "parameters": ["ada"]},
                {"query": "INSERT INTO orders (customer) VALUES (NULL)"},
            ],
        ),
        name="orders",
        id="orders",
    )
    record = await run(executor, doc)
    assert record.status == "failed"
    assert "statements[1].query: NotNullViolation" in (record.error or "")
    assert "pg-Secret-77" not in (record.error or "")
    database = secret_dsn.rsplit("/", 1)[1]
    assert postgres_server.psql("SELECT count(*) FROM orders", database=database) == "3"


@pytest.mark.asyncio
async def test_postgres_connection_errors_name_the_dsn_field(
    postgres_server: PostgresServer,
) -> None:
    bad = postgres_server.dsn("no_such_database_here")
    with pytest.raises(Exception) as err:
        await run_node("PostgresNode", {"dsn": bad, "query": "SELECT 1", "timeout": 5})
    assert str(err.value).startswith("dsn: cannot connect: OperationalError")
    assert 'database "no_such_database_here" does not exist' in str(err.value)


@pytest.mark.asyncio
async def test_noop_task_node(executor: Executor) -> None:
    doc: dict[str, Any] = chain_doc(node("a", "NoOpTaskNode"), node("b", "NoOpTaskNode"))
    assert results(await run(executor, doc)) == {"a": {}, "b": {}}
