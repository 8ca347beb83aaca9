"""The Repository protocol, proven identical on SQLite and PostgreSQL (parametrised).

Every test here runs twice through the ``repo`` fixture in conftest.py: once on a
SQLite file, once on a fresh database of a real PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.common.span_rows import SpanRow, span_columns
from orcheo_jupyter.store import (
    Conflict,
    EventRecord,
    NotFound,
    Repository,
    RunBatch,
    RunRecord,
    RunUpdate,
    SqliteRepository,
)
from orcheo_jupyter.store.postgres import PostgresRepository
from tests.conftest import linear_doc

SPAN: SpanRow = ("a1", "4bf92f3577b34da6a3ce929d0e0e4736", None, "orcheo.run", 1, 2, "{}")


def body(*names: str, name: str = "wf") -> tuple[str, str]:
    doc = spec.document_from_data(linear_doc(*names, name=name))
    return spec.checksum(doc), spec.dumps(doc)


@pytest.mark.asyncio
async def test_versions_are_immutable_and_checksummed(repo: Repository) -> None:
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
async def test_a_deployment_records_the_version_it_stored_until_the_workflow_goes(
    repo: Repository,
) -> None:
    """What a bundle deployment stored is recorded with the version, in the same write;
    other stores leave the record alone, and deleting the workflow deletes it."""
    c1, b1 = body("a")
    c2, b2 = body("a", "b")
    c3, b3 = body("a", "b", "c")
    assert await repo.get_deployment("w1") is None
    await repo.create_workflow("w1", "flow", "", [], c1, b1, deployed=True)
    first = await repo.get_deployment("w1")
    assert first is not None and (first.checksum, first.version) == (c1, 1)
    await repo.add_version("w1", "flow", "", [], c2, b2)  # an edit, not a deployment
    assert await repo.get_deployment("w1") == first
    await repo.add_version("w1", "flow", "", [], c3, b3, deployed=True)
    third = await repo.get_deployment("w1")
    assert third is not None and (third.checksum, third.version) == (c3, 3)
    await repo.add_version("w1", "flow", "", [], c2, b2)
    await repo.add_version("w1", "flow", "", [], c2, b2, deployed=True)  # already the latest
    again = await repo.get_deployment("w1")
    assert again is not None and (again.checksum, again.version) == (c2, 4)
    await repo.create_workflow("w2", "other", "", [], c1, b1)
    assert await repo.get_deployment("w2") is None
    await repo.add_version("w2", "other", "", [], c2, b2)
    await repo.record_deployment("w2", c1, 1)  # an older deployment, found in the history
    found = await repo.get_deployment("w2")
    assert found is not None and (found.checksum, found.version) == (c1, 1)
    assert (await repo.get_workflow("w2")).latest_version == 2  # nothing else written
    await repo.delete_workflow("w1")
    assert await repo.get_deployment("w1") is None


@pytest.mark.asyncio
async def test_duplicate_id_conflicts_and_slugs_stay_unique(repo: Repository) -> None:
    c, b = body("a")
    await repo.create_workflow("w1", "Same", "", [], c, b)
    with pytest.raises(Conflict):
        await repo.create_workflow("w1", "Other", "", [], c, b)
    second = await repo.create_workflow("w2", "Same", "", [], c, b)
    assert second.slug == "same-2"
    assert (await repo.get_workflow("same-2")).id == "w2"


@pytest.mark.asyncio
async def test_list_filters_and_paginates(repo: Repository) -> None:
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
async def test_delete_keeps_runs(repo: Repository) -> None:
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
async def test_batch_is_all_or_nothing(repo: Repository) -> None:
    c, b = body("a")
    run = RunRecord(
        id="r1", checksum=c, status="pending", inputs={"x": 1}, created_at="t0", updated_at="t0"
    )
    await repo.create_run(run, b)
    events = [EventRecord("r1", 1, "run_started", "t1", None, {})]
    await repo.write_batch(
        RunBatch(events, [RunUpdate("r1", "t1", {"status": "running", "last_seq": 1})])
    )
    bad = [EventRecord("r1", 2, "node_started", "t2", "a", {})]
    with pytest.raises(ValueError, match="cannot update run fields"):
        await repo.write_batch(
            RunBatch(bad, [RunUpdate("r1", "t2", {"nonsense": 1})], [("r1", [SPAN])])
        )
    assert [e.seq for e in await repo.list_events("r1")] == [1]
    assert await repo.list_spans("r1") == []  # the spans went with the failed batch
    stored = await repo.get_run("r1")
    assert stored.status == "running" and stored.inputs == {"x": 1}
    assert [t.status for t in await repo.list_transitions("r1")] == ["pending", "running"]
    assert await repo.get_document(c) == b


def run_record(
    run_id: str, *, workflow_id: str | None = None, at: str = "t0", **kw: object
) -> RunRecord:
    return RunRecord(
        id=run_id,
        checksum="c",
        status=str(kw.pop("status", "pending")),
        inputs=dict(kw.pop("inputs", {})),  # type: ignore[call-overload]
        created_at=at,
        updated_at=at,
        workflow_id=workflow_id,
        **kw,  # type: ignore[arg-type]
    )


def test_both_backends_implement_the_whole_interface() -> None:
    """Each backend supplies what Repository leaves abstract, and no abstract
    declaration shadows a backend's own method (a base listed in the wrong order)."""
    assert {"open", "create_run", "write_batch", "try_lock"} <= Repository.__abstractmethods__
    for cls in (SqliteRepository, PostgresRepository):
        missing = sorted(cls.__abstractmethods__)
        assert not missing, f"{cls.__name__} lacks {missing}"
        for name in Repository.__abstractmethods__:
            assert inspect.iscoroutinefunction(getattr(cls, name)) == (name != "write_batch_now")


