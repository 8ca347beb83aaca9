"""One bad item in a group-commit batch fails alone; everything batched with it commits.

Each batch here holds items an input surface would have refused (a lone surrogate,
which SQLite cannot encode), submitted straight to the store, so the test shows the
batching itself isolates the failure, whatever slips past validation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from orcheo_jupyter.runtime.writer import BatchWriter
from orcheo_jupyter.store.group_commit import GroupCommit
from orcheo_jupyter.store.isolate import isolate
from orcheo_jupyter.store.records import EventRecord, RunRecord, RunUpdate
from orcheo_jupyter.store.sqlite import SqliteRepository
from orcheo_jupyter.triggers.records import Delivery, Job
from orcheo_jupyter.triggers.store import SqliteTriggerStore
from orcheo_jupyter.vault.records import AuditEntry
from orcheo_jupyter.vault.store import SqliteCredentialStore

BAD = "\ud800"  # json.loads('"\\ud800"'): a str that cannot be encoded as UTF-8
AT = "2026-12-06T00:00:00.000000Z"


def _job(i: int, body: str) -> tuple[Delivery, Job]:
    wid = "wf-b" if body == BAD else "wf-a"
    job = Job(f"job-{i}", wid, None, {"body": body}, "webhook", f"run-{i}", 3, AT, AT)
    return Delivery(f"del-{i}", wid, job.id, job.run_id, AT, "POST"), job


async def test_webhook_deliveries_commit_around_unstorable_ones(tmp_path: Path) -> None:
    store = SqliteTriggerStore(tmp_path / "triggers.sqlite")
    await store.open()
    try:
        items = [_job(i, BAD if i % 10 == 3 else f"ok {i}") for i in range(300)]
        results = await asyncio.gather(
            *(store.accept_delivery(d, j) for d, j in items), return_exceptions=True
        )
        good = [r for r in results if not isinstance(r, BaseException)]
        bad = [r for r in results if isinstance(r, BaseException)]
        assert len(good) == 270 and {r.outcome for r in good} == {"accepted"}
        assert len(bad) == 30 and all(isinstance(e, UnicodeEncodeError) for e in bad)
        stored, total = await store.list_deliveries("wf-a", limit=1000)
        assert total == 270
        assert {d.id for d in stored} == {d.id for d, j in items if j.inputs["body"] != BAD}
        assert (await store.list_deliveries("wf-b"))[1] == 0
        jobs, count = await store.list_jobs(limit=1000)
        assert count == 270 and all(j.inputs["body"].startswith("ok") for j in jobs)
    finally:
        await store.close()


async def test_job_updates_commit_around_an_unstorable_one(tmp_path: Path) -> None:
    store = SqliteTriggerStore(tmp_path / "triggers.sqlite")
    await store.open()
    try:
        items = [_job(i, f"ok {i}") for i in range(20)]
        for delivery, job in items:
            await store.accept_delivery(delivery, job)
        updates = [
            Job(**{**j.__dict__, "status": "failed", "error": BAD if i == 7 else f"e{i}"})
            for i, (_, j) in enumerate(items)
        ]
        results = await asyncio.gather(
            *(store.update_job(j) for j in updates), return_exceptions=True
        )
        assert [i for i, r in enumerate(results) if isinstance(r, UnicodeEncodeError)] == [7]
        errors = {j.id: j.error for j in (await store.list_jobs(limit=100))[0]}
        assert errors["job-7"] is None  # untouched
        assert all(errors[f"job-{i}"] == f"e{i}" for i in range(20) if i != 7)
    finally:
        await store.close()


async def test_vault_audit_entries_commit_around_an_unstorable_one(tmp_path: Path) -> None:
    store = SqliteCredentialStore(tmp_path / "vault.sqlite")
    await store.open()
    try:
        entries = [
            AuditEntry("cred", "api_key", "read", AT, detail=BAD if i == 5 else f"read {i}")
            for i in range(40)
        ]
        results = await asyncio.gather(*(store.audit(e) for e in entries), return_exceptions=True)
        assert [i for i, r in enumerate(results) if isinstance(r, BaseException)] == [5]
        rows, _ = await store.list_audit(limit=100)
        assert sorted(e.detail for e in rows) == sorted(f"read {i}" for i in range(40) if i != 5)
    finally:
        await store.close()


async def _repository(tmp_path: Path) -> SqliteRepository:
    repo = SqliteRepository(tmp_path / "orcheo.sqlite")
    await repo.open()
    await repo.put_document("sum", "{}")
    return repo


def _run(i: int, value: str) -> RunRecord:
    return RunRecord(f"run-{i}", "sum", "pending", {"value": value}, AT, AT)


async def test_runs_created_in_one_batch_commit_around_an_unstorable_one(tmp_path: Path) -> None:
    repo = await _repository(tmp_path)
    try:
        pending: GroupCommit[RunRecord, bool] = GroupCommit(repo.create_runs)
        runs = [_run(i, BAD if i in (0, 33) else f"v{i}") for i in range(50)]
        results = await asyncio.gather(*(pending.submit(r) for r in runs), return_exceptions=True)
        assert [i for i, r in enumerate(results) if isinstance(r, BaseException)] == [0, 33]
        assert all(r is True for i, r in enumerate(results) if i not in (0, 33))
        for i in range(1, 50):
            if i != 33:
                assert (await repo.get_run(f"run-{i}")).inputs == {"value": f"v{i}"}
    finally:
        await repo.close()


async def test_events_of_other_runs_are_stored_when_one_cannot_be(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = await _repository(tmp_path)
    try:
        for i in range(3):
            await repo.create_run(_run(i, "x"))
        writer = BatchWriter(repo, delay=10)  # nothing is written until flush
        for seq in range(1, 6):
            for i in range(3):
                data = {"out": BAD} if (i, seq) == (1, 3) else {"out": f"{i}/{seq}"}
                writer.add_event(EventRecord(f"run-{i}", seq, "node_finished", AT, "n", data))
        writer.add_update(RunUpdate("run-0", AT, {"status": "succeeded"}))
        writer.add_update(RunUpdate("run-2", AT, {"error": BAD}))
        await asyncio.wait_for(writer.flush(), 10)
        await writer.close()
        for i in range(3):
            seqs = [e.seq for e in await repo.list_events(f"run-{i}")]
            assert seqs == ([1, 2, 4, 5] if i == 1 else [1, 2, 3, 4, 5])
        assert (await repo.get_run("run-0")).status == "succeeded"
        assert (await repo.get_run("run-2")).error is None
        assert "run run-1: event 3 (node_finished) not stored" in caplog.text
        assert "run run-2: status update not stored" in caplog.text
    finally:
        await repo.close()


async def test_isolate_does_not_split_on_database_errors() -> None:
    import sqlite3

    calls: list[int] = []

    async def locked(part: Sequence[int]) -> list[None]:
        calls.append(len(part))
        raise sqlite3.OperationalError("database is locked")

    results = await isolate(list(range(64)), locked)
    assert calls == [64]  # one try: a locked database is nobody's item's fault
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
