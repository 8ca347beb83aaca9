"""One huge value fails its own run, with the limit in the error; nobody else stalls.

The attack: a code node returning ``'a' * 10**9`` (or a TemplateNode rendering it)
made SQLite raise ``string or blob too big`` inside the writer shared by every run;
the writer retried forever, every other run stayed ``running``, cancel timed out and
a restart resumed into the same stall.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.common.timestamps import utcnow
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec.io import document_from_data, stored_form
from orcheo_jupyter.store.records import RunRecord
from orcheo_jupyter.triggers import recover_orphans
from tests.conftest import code_doc, linear_doc
from tests.server.conftest import Call

from .test_storage_bounds import Create, Wait

MIB = 1024 * 1024
LIMIT_HINT = "raise max_value_bytes (c.OrcheoApp.max_value_bytes, ORCHEO_MAX_VALUE_BYTES)"


async def _open(tmp_path: Path, **settings: Any) -> Executor:
    return await Executor.open(Settings(data_dir=tmp_path / "data", **settings))


def _template_doc(size: int) -> dict[str, Any]:
    return {
        "name": "template-bomb",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "t",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "t",
                        "type": "TemplateNode",
                        "config": {"template": "{{ 'a' * " + str(size) + " }}"},
                    }
                ],
                "edges": [{"source": "t", "target": "__end__"}],
            },
        },
    }


async def _assert_stored_failure(executor: Executor, run_id: str, node: str, limit: str) -> None:
    stored = await executor.store.get_run(run_id)
    assert stored.status == "failed"
    assert stored.error is not None
    assert stored.error.startswith(f"node {node!r} failed: its output is ")
    assert f"over the {limit} limit of one stored value; {LIMIT_HINT}" in stored.error
    assert stored.node_states == {node: "failed"}
    events = await executor.store.list_events(run_id)
    assert [e.type for e in events] == ["run_started", "node_started", "node_failed", "run_failed"]
    assert events[-1].data == {"error": stored.error}
    assert all(len(str(e.data)) < 2000 for e in events)  # the value itself went nowhere


@pytest.mark.asyncio
@pytest.mark.parametrize("durability", ["async", "sync"])
async def test_oversized_output_fails_only_its_own_run(tmp_path: Path, durability: str) -> None:
    executor = await _open(tmp_path, durability=durability, max_value_bytes=MIB)
    try:
        slow = code_doc("import time\ntime.sleep(0.3)\nreturn 'ok'", name="slow")
        neighbours = [await executor.submit(slow, {"n": i}) for i in range(8)]
        bombs = [
            await executor.submit(code_doc("return 'a' * 2_000_000", node_id="big")),
            await executor.submit(_template_doc(3_000_000)),
        ]
        waiting = await executor.submit(
            code_doc("import time\ntime.sleep(5)\nreturn 1", name="long")
        )
        for run_id in neighbours:
            record = await executor.wait(run_id, timeout=30)
            assert record.status == "succeeded"
            assert record.final_state["results"] == {"c": "ok"}  # type: ignore[index]
        await executor.wait(bombs[0], timeout=30)
        await executor.wait(bombs[1], timeout=30)
        await _assert_stored_failure(executor, bombs[0], "big", "1 MiB")
        await _assert_stored_failure(executor, bombs[1], "t", "1 MiB")
        assert "is 2.9 MiB when stored" in (await executor.store.get_run(bombs[1])).error  # type: ignore[operator]

        cancelled = await asyncio.wait_for(executor.cancel(waiting), 10)
        assert cancelled.status == "cancelled"
        # New runs start and finish after the bombs.
        after = await asyncio.wait_for(executor.execute(linear_doc("a")), 30)
        assert after.status == "succeeded"
        assert (await executor.store.get_run(after.id)).status == "succeeded"
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_a_gigabyte_output_under_the_default_limit(tmp_path: Path) -> None:
    """The attack as reported, with the default settings."""
    executor = await _open(tmp_path)
    try:
        bomb = await executor.submit(code_doc("return 'a' * 10**9", node_id="gig"))
        neighbour = await executor.submit(linear_doc("a", "b"), {"x": 1})
        assert (await executor.wait(neighbour, timeout=60)).status == "succeeded"
        await executor.wait(bomb, timeout=120)
        await _assert_stored_failure(executor, bomb, "gig", "64 MiB")
        error = (await executor.store.get_run(bomb)).error
        assert "its output is 953.7 MiB when stored" in error  # type: ignore[operator]
        assert (await executor.execute(linear_doc("c"))).status == "succeeded"
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_state_that_outgrows_the_limit_fails_at_its_checkpoint(tmp_path: Path) -> None:
    """Each output fits, their sum does not: the checkpoint (or final state) is refused."""
    executor = await _open(tmp_path, durability="sync", max_value_bytes=MIB)
    try:
        doc = linear_doc("a", "b", "c")
        for node in doc["graph"]["ir"]["nodes"]:
            node.update(kind="code", body="return 'x' * 400_000", config={})
            node.pop("type")
        record = await asyncio.wait_for(executor.execute(doc), 30)
        assert record.status == "failed"
        assert record.error is not None
        assert "the run's state (a checkpoint) is 1.1 MiB when stored, over the 1 MiB" in (
            record.error
        )
        assert LIMIT_HINT in record.error
        assert (await executor.store.get_run(record.id)).status == "failed"
        assert (await executor.execute(linear_doc("d"))).status == "succeeded"
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_inputs_over_the_limit_are_refused_before_the_run_exists(tmp_path: Path) -> None:
    executor = await _open(tmp_path, max_value_bytes=MIB)
    try:
        with pytest.raises(ValueError, match=r"the run's inputs is 2 MiB when stored, over the"):
            await executor.submit(linear_doc("a"), {"blob": "z" * (2 * MIB)})
        runs, total = await executor.store.list_runs()
        assert total == 0 and runs == []
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_checkpoint_writes_that_keep_failing_fail_the_run_instead_of_stalling(
    tmp_path: Path,
) -> None:
    """A write the database refuses (here: SQLite's own length limit) is retried a few
    times, then its run fails; later runs are not stuck behind it."""
    executor = await _open(tmp_path, durability="sync", max_value_bytes=None)
    try:
        saver: Any = executor.checkpointer
        await saver._db.call(lambda conn: conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 200_000))
        record = await asyncio.wait_for(
            executor.execute(code_doc("return 'q' * 300_000", node_id="wide")), 30
        )
        assert record.status == "failed"
        assert record.error is not None
        assert record.error == (
            "the run's state could not be checkpointed: writing it failed 5 times: "
            "DataError: string or blob too big"
        )
        after = await asyncio.wait_for(executor.execute(linear_doc("a")), 30)
        assert after.status == "succeeded"
    finally:
        await executor.aclose()


def _dead_owner() -> str:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:deadbeef"


@pytest.mark.asyncio
async def test_restart_fails_an_unwritable_run_and_resumes_the_others(tmp_path: Path) -> None:
    """Runs a crashed server left running: the bomb fails with the reason, the rest finish."""
    executor = await _open(tmp_path, durability="sync", max_value_bytes=MIB)
    try:
        store = executor.store
        owner, now = _dead_owner(), utcnow()
        runs: dict[str, str] = {}
        for wid, doc in (
            ("bomb", code_doc("return 'a' * 5_000_000", node_id="big")),
            ("fine", code_doc("return 41 + 1")),
        ):
            model = document_from_data({**doc, "id": wid})
            checksum, body = stored_form(model)
            await store.create_workflow(wid, model.name, "", [], checksum, body)
            runs[wid] = checksum
        fat_inputs = {"blob": "i" * (2 * MIB)}  # stored when the limit was higher
        for run_id, wid, inputs in (
            ("bomb-run", "bomb", {}),
            ("fine-run", "fine", {}),
            ("fat-run", "fine", fat_inputs),
        ):
            await store.create_run(
                RunRecord(
                    id=run_id,
                    checksum=runs[wid],
                    status="running",
                    inputs=inputs,
                    created_at=now,
                    updated_at=now,
                    workflow_id=wid,
                    owner=owner,
                )
            )
        report = await asyncio.wait_for(recover_orphans(executor), 30)
        assert sorted(report.resumed) == ["bomb-run", "fine-run"]
        assert list(report.failed) == ["fat-run"]
        assert "ValueTooLarge: the run's inputs is 2 MiB when stored" in report.failed["fat-run"]
        assert (await executor.wait("fine-run", timeout=30)).status == "succeeded"
        await executor.wait("bomb-run", timeout=30)
        await _assert_stored_failure(executor, "bomb-run", "big", "1 MiB")
        fat = await store.get_run("fat-run")
        assert fat.status == "failed" and fat.error == report.failed["fat-run"]
    finally:
        await executor.aclose()


def test_the_limit_is_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHEO_MAX_VALUE_BYTES", "1048576")
    assert Settings.from_env().max_value_bytes == MIB
    monkeypatch.setenv("ORCHEO_MAX_VALUE_BYTES", "lots")
    with pytest.raises(ValueError, match="ORCHEO_MAX_VALUE_BYTES must be a positive whole"):
        Settings.from_env()


class TestTheLimitIsATraitlet:
    @pytest.fixture
    def orcheo_config(self) -> dict[str, Any]:
        return {"max_value_bytes": 64 * 1024}

    async def test_a_node_output_over_it_fails_the_run_and_inputs_over_it_are_413(
        self, api: Call, create_workflow: Create, wait_run: Wait
    ) -> None:
        wid = (await create_workflow(code_doc("return 'a' * 100_000", node_id="big")))["id"]
        reply = await api("POST", "workflows", wid, "execute")
        assert reply.code == 202
        run = await wait_run(reply.body["execution_id"])
        assert run["status"] == "failed"
        assert run["error"].startswith("node 'big' failed: its output is 97.7 KiB when stored")
        assert "over the 64 KiB limit of one stored value" in run["error"]

        too_big = await api(
            "POST", "workflows", wid, "execute", json_body={"inputs": {"x": "i" * 70_000}}
        )
        assert too_big.code == 413
        assert too_big.error["code"] == "too_large"
        assert too_big.error["details"] == {"field": "inputs", "size": 70_008, "limit": 65_536}
        assert "the run's inputs is 68.4 KiB when stored" in too_big.error["message"]