@pytest.mark.asyncio
async def test_run_round_trips_every_field(repo: Repository) -> None:
    await repo.put_document("c", "{}")
    inputs = {"zeta": 1, "alpha": {"b": [1, 2.5, None, True], "a": "ünï ☃"}, "nul": "a\x00b"}
    run = run_record(
        "r1",
        workflow_id="w",
        inputs=inputs,
        version=3,
        config={"configurable": {"x": 1}},
        parent_run_id="r0",
        parent_checkpoint_id="cp",
        owner="me",
    )
    await repo.create_run(run)
    got = await repo.get_run("r1")
    assert got == run
    # key order of stored JSON survives (users see inputs as they sent them)
    assert list(got.inputs) == ["zeta", "alpha", "nul"]
    assert list(got.inputs["alpha"]) == ["b", "a"]
    with pytest.raises(Conflict, match="run r1 already exists"):
        await repo.create_run(run_record("r1"))
    with pytest.raises(NotFound, match="run 'nope' not found"):
        await repo.get_run("nope")


TRACE_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.asyncio
async def test_updates_record_each_transition(repo: Repository) -> None:
    await repo.create_run(run_record("r1"))
    steps = [
        ("t1", {"status": "running", "started_at": "t1", "trace_parent": TRACE_PARENT}),
        ("t2", {"node_states": {"a": "succeeded"}, "last_seq": 3}),  # no status: no transition
        ("t3", {"status": "interrupted", "interrupt": [{"id": "i1", "value": {"q": 1}}]}),
        ("t4", {"status": "running", "interrupt": None}),
        ("t5", {"status": "running"}),  # a second start counts (a resume of a running run)
        ("t6", {"status": "succeeded", "final_state": {"out": 1}, "finished_at": "t6"}),
        ("t7", {"status": "succeeded", "error": None}),  # same status again: nothing new
    ]
    for at, fields in steps:
        await repo.write_batch(RunBatch([], [RunUpdate("r1", at, fields)]))
    transitions = await repo.list_transitions("r1")
    assert [(t.status, t.at) for t in transitions] == [
        ("pending", "t0"),
        ("running", "t1"),
        ("interrupted", "t3"),
        ("running", "t4"),
        ("running", "t5"),
        ("succeeded", "t6"),
    ]
    run = await repo.get_run("r1")
    assert (run.status, run.interrupt, run.final_state, run.last_seq) == (
        "succeeded",
        None,
        {"out": 1},
        3,
    )
    assert (run.started_at, run.finished_at, run.updated_at) == ("t1", "t6", "t7")
    assert run.node_states == {"a": "succeeded"}
    assert run.trace_parent == TRACE_PARENT  # kept by the first part for the next ones


