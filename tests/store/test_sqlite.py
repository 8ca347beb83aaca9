"""The SQLite repository: versions, queries, atomic batches and two processes at once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter import spec
from orcheo_jupyter.store import (
    Conflict,
    EventRecord,
    NotFound,
    RunRecord,
    RunUpdate,
    SqliteRepository,
)
from tests.conftest import linear_doc


@pytest_asyncio.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    r = SqliteRepository(tmp_path / "orcheo.sqlite")
    await r.open()
    yield r
    await r.close()


def body(*names: str, name: str = "wf") -> tuple[str, str]:
    doc = spec.document_from_data(linear_doc(*names, name=name))
    return spec.checksum(doc), spec.dumps(doc)


@pytest.mark.asyncio
async def test_versions_are_immutable_and_checksummed(repo: SqliteRepository) -> None:
    c1, b1 = body("a")
    wf = await repo.create_workflow("w1", "My Flow", "", ["demo"], c1, b1)
    assert (wf.slug, wf.latest_version) == ("my-flow", 1)
    c2, b2 = body("a", "b")
    v2 = await repo.add_version("w1", "My Flow", "", ["demo"], c2, b2)
    assert v2.version == 2 and v2.checksum == c2
    same = await repo.add_version("w1", "My Flow", "", ["demo"], c2, b2)
    assert same.version == 2  # identical content adds no version
    v1 = await repo.get_version("w1", 1)
    assert v1.checksum == c1 and v1.document == json.loads(b1)
    assert [v.version for v in await repo.list_versions("my-flow")] == [1, 2]
    with pytest.raises(NotFound, match="no version 7"):
        await repo.get_version("w1", 7)


@pytest.mark.asyncio
async def test_duplicate_id_conflicts_and_slugs_stay_unique(repo: SqliteRepository) -> None:
    c, b = body("a")
    await repo.create_workflow("w1", "Same", "", [], c, b)
    with pytest.raises(Conflict):
        await repo.create_workflow("w1", "Other", "", [], c, b)
    second = await repo.create_workflow("w2", "Same", "", [], c, b)
    assert second.slug == "same-2"
    assert (await repo.get_workflow("same-2")).id == "w2"


@pytest.mark.asyncio
async def test_list_filters_and_paginates(repo: SqliteRepository) -> None:
    c, b = body("a")
    for i in range(5):
        await repo.create_workflow(
            f"w{i}", f"flow {i}", "about cats" if i % 2 else "", ["t"] if i < 2 else [], c, b
        )
    page, total = await repo.list_workflows(limit=2, offset=0)
    assert total == 5 and len(page) == 2
    rest, _ = await repo.list_workflows(limit=10, offset=2)
    assert len({w.id for w in page} | {w.id for w in rest}) == 5
    cats, n = await repo.list_workflows(query="cats")
    assert n == 2 and {w.id for w in cats} == {"w1", "w3"}
    tagged, n = await repo.list_workflows(tag="t")
    assert n == 2 and {w.id for w in tagged} == {"w0", "w1"}


@pytest.mark.asyncio
async def test_delete_keeps_runs(repo: SqliteRepository) -> None:
    c, b = body("a")
    await repo.create_workflow("w1", "x", "", [], c, b)
    run = RunRecord(
        id="r1",
        checksum=c,
        status="pending",
        inputs={},
        created_at="t0",
        updated_at="t0",
        workflow_id="w1",
    )
    await repo.create_run(run)
    await repo.delete_workflow("w1")
    with pytest.raises(NotFound):
        await repo.get_workflow("w1")
    assert (await repo.get_run("r1")).workflow_id == "w1"


@pytest.mark.asyncio
async def test_batch_is_all_or_nothing(repo: SqliteRepository) -> None:
    c, b = body("a")
    run = RunRecord(
        id="r1", checksum=c, status="pending", inputs={"x": 1}, created_at="t0", updated_at="t0"
    )
    await repo.create_run(run, b)
    events = [EventRecord("r1", 1, "run_started", "t1", None, {})]
    await repo.write_batch(events, [RunUpdate("r1", "t1", {"status": "running", "last_seq": 1})])
    bad = [EventRecord("r1", 2, "node_started", "t2", "a", {})]
    with pytest.raises(ValueError, match="cannot update run fields"):
        await repo.write_batch(bad, [RunUpdate("r1", "t2", {"nonsense": 1})])
    assert [e.seq for e in await repo.list_events("r1")] == [1]
    stored = await repo.get_run("r1")
    assert stored.status == "running" and stored.inputs == {"x": 1}
    assert [t.status for t in await repo.list_transitions("r1")] == ["pending", "running"]
    assert await repo.get_document(c) == b


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from orcheo_jupyter.store import SqliteRepository, RunRecord, EventRecord, RunUpdate

    async def main(path, tag):
        repo = SqliteRepository(path)
        await repo.open()
        for i in range(100):
            rid = f"{tag}-{i}"
            await repo.create_run(RunRecord(id=rid, checksum="c", status="pending", inputs={},
                                            created_at="t", updated_at="t"))
            await repo.write_batch(
                [EventRecord(rid, s, "e", "t", None, {"s": s}) for s in range(1, 6)],
                [RunUpdate(rid, "t", {"status": "succeeded", "last_seq": 5})],
            )
        await repo.close()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.asyncio
async def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag], stderr=subprocess.PIPE, text=True
        )
        for tag in ("kernel", "server")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    repo = SqliteRepository(path)
    await repo.open()
    try:
        runs, total = await repo.list_runs(limit=1000)
        assert total == 200
        assert {r.status for r in runs} == {"succeeded"}
        for tag in ("kernel", "server"):
            assert [e.seq for e in await repo.list_events(f"{tag}-42")] == [1, 2, 3, 4, 5]
    finally:
        await repo.close()
