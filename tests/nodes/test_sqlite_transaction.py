"""The SQL node's and the vector store's one transaction on their own connection."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from orcheo_jupyter.nodes.support.sqlite_transaction import transaction


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
    return conn


def _stored(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [v for (v,) in conn.execute("SELECT v FROM t ORDER BY v")]


def test_commits_what_the_block_wrote(tmp_path: Path) -> None:
    conn = _open(tmp_path / "db")
    with transaction(conn, "BEGIN IMMEDIATE"):
        conn.execute("INSERT INTO t VALUES (1)")
        assert conn.in_transaction
    assert not conn.in_transaction
    assert _stored(tmp_path / "db") == [1]


@pytest.mark.parametrize("error", [ValueError("bad row"), asyncio.CancelledError()])
def test_any_exception_rolls_back_and_is_raised_again(tmp_path: Path, error: BaseException) -> None:
    conn = _open(tmp_path / "db")
    with pytest.raises(type(error)), transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        raise error
    assert not conn.in_transaction
    assert _stored(tmp_path / "db") == []


def test_a_failed_begin_is_raised_without_a_rollback(tmp_path: Path) -> None:
    conn = _open(tmp_path / "db")
    with pytest.raises(sqlite3.OperationalError, match="near"), transaction(conn, "BEGIN NONSENSE"):
        pytest.fail("the block runs only inside a transaction")