@pytest.mark.asyncio
async def test_events_replay_from_any_sequence_number(repo: Repository) -> None:
    await repo.create_run(run_record("r1"))
    await repo.create_run(run_record("r2"))
    first = [EventRecord("r1", s, "e", f"t{s}", "n" if s % 2 else None, {"s": s}) for s in (1, 2)]
    await repo.write_batch(RunBatch([*first, EventRecord("r2", 1, "other", "t", None, {})]))
    later = [EventRecord("r1", s, "e", f"t{s}", None, {"s": s, "k": [s]}) for s in (3, 4, 5)]
    # a replayed (duplicate) event is ignored, never an error
    await repo.write_batch(RunBatch([first[1], *later], [RunUpdate("r1", "t5", {"last_seq": 5})]))
    events = await repo.list_events("r1")
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0] == EventRecord("r1", 1, "e", "t1", "n", {"s": 1})
    assert events[4].data == {"s": 5, "k": [5]}
    assert [e.seq for e in await repo.list_events("r1", after=2)] == [3, 4, 5]
    assert [e.seq for e in await repo.list_events("r1", after=1, limit=2)] == [2, 3]
    assert await repo.list_events("r1", after=5) == []
    assert [e.type for e in await repo.list_events("r2")] == ["other"]


@pytest.mark.asyncio
async def test_list_runs_filters_orders_and_pages(repo: Repository) -> None:
    for i in range(6):
        await repo.create_run(
            run_record(f"r{i}", workflow_id="wa" if i < 4 else "wb", at=f"2024-01-0{i + 1}")
        )
    await repo.write_batch(RunBatch([], [RunUpdate("r1", "x", {"status": "succeeded"})]))
    runs, total = await repo.list_runs(limit=3)
    assert total == 6 and [r.id for r in runs] == ["r5", "r4", "r3"]
    runs, _ = await repo.list_runs(limit=3, offset=3)
    assert [r.id for r in runs] == ["r2", "r1", "r0"]
    runs, total = await repo.list_runs(workflow_id="wa", status="pending")
    assert total == 3 and [r.id for r in runs] == ["r3", "r2", "r0"]
    assert (await repo.list_runs(status="succeeded"))[1] == 1
    assert await repo.list_runs(workflow_id="none") == ([], 0)


@pytest.mark.asyncio
async def test_text_sorts_by_code_point_on_both_backends(repo: Repository) -> None:
    """Ids and times compare byte-wise, as SQLite does (not by a locale's rules)."""
    for rid in ("b", "B", "a", "_", "A"):
        await repo.create_run(run_record(rid, at="same"))
    runs, _ = await repo.list_runs()
    assert [r.id for r in runs] == ["A", "B", "_", "a", "b"]


@pytest.mark.asyncio
async def test_search_is_case_insensitive_and_tags_match_exactly(repo: Repository) -> None:
    c, b = body("a")
    await repo.create_workflow("w1", "Invoice Sync", "Pulls INVOICES", ["billing", "nightly"], c, b)
    await repo.create_workflow("w2", "Other", "", ["bill"], c, b)
    assert [w.id for w in (await repo.list_workflows(query="invoice"))[0]] == ["w1"]
    assert [w.id for w in (await repo.list_workflows(query="SYNC"))[0]] == ["w1"]
    assert [w.id for w in (await repo.list_workflows(tag="bill"))[0]] == ["w2"]
    assert [w.id for w in (await repo.list_workflows(tag="nightly", query="inv"))[0]] == ["w1"]
    assert (await repo.get_workflow("w1")).tags == ["billing", "nightly"]


@pytest.mark.asyncio
async def test_new_version_renames_and_keeps_old_slug_free(repo: Repository) -> None:
    c1, b1 = body("a")
    c2, b2 = body("a", "b")
    await repo.create_workflow("w1", "Alpha", "d1", ["x"], c1, b1)
    await repo.create_workflow("w2", "Beta", "", [], c1, b1)
    v = await repo.add_version("w1", "Beta", "d2", ["y"], c2, b2)
    assert v.version == 2 and v.document == json.loads(b2)
    wf = await repo.get_workflow("w1")
    assert (wf.name, wf.slug, wf.description, wf.tags) == ("Beta", "beta-2", "d2", ["y"])
    assert (await repo.get_workflow("beta")).id == "w2"
    with pytest.raises(NotFound, match="workflow 'alpha' not found"):
        await repo.get_workflow("alpha")
    assert (await repo.get_version("beta-2")).version == 2
    with pytest.raises(NotFound):
        await repo.add_version("missing", "x", "", [], c1, b1)
    with pytest.raises(NotFound):
        await repo.delete_workflow("missing")


