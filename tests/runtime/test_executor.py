"""The executor: lifecycle, stored events, interrupts, cancel, retries, time travel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orcheo_jupyter.runtime.executor import Executor, RunStateError
from tests.conftest import code_doc, linear_doc


@pytest.mark.asyncio
async def test_lifecycle_events_and_transitions_are_stored(executor: Executor) -> None:
    record = await executor.execute(linear_doc("a", "b"), {"who": "me"})
    assert record.status == "succeeded"
    stored = await executor.store.get_run(record.id)
    assert stored.final_state["results"] == {"a": {"me": "a"}, "b": {"me": "b"}}
    assert stored.final_state["inputs"] == {"who": "me"}
    assert stored.node_states == {"a": "succeeded", "b": "succeeded"}
    assert stored.started_at and stored.finished_at
    transitions = [t.status for t in await executor.store.list_transitions(record.id)]
    assert transitions == ["pending", "running", "succeeded"]
    events = await executor.store.list_events(record.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [(e.type, e.node) for e in events] == [
        ("run_started", None),
        ("node_started", "a"),
        ("node_finished", "a"),
        ("node_started", "b"),
        ("node_finished", "b"),
        ("run_finished", None),
    ]
    assert events[2].data["output"] == {"me": "a"}
    assert events[2].data["duration_ms"] >= 0
    assert events[-1].data["state"]["results"]["b"] == {"me": "b"}


@pytest.mark.asyncio
async def test_unresolved_templates_are_reported_in_events(executor: Executor) -> None:
    doc = linear_doc("a")
    doc["graph"]["ir"]["nodes"][0]["config"] = {"variables": {"v": "{{results.nope}}"}}
    record = await executor.execute(doc)
    events = await executor.store.list_events(record.id)
    assert any(
        e.type == "template_unresolved" and e.data["templates"] == ["{{results.nope}}"]
        for e in events
    )


@pytest.mark.asyncio
async def test_node_failure_names_node_and_line(executor: Executor) -> None:
    record = await executor.execute(code_doc("x = 1\nreturn x / 0", node_id="div"))
    assert record.status == "failed"
    assert (
        record.error
        == "node 'div' failed (line 2 of its code): ZeroDivisionError: division by zero"
    )
    events = await executor.store.list_events(record.id)
    assert [e.type for e in events][-2:] == ["node_failed", "run_failed"]
    assert record.node_states == {"div": "failed"}


@pytest.mark.asyncio
async def test_interrupt_then_resume(executor: Executor) -> None:
    body = "answer = interrupt({'question': 'ok?'})\nreturn {'answer': answer}"
    record = await executor.execute(code_doc(body, node_id="ask"))
    assert record.status == "interrupted"
    assert record.interrupt[0]["value"] == {"question": "ok?"}
    await executor.resume(record.id, "yes")
    done = await executor.wait(record.id)
    assert done.status == "succeeded"
    assert done.final_state["results"]["ask"] == {"answer": "yes"}
    transitions = [t.status for t in await executor.store.list_transitions(record.id)]
    assert transitions == ["pending", "running", "interrupted", "running", "succeeded"]
    types = [e.type for e in await executor.store.list_events(record.id)]
    assert types == [
        "run_started",
        "node_started",
        "interrupted",
        "resumed",
        "node_started",
        "node_finished",
        "run_finished",
    ]
    with pytest.raises(RunStateError, match="not interrupted"):
        await executor.resume(record.id, "again")


@pytest.mark.asyncio
async def test_resume_survives_a_new_executor(tmp_path: Path) -> None:
    from orcheo_jupyter.settings import Settings

    settings = Settings(data_dir=tmp_path)
    first = await Executor.open(settings)
    record = await first.execute(code_doc("return {'got': interrupt('name?')}", node_id="ask"))
    await first.aclose()
    second = await Executor.open(settings)
    try:
        await second.resume(record.id, "Ada")
        done = await second.wait(record.id)
        assert done.final_state["results"]["ask"] == {"got": "Ada"}
        seqs = [e.seq for e in await second.store.list_events(record.id)]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        await second.aclose()


@pytest.mark.asyncio
async def test_cancel_a_running_run(executor: Executor) -> None:
    run_id = await executor.submit(
        code_doc("import asyncio\nawait asyncio.sleep(30)", node_id="slow")
    )
    await asyncio.sleep(0.3)
    record = await executor.cancel(run_id)
    assert record.status == "cancelled"
    stored = await executor.store.get_run(run_id)
    assert stored.status == "cancelled" and stored.finished_at
    assert (await executor.store.list_events(run_id))[-1].type == "run_cancelled"
    with pytest.raises(RunStateError, match="already cancelled"):
        await executor.cancel(run_id)


@pytest.mark.asyncio
async def test_retries_until_success(executor: Executor, tmp_path: Path) -> None:
    counter = tmp_path / "attempts"
    body = (
        "from pathlib import Path\n"
        "p = Path(self.path)\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "if n < 3:\n"
        "    raise ConnectionError(f'flaky {n}')\n"
        "return {'attempts': n}"
    )
    doc = code_doc(
        body,
        node_id="flaky",
        config={"path": str(counter)},
        injected=["path"],
        retry={
            "max_attempts": 3,
            "initial_interval": 0.01,
            "backoff_factor": 3,
            "max_interval": 0.02,
        },
    )
    record = await executor.execute(doc)
    assert record.status == "succeeded"
    assert record.final_state["results"]["flaky"] == {"attempts": 3}
    events = await executor.store.list_events(record.id)
    retrying = [e.data for e in events if e.type == "node_retrying"]
    # The waits follow common.retry.backoff_delay: 0.01, then 0.03 capped at 0.02.
    assert [(r["attempt"], r["error"], r["delay_s"]) for r in retrying] == [
        (1, "ConnectionError: flaky 1", 0.01),
        (2, "ConnectionError: flaky 2", 0.02),
    ]


@pytest.mark.asyncio
async def test_retries_exhausted_fail_the_run(executor: Executor) -> None:
    doc = code_doc(
        "raise ValueError('always')",
        node_id="bad",
        retry={"max_attempts": 2, "initial_interval": 0},
    )
    record = await executor.execute(doc)
    assert record.status == "failed"
    assert "ValueError: always" in record.error


@pytest.mark.asyncio
async def test_node_timeout(executor: Executor) -> None:
    record = await executor.execute(
        code_doc("import asyncio\nawait asyncio.sleep(5)", node_id="slow", timeout=0.2)
    )
    assert record.status == "failed"
    assert record.error == "node 'slow' failed: TimeoutError: timed out after 0.2s"


@pytest.mark.asyncio
async def test_event_stream_replays_then_follows_exactly_once(executor: Executor) -> None:
    doc = code_doc("import asyncio\nawait asyncio.sleep(0.3)\nreturn 1", node_id="slow")
    run_id = await executor.submit(doc)
    seen = [e.seq async for e in executor.events(run_id, after=0)]
    assert seen == list(range(1, len(seen) + 1))
    later = [e.seq async for e in executor.events(run_id, after=2)]
    assert later == seen[2:]


@pytest.mark.asyncio
async def test_rerun_from_a_checkpoint_reuses_earlier_results(
    executor: Executor, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    doc = linear_doc("a", "b")
    doc["graph"]["ir"]["nodes"].append(
        {
            "kind": "code",
            "id": "c",
            "config": {"log": str(log)},
            "injected": ["log"],
            "body": "with open(self.log, 'a') as f:\n    f.write('c')\nreturn state['inputs']",
        }
    )
    doc["graph"]["ir"]["edges"][-1] = {"source": "b", "target": "c"}
    doc["graph"]["ir"]["edges"].append({"source": "c", "target": "__end__"})
    first = await executor.execute(doc, {"k": 1})
    checkpoints = await executor.checkpoints(first.id)
    after_a = next(c for c in checkpoints if c["next"] == ["b"])
    assert after_a["results"] == {"a": {"me": "a"}}
    new_id = await executor.rerun(first.id, after_a["checkpoint_id"])
    second = await executor.wait(new_id)
    assert second.status == "succeeded"
    assert second.parent_run_id == first.id
    assert second.final_state["results"] == first.final_state["results"]
    started = [e.node for e in await executor.store.list_events(new_id) if e.type == "node_started"]
    assert started == ["b", "c"]
    assert log.read_text() == "cc"


@pytest.mark.asyncio
async def test_subgraph_shares_state(executor: Executor) -> None:
    doc = linear_doc("a")
    doc["graph"]["ir"]["nodes"].append(
        {
            "kind": "subgraph",
            "id": "sub",
            "graph": {
                "entrypoint": "inner",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "inner",
                        "type": "SetVariableNode",
                        "config": {"variables": {"saw": "{{results.a.me}}"}},
                    }
                ],
                "edges": [{"source": "inner", "target": "__end__"}],
            },
        }
    )
    doc["graph"]["ir"]["edges"] = [
        {"source": "__start__", "target": "a"},
        {"source": "a", "target": "sub"},
        {"source": "sub", "target": "__end__"},
    ]
    record = await executor.execute(doc)
    assert record.status == "succeeded", record.error
    assert record.final_state["results"]["inner"] == {"saw": "a"}
    nodes = [
        e.node for e in await executor.store.list_events(record.id) if e.type == "node_finished"
    ]
    assert nodes == ["a", "sub/inner", "sub"]


@pytest.mark.asyncio
async def test_invalid_document_stores_nothing(executor: Executor) -> None:
    from orcheo_jupyter.spec import DocumentError

    doc = linear_doc("a")
    doc["graph"]["ir"]["nodes"][0]["type"] = "Nope"
    with pytest.raises(DocumentError):
        await executor.submit(doc)
    runs, total = await executor.store.list_runs()
    assert total == 0 and runs == []


@pytest.mark.asyncio
async def test_resume_with_an_empty_object_is_an_answer(executor: Executor) -> None:
    record = await executor.execute(code_doc("return {'got': interrupt('form?')}", node_id="ask"))
    await executor.resume(record.id, {})
    done = await executor.wait(record.id)
    assert done.status == "succeeded"
    assert done.final_state["results"]["ask"] == {"got": {}}


@pytest.mark.asyncio
async def test_parallel_interrupts_need_answers_by_id(executor: Executor) -> None:
    doc = code_doc("return interrupt('left?')", node_id="left")
    ir = doc["graph"]["ir"]
    ir["nodes"].append({"kind": "code", "id": "right", "body": "return interrupt('right?')"})
    ir["edges"] = [
        {"source": "__start__", "target": "left"},
        {"source": "__start__", "target": "right"},
        {"source": "left", "target": "__end__"},
        {"source": "right", "target": "__end__"},
    ]
    record = await executor.execute(doc)
    assert record.status == "interrupted"
    pending = {p["value"]: p["id"] for p in record.interrupt}
    with pytest.raises(RunStateError, match="waits on 2 interrupts"):
        await executor.resume(record.id, "both")
    await executor.resume(record.id, {pending["left?"]: "L", pending["right?"]: "R"})
    done = await executor.wait(record.id)
    assert done.final_state["results"] == {"left": "L", "right": "R"}


@pytest.mark.asyncio
async def test_inputs_schema_defaults_fill_what_the_caller_left_out(executor: Executor) -> None:
    doc = code_doc("return state['inputs']['n'] * state['inputs']['factor']")
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {"factor": {"type": "integer", "default": 10}, "n": {"type": "integer"}},
    }
    record = await executor.execute(doc, {"n": 2})
    assert record.inputs == {"factor": 10, "n": 2}
    assert record.final_state["results"]["c"] == 20
    stored = await executor.store.get_run(record.id)
    assert stored.inputs == {"factor": 10, "n": 2}  # a rerun starts from the same inputs
    override = await executor.execute(doc, {"n": 2, "factor": 3})
    assert override.final_state["results"]["c"] == 6


LOCKING_SCRIPT = """
import threading
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class S(TypedDict, total=False):
    out: object


def make(state):
    return {"out": {"ok": 1, "lock": threading.Lock()}}


graph = StateGraph(S)
graph.add_node("make", make)
graph.add_edge(START, "make")
graph.add_edge("make", END)
orcheo_workflow = graph
"""


@pytest.mark.asyncio
async def test_a_script_node_returning_what_checkpoints_cannot_store_is_named(
    executor: Executor,
) -> None:
    """A script graph's nodes are its own (not wrapped as ours are): the checkpoint's
    refusal names the node and where the value is, not msgpack's bare TypeError."""
    doc = {"name": "locking", "graph": {"format": "langgraph-script", "source": LOCKING_SCRIPT}}
    record = await executor.execute(doc)
    assert (record.status, record.error) == (
        "failed",
        "node 'make' failed: it returned a value that cannot be stored: a _thread.lock object"
        " at out.lock; return JSON-like data (dicts, lists, strings, numbers, booleans, None)",
    )
    events = await executor.store.list_events(record.id)
    assert events[-1].type == "run_failed" and events[-1].data == {"error": record.error}
