"""What each durability policy writes: counted in the checkpoint file itself."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.admission import ManualStart
from orcheo_jupyter.runtime.checkpoints import close_saver, open_sqlite_saver
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.store.sqlite import SqliteRepository
from tests.conftest import code_doc, linear_doc

pytestmark = pytest.mark.asyncio

Factory = Callable[[float], Awaitable[Executor]]


def _stored_checkpoints(path: Path, run_id: str) -> int:
    """Rows another process would see (its own connection, committed data only)."""
    with sqlite3.connect(path) as conn:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (run_id,)
            ).fetchone()[0]
        )


async def _executor(tmp_path: Path, interval: float) -> Executor:
    store = SqliteRepository(tmp_path / "orcheo.sqlite")
    await store.open()
    saver = await open_sqlite_saver(tmp_path / "ck.sqlite", min_interval=interval)
    durability = "async" if interval else "sync"
    return Executor(store, saver, durability=durability)


@pytest_asyncio.fixture
async def make(tmp_path: Path) -> AsyncIterator[Factory]:
    made: list[Executor] = []

    async def factory(interval: float) -> Executor:
        ex = await _executor(tmp_path, interval)
        made.append(ex)
        return ex

    yield factory
    for ex in made:
        await ex.aclose()
        await ex.store.close()
        await close_saver(ex.checkpointer)


async def test_sync_policy_stores_every_step(make: Factory, tmp_path: Path) -> None:
    ex = await make(0.0)
    record = await ex.execute(linear_doc("a", "b", "c"), {})
    assert record.status == "succeeded"
    # input, start, and one after each of the three nodes
    assert _stored_checkpoints(tmp_path / "ck.sqlite", record.id) == 5
    assert [c["step"] for c in await ex.checkpoints(record.id)] == [3, 2, 1, 0, -1]


async def test_a_fast_run_under_the_async_policy_stores_only_its_last_checkpoint(
    make: Factory, tmp_path: Path
) -> None:
    ex = await make(5.0)
    record = await ex.execute(linear_doc("a", "b", "c"), {})
    assert record.status == "succeeded"
    assert _stored_checkpoints(tmp_path / "ck.sqlite", record.id) == 1
    (last,) = await ex.checkpoints(record.id)
    assert last["step"] == 3 and last["next"] == []
    assert set(last["results"]) == {"a", "b", "c"}


async def test_a_run_started_by_hand_and_its_fork_store_every_step_under_the_async_policy(
    make: Factory, tmp_path: Path
) -> None:
    ex = await make(5.0)
    record = await ex.execute(linear_doc("a", "b", "c"), {}, manual=ManualStart("ada"))
    assert record.status == "succeeded" and record.config["durability"] == "sync"
    # How the run is stored is not the nodes' business: the state's config lacks it.
    assert record.final_state["config"] == {}
    # Each step is one to fork from, as under the sync policy.
    assert _stored_checkpoints(tmp_path / "ck.sqlite", record.id) == 5
    steps = await ex.checkpoints(record.id)
    assert [(c["step"], c["next"]) for c in steps] == [
        (3, []),
        (2, ["c"]),
        (1, ["b"]),
        (0, ["a"]),
        (-1, ["__start__"]),
    ]
    before_b = next(c for c in steps if c["next"] == ["b"])
    fork_id = await ex.rerun(record.id, before_b["checkpoint_id"])
    forked = await ex.wait(fork_id)
    assert forked.status == "succeeded" and set(forked.final_state["results"]) == {"a", "b", "c"}
    # The fork ran b and c, each step stored; the source run's rows are as they were.
    assert [c["next"] for c in await ex.checkpoints(fork_id)][:3] == [[], ["c"], ["b"]]
    # Its first event says where it starts and which results it carries from there.
    started = (await ex.store.list_events(fork_id))[0]
    assert started.type == "run_started"
    assert started.data["forked_from"] == {
        "run_id": record.id,
        "checkpoint_id": before_b["checkpoint_id"],
        "carried": ["a"],
    }
    assert [e.node for e in await ex.store.list_events(fork_id) if e.type == "node_finished"] == [
        "b",
        "c",
    ]
    assert _stored_checkpoints(tmp_path / "ck.sqlite", record.id) == 5
    # A run no person started (a trigger's) still stores only its last checkpoint.
    triggered = await ex.execute(linear_doc("a", "b", "c"), {})
    assert _stored_checkpoints(tmp_path / "ck.sqlite", triggered.id) == 1


async def test_a_slow_node_is_checkpointed_before_it_finishes(
    make: Factory, tmp_path: Path
) -> None:
    """What a crash during the slow node would resume from is on disk while it runs."""
    ex = await make(0.2)
    doc = linear_doc("a", "slow", "c")
    doc["graph"]["ir"]["nodes"][1] = {
        "kind": "builtin",
        "id": "slow",
        "type": "DelayNode",
        "config": {"duration_seconds": 1.5},
    }
    run_id = await ex.submit(doc, {})
    await asyncio.sleep(0.8)  # well past the interval, well before the node ends
    assert _stored_checkpoints(tmp_path / "ck.sqlite", run_id) >= 1
    record = await ex.wait(run_id, timeout=30)
    assert record.status == "succeeded"
    snapshots = await ex.checkpoints(run_id)
    assert snapshots[0]["step"] == 3  # and the last one, once it ended
    assert any(s["next"] == ["slow"] for s in snapshots)  # the one taken while it ran


async def test_state_that_cannot_be_checkpointed_fails_the_run_plainly(make: Factory) -> None:
    """msgpack holds 64-bit integers: a node that makes a bigger one fails its run clearly.

    (Inputs that big never get this far: admission refuses them, tests/security.)
    """
    ex = await make(5.0)
    record = await ex.execute(code_doc("return {'n': 2**70}"), {})
    assert record.status == "failed"
    assert record.error is not None
    assert record.error == (
        "node 'c' failed: it returned a value that cannot be stored: an integer beyond 64 bits"
        " at results.c.n; return JSON-like data (dicts, lists, strings, numbers, booleans, None)"
    )
    stored = await ex.store.get_run(record.id)
    assert stored.status == "failed" and stored.error == record.error
    assert (await ex.execute(linear_doc("a"), {"n": 1})).status == "succeeded"  # next run fine