@pytest.mark.asyncio
async def test_concurrent_creates_get_distinct_slugs(repo: Repository) -> None:
    c, b = body("a")
    made = await asyncio.gather(
        *(repo.create_workflow(f"w{i}", "Same Name", "", [], c, b) for i in range(8))
    )
    assert sorted(w.slug for w in made) == sorted(
        ["same-name", *(f"same-name-{n}" for n in range(2, 9))]
    )
    results = await asyncio.gather(
        *(repo.create_workflow("dup", f"n{i}", "", [], c, b) for i in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 3


@pytest.mark.asyncio
async def test_locks_have_one_holder_expire_and_renew(repo: Repository) -> None:
    assert await repo.try_lock("cron:leader", "a", 30)
    assert not await repo.try_lock("cron:leader", "b", 30)
    assert await repo.try_lock("cron:leader", "a", 30)  # the holder extends it
    assert await repo.lock_owner("cron:leader") == "a"
    assert not await repo.release_lock("cron:leader", "b")  # only the holder releases
    assert await repo.release_lock("cron:leader", "a")
    assert await repo.lock_owner("cron:leader") is None
    assert await repo.try_lock("cron:leader", "b", 0.2)
    await asyncio.sleep(0.3)
    assert await repo.lock_owner("cron:leader") is None
    assert await repo.try_lock("cron:leader", "c", 30)  # an expired lock is free
    # renew extends only unexpired locks of that owner
    assert await repo.try_lock("run:1", "w1", 0.5)
    assert await repo.try_lock("run:2", "w1", 0.5)
    assert await repo.try_lock("run:3", "w2", 0.5)
    assert await repo.renew_locks("w1", 30) == 2
    await asyncio.sleep(0.6)
    assert [await repo.lock_owner(f"run:{i}") for i in (1, 2, 3)] == ["w1", "w1", None]


@pytest.mark.asyncio
async def test_fenced_writes_store_only_runs_whose_lease_the_writer_holds(
    repo: Repository,
) -> None:
    """A worker that lost a run's lease to another writes nothing more of it."""
    from orcheo_jupyter.store.fencing import Fence

    await repo.create_run(run_record("mine"))
    await repo.create_run(run_record("taken"))
    assert await repo.try_lock("run:mine", "w1", 0.2)
    assert await repo.try_lock("run:taken", "w1", 0.2)
    await asyncio.sleep(0.3)  # both lapse; w2 takes one of them
    assert await repo.try_lock("run:taken", "w2", 30)
    fence = Fence("w1", lambda run_id: f"run:{run_id}")
    events = [EventRecord(r, 1, "run_started", "t1", None, {}) for r in ("mine", "taken")]
    updates = [RunUpdate(r, "t1", {"status": "running", "last_seq": 1}) for r in ("mine", "taken")]
    spans = [(r, [SPAN]) for r in ("mine", "taken")]
    # Lapsed but taken by no one: still w1's to write (and to renew).
    assert await repo.write_fenced(RunBatch(events, updates, spans), fence) == {"taken"}
    assert [e.type for e in await repo.list_events("mine")] == ["run_started"]
    assert [s["name"] for s in await repo.list_spans("mine")] == ["orcheo.run"]
    assert await repo.list_events("taken") == [] and await repo.list_spans("taken") == []
    assert (await repo.get_run("taken")).status == "pending"
    assert (await repo.get_run("mine")).status == "running"
    assert await repo.renew_leases("w1", ["run:mine", "run:taken"], 30) == {"run:mine"}
    assert await repo.lock_owner("run:mine") == "w1"  # renewed although it had lapsed
    assert await repo.lock_owner("run:taken") == "w2"
    assert await repo.write_fenced(RunBatch(), fence) == set()


@pytest.mark.asyncio
async def test_contended_lock_has_exactly_one_winner(repo: Repository) -> None:
    results = await asyncio.gather(*(repo.try_lock("leader", f"o{i}", 30) for i in range(10)))
    assert sum(results) == 1


@pytest.mark.asyncio
async def test_create_runs_stores_a_burst_and_skips_known_ids(repo: Repository) -> None:
    await repo.create_run(run_record("r1"))
    create_runs = getattr(repo, "create_runs")  # noqa: B009 - optional batch method
    assert await create_runs([run_record("r0"), run_record("r1"), run_record("r2")]) == [
        True,
        False,
        True,
    ]
    runs, total = await repo.list_runs()
    assert total == 3 and sorted(r.id for r in runs) == ["r0", "r1", "r2"]
    assert [t.status for t in await repo.list_transitions("r2")] == ["pending"]


@pytest.mark.asyncio
async def test_large_inputs_come_back_whole_from_get_and_list(repo: Repository) -> None:
    """SQLite keeps inputs over 64 KiB beside the run row; every read joins them back."""
    big = {"text": "x" * 100_000, "n": 1}
    small = {"n": 2}
    for run_id, inputs in (("big", big), ("small", small)):
        await repo.create_run(
            RunRecord(
                id=run_id,
                checksum="c",
                status="pending",
                inputs=inputs,
                created_at=f"t-{run_id}",
                updated_at="t",
            ),
            "{}",
        )
    assert (await repo.get_run("big")).inputs == big
    runs, total = await repo.list_runs(id_prefix="b")
    assert total == 1 and runs[0].inputs == big
    runs, total = await repo.list_runs()
    assert total == 2 and {r.id: r.inputs for r in runs} == {"big": big, "small": small}


@pytest.mark.asyncio
async def test_spans_are_kept_with_their_run_once_each_in_start_order(repo: Repository) -> None:
    def span(span_id: str, start: int, parent: str | None = None, **attributes: object) -> dict:
        return {
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": span_id,
            "parent_span_id": parent,
            "name": "orcheo.node" if parent else "orcheo.run",
            "kind": "internal",
            "start_ns": start,
            "end_ns": start + 1_500_000,
            "status": {"code": "error", "message": "bad \ud800 text"},
            "attributes": {"orcheo.run.id": "r1", **attributes},
            "events": [{"name": "orcheo.node.retry", "time_ns": start + 5, "attributes": {}}],
            "service": {"name": "orcheo-jupyter", "pid": 42},
        }

    # Nanoseconds since the epoch need 64 bits; the second batch repeats a span.
    late = 1_765_000_000_123_456_789
    b2 = span("00000000000000b2", late + 10, "00000000000000a1", n=2)
    await repo.add_spans("r1", [span_columns(b2)])
    await repo.add_spans(
        "r1",
        [
            span_columns(span("00000000000000a1", late)),
            span_columns(span("00000000000000b2", late + 10, "00000000000000a1")),
        ],
    )
    await repo.add_spans("other", [span_columns(span("00000000000000c3", late))])
    spans = await repo.list_spans("r1")
    assert [s["span_id"] for s in spans] == ["00000000000000a1", "00000000000000b2"]
    assert spans[1] == span("00000000000000b2", late + 10, "00000000000000a1", n=2)
    assert spans[0]["start_ns"] == late and spans[0]["parent_span_id"] is None
    assert await repo.list_spans("nobody") == []


@pytest.mark.asyncio
async def test_search_takes_percent_underscore_and_backslash_literally(repo: Repository) -> None:
    """``%`` and ``_`` are LIKE wildcards: a search for "100%" or "my_flow" matched every
    workflow, or "myXflow"; they (and a backslash) now mean themselves."""
    c, b = body("a")
    await repo.create_workflow("w1", "100% done", "", [], c, b)
    await repo.create_workflow("w2", "1000 done", "", [], c, b)
    await repo.create_workflow("w3", "my_flow", "", [], c, b)
    await repo.create_workflow("w4", "myXflow", "", [], c, b)
    await repo.create_workflow("w5", "C:\\temp", "", [], c, b)

    async def found(query: str) -> list[str]:
        return sorted(w.id for w in (await repo.list_workflows(query=query))[0])

    assert await found("%") == ["w1"]
    assert await found("100%") == ["w1"]
    assert await found("_") == ["w3"]
    assert await found("my_flow") == ["w3"]
    assert await found("\\") == ["w5"]
    assert await found("C:\\t") == ["w5"]
    assert await found("flow") == ["w3", "w4"]
