"""The dialect-neutral layer itself: statements, placeholders, unique violations."""

from __future__ import annotations

import sqlite3

import pytest

from orcheo_jupyter.store.sql import (
    Duplicate,
    Steps,
    drive,
    insert,
    one,
    postgres_sql,
    rows,
    run,
    upsert,
    where,
)


def test_statements_are_written_once_with_question_marks() -> None:
    assert insert("t", ("a", "b")) == "INSERT INTO t (a, b) VALUES (?, ?)"
    assert upsert("t", ("k", "a", "b"), ("k",)) == (
        "INSERT INTO t (k, a, b) VALUES (?, ?, ?)"
        " ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b"
    )
    assert postgres_sql("SELECT * FROM t WHERE a LIKE ? AND b = '5%'") == (
        "SELECT * FROM t WHERE a LIKE %s AND b = '5%%'"
    )


def test_where_leaves_out_unused_filters() -> None:
    assert where([("a = ?", None), ("b = ?", None)]) == ("", [])
    assert where([("a = ?", 1), ("(x = ? OR y = ?)", ("p", "q")), ("c = ?", None)]) == (
        " WHERE a = ? AND (x = ? OR y = ?)",
        [1, "p", "q"],
    )


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL)")
    return conn


def test_steps_receive_each_result_and_return_theirs() -> None:
    def steps() -> Steps[tuple[int, list[str], str | None]]:
        changed = yield run(insert("t", ("k", "v")), ("a", "1"))
        yield run(insert("t", ("k", "v")), ("b", "2"))
        found = yield rows("SELECT k FROM t ORDER BY k")
        missing = yield one("SELECT v FROM t WHERE k = ?", ("z",))
        return changed, [r["k"] for r in found], missing

    assert drive(_conn(), steps()) == (1, ["a", "b"], None)


def test_a_unique_violation_is_thrown_into_the_steps() -> None:
    conn = _conn()

    def steps() -> Steps[str]:
        yield run(insert("t", ("k", "v")), ("a", "1"))
        try:
            yield run(insert("t", ("k", "v")), ("a", "2"))
        except Duplicate as exc:
            return f"refused: {exc}"
        return "stored"

    assert drive(conn, steps()) == "refused: UNIQUE constraint failed: t.k"


def test_other_integrity_errors_propagate() -> None:
    def steps() -> Steps[None]:
        yield run(insert("t", ("k", "v")), ("a", None))

    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        drive(_conn(), steps())
