"""The dispatcher: per-workflow concurrency, retries with exponential backoff, dead letters."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from orcheo_jupyter.triggers.dispatcher import parse_iso
from tests.conftest import code_doc

from .conftest import Env, until


def _overlap(intervals: list[tuple[str, str]]) -> int:
    """The most runs that were running at the same moment."""
    marks = sorted(
        [(parse_iso(a), 1) for a, _ in intervals] + [(parse_iso(b), -1) for _, b in intervals]
    )
    most = current = 0
    for _, step in marks:
        current += step
        most = max(most, current)
    return most


@pytest.mark.asyncio
async def test_runs_beyond_the_concurrency_limit_wait(env: Env) -> None:
    doc = code_doc("import asyncio\nawait asyncio.sleep(0.15)\nreturn state['inputs']['n']")
    wid = await env.workflow(doc, "slow")
    dispatcher = env.dispatcher(max_concurrency=2)
    await dispatcher.start()
    try:
        jobs = [dispatcher.new_job(wid, {"n": n}, source="manual", version=1) for n in range(5)]
        queued = await dispatcher.enqueue(jobs)
        assert [new for _, new in queued] == [True] * 5
        await asyncio.sleep(0.05)
        assert dispatcher.counts(wid) == {"queued": 3, "running": 2, "retrying": 0}
        await until(lambda: dispatcher.settled["succeeded"] == 5)
    finally:
        await dispatcher.stop()
    runs, total = await env.executor.store.list_runs(workflow_id=wid)
    assert total == 5 and {r.status for r in runs} == {"succeeded"}
    assert sorted(r.final_state["results"]["c"] for r in runs) == [0, 1, 2, 3, 4]  # type: ignore[index]
    spans = [(r.started_at, r.finished_at) for r in runs]
    assert _overlap(spans) == 2  # type: ignore[arg-type]
    stored = [await env.store.get_job(j.id) for j in jobs]
    assert {j.status for j in stored} == {"succeeded"}


@pytest.mark.asyncio
async def test_failed_runs_retry_with_exponential_backoff_then_dead_letter(env: Env) -> None:
    wid = await env.workflow(code_doc("raise ValueError('boom')"), "flaky")
    dispatcher = env.dispatcher(max_attempts=3, backoff_seconds=10, backoff_factor=2)
    await dispatcher.start()
    try:
        ((job, _),) = await dispatcher.enqueue(
            [dispatcher.new_job(wid, {}, source="manual", version=1)]
        )
        first_run = job.run_id

        async def status() -> str:
            return (await env.store.get_job(job.id)).status

        async def runs() -> int:
            return (await env.executor.store.list_runs(workflow_id=wid))[1]

        await until(lambda: dispatcher.settled["retrying"] == 1)
        stored = await env.store.get_job(job.id)
        assert stored.status == "retrying" and stored.attempt == 2
        assert parse_iso(stored.not_before or "") == env.clock.now() + dt.timedelta(seconds=10)

        env.clock.advance(9.9)
        await asyncio.sleep(0.2)
        assert await runs() == 1  # not yet
        env.clock.advance(0.1)
        await until(lambda: dispatcher.settled["retrying"] == 2)
        assert await runs() == 2
        stored = await env.store.get_job(job.id)
        assert parse_iso(stored.not_before or "") == env.clock.now() + dt.timedelta(seconds=20)

        env.clock.advance(20)
        await until(lambda: dispatcher.settled["dead"] == 1)
        assert await status() == "dead"
    finally:
        await dispatcher.stop()
    dead, total = await env.store.list_jobs(status="dead")
    assert total == 1
    letter = dead[0]
    assert letter.attempt == 3 and len(letter.attempts) == 3
    assert letter.attempts[0]["run_id"] == first_run
    assert {a["error"] for a in letter.attempts} == {
        "node 'c' failed (line 1 of its code): ValueError: boom"
    }
    run_ids = [a["run_id"] for a in letter.attempts]
    assert len(set(run_ids)) == 3
    for run_id in run_ids:
        assert (await env.executor.store.get_run(run_id)).status == "failed"


@pytest.mark.asyncio
async def test_a_run_that_cannot_start_is_stored_failed_with_the_reason(env: Env) -> None:
    doc = code_doc("return self.key", config={"key": "[[missing_key]]"}, injected=["key"])
    wid = await env.workflow(doc, "needs-key")
    dispatcher = env.dispatcher(max_attempts=1)
    await dispatcher.start()
    try:
        ((job, _),) = await dispatcher.enqueue(
            [dispatcher.new_job(wid, {}, source="manual", version=1)]
        )
        await until(lambda: dispatcher.settled["dead"] == 1)
    finally:
        await dispatcher.stop()
    run = await env.executor.store.get_run(job.run_id)  # the id callers were given answers
    assert run.status == "failed"
    assert run.error == (
        "error: node 'c' config.key: credential 'missing_key' cannot be resolved: "
        "this executor has no vault"
    )
    events = await env.executor.store.list_events(job.run_id)
    assert [(e.type, e.data) for e in events] == [("run_failed", {"error": run.error})]


@pytest.mark.asyncio
async def test_a_job_whose_run_already_exists_is_followed_not_started_again(env: Env) -> None:
    wid = await env.workflow(code_doc("return 7"), "once")
    dispatcher = env.dispatcher()
    job = dispatcher.new_job(wid, {}, source="manual", version=1)
    await env.store.add_jobs([job])
    # A process started the run and died before it could record the job as done.
    doc = await env.executor.store.get_version(wid, 1)
    await env.executor.execute(doc.document or {}, workflow_id=wid, run_id=job.run_id)

    restarted = env.dispatcher()
    await restarted.start()
    try:
        await until(lambda: restarted.settled["succeeded"] == 1)
    finally:
        await restarted.stop()
    assert (await env.executor.store.list_runs(workflow_id=wid))[1] == 1
    assert (await env.store.get_job(job.id)).status == "succeeded"


@pytest.mark.asyncio
async def test_a_repeated_idempotency_key_returns_the_first_job(env: Env) -> None:
    wid = await env.workflow(code_doc("return 1"), "dedupe")
    dispatcher = env.dispatcher()
    await dispatcher.start()
    try:
        first = dispatcher.new_job(wid, {"n": 1}, source="manual", version=1, dedupe_key="k")
        ((stored, new),) = await dispatcher.enqueue([first])
        assert new and stored is first
        again = dispatcher.new_job(wid, {"n": 2}, source="manual", version=1, dedupe_key="k")
        ((stored_again, new_again),) = await dispatcher.enqueue([again])
        assert not new_again and stored_again.id == first.id
        assert stored_again.run_id == first.run_id and stored_again.inputs == {"n": 1}
        await until(lambda: dispatcher.settled["succeeded"] == 1)
    finally:
        await dispatcher.stop()
    assert (await env.executor.store.list_runs(workflow_id=wid))[1] == 1


@pytest.mark.asyncio
async def test_a_dead_letter_can_be_retried_with_a_fresh_budget(env: Env) -> None:
    wid = await env.workflow(code_doc("raise RuntimeError('nope')"), "dies")
    dispatcher = env.dispatcher(max_attempts=1)
    await dispatcher.start()
    try:
        ((job, _),) = await dispatcher.enqueue(
            [dispatcher.new_job(wid, {}, source="manual", version=1)]
        )
        await until(lambda: dispatcher.settled["dead"] == 1)
        retried = await dispatcher.retry_dead(job.id)
        assert retried.status == "queued" and retried.max_attempts == 2
        assert retried.run_id not in {a["run_id"] for a in retried.attempts}
        await until(lambda: dispatcher.settled["dead"] == 2)
    finally:
        await dispatcher.stop()
    letter = await env.store.get_job(job.id)
    assert letter.status == "dead" and letter.attempt == 2 and len(letter.attempts) == 2


@pytest.mark.asyncio
async def test_a_burst_of_deliveries_holds_back_run_starts_until_it_passes(env: Env) -> None:
    doc = code_doc("import asyncio\nawait asyncio.sleep(0.05)\nreturn 1")
    wid = await env.workflow(doc, "bursty")
    dispatcher = env.dispatcher(max_concurrency=10)
    dispatcher.max_active, dispatcher.burst_max_active, dispatcher.burst_rate = 8, 1, 40
    await dispatcher.start()
    try:
        for _ in range(30):  # 30 arrivals in one 0.25 s bucket: 120/s > 40/s
            dispatcher.arrived()
        assert dispatcher.limit == 1
        await dispatcher.enqueue(
            [dispatcher.new_job(wid, {}, source="manual", version=1) for _ in range(6)]
        )
        await asyncio.sleep(0.02)
        assert dispatcher.counts(wid)["running"] == 1  # accepting comes first
        await until(lambda: dispatcher.limit == 8)  # the burst is over (two quiet buckets)
        await until(lambda: dispatcher.settled["succeeded"] == 6)
    finally:
        await dispatcher.stop()


@pytest.mark.asyncio
async def test_queued_runs_answer_as_pending_before_they_start(env: Env) -> None:
    wid = await env.workflow(code_doc("return state['inputs']['n']"), "later")
    dispatcher = env.dispatcher()  # not started: nothing runs yet
    queued = await dispatcher.enqueue(
        [dispatcher.new_job(wid, {"n": n}, source="manual", version=1) for n in range(3)]
    )
    for job, _ in queued:
        run = await env.executor.store.get_run(job.run_id)
        assert (run.status, run.inputs, run.version) == ("pending", job.inputs, 1)
    await dispatcher.start()
    try:
        await until(lambda: dispatcher.settled["succeeded"] == 3)
    finally:
        await dispatcher.stop()
    for job, _ in queued:
        run = await env.executor.store.get_run(job.run_id)
        assert run.status == "succeeded" and run.final_state["results"]["c"] == job.inputs["n"]  # type: ignore[index]
        events = await env.executor.store.list_events(job.run_id)
        assert events[0].type == "run_started" and events[-1].type == "run_finished"
    assert (await env.executor.store.list_runs(workflow_id=wid))[1] == 3
