"""A LangGraph script's nodes report like drawn nodes, and LangGraph's own rules still hold.

An imported script (upstream Orcheo's examples are such scripts) used to show nothing
per node: its runs had only ``run_started`` and ``run_finished``, so the canvas and the
run viewer stayed blank until the end.
"""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.spec.problems import DocumentError

HEAD = """\
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, RetryPolicy, Send, interrupt


class S(TypedDict, total=False):
    items: list[int]
    squares: Annotated[list[int], operator.add]
    answer: str
    sub: str
    note: str

"""


def script(source: str) -> dict[str, Any]:
    return {"name": "script", "graph": {"format": "langgraph-script", "source": HEAD + source}}


async def node_events(executor: Executor, run_id: str) -> list[tuple[str, str | None, Any]]:
    """(type, node, output or error or attempt) of the run's node events, in order."""
    out = []
    for e in await executor.store.list_events(run_id):
        if e.node is None:
            continue
        detail = e.data.get("output", e.data.get("error", e.data.get("attempt")))
        out.append((e.type, e.node, detail))
    return out


@pytest.mark.asyncio
async def test_each_node_of_a_script_reports_its_start_output_and_failure(
    executor: Executor,
) -> None:
    ok = script(
        "def fan(state):\n"
        "    return [Send('square', {'items': [i]}) for i in state['items']]\n\n"
        "def start(state):\n"
        "    return Command(goto='note', update={'items': [2, 3]})\n\n"
        "async def note(state):\n"
        "    return {'note': 'noted'}\n\n"
        "def square(state):\n"
        "    return {'squares': [state['items'][0] ** 2]}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('start', start, destinations=('note',))\n"
        "graph.add_node('note', note)\n"
        "graph.add_node('square', square)\n"
        "graph.add_edge(START, 'start')\n"
        "graph.add_conditional_edges('note', fan, ['square'])\n"
        "graph.add_edge('square', END)\n"
    )
    record = await executor.execute(ok, {})
    assert record.status == "succeeded", record.error
    assert record.final_state == {"items": [2, 3], "squares": [4, 9], "note": "noted"}
    events = await node_events(executor, record.id)
    assert events[:4] == [
        ("node_started", "start", 1),
        (
            "node_finished",
            "start",
            {"goto": "note", "graph": None, "resume": None, "update": {"items": [2, 3]}},
        ),
        ("node_started", "note", 1),
        ("node_finished", "note", {"note": "noted"}),
    ]
    squares = sorted(map(str, events[4:]))
    assert squares == sorted(
        map(
            str,
            [
                ("node_started", "square", 1),
                ("node_started", "square", 1),
                ("node_finished", "square", {"squares": [4]}),
                ("node_finished", "square", {"squares": [9]}),
            ],
        )
    )
    stored = await executor.store.get_run(record.id)
    assert stored.node_states == {"start": "succeeded", "note": "succeeded", "square": "succeeded"}

    failing = script(
        "def boom(state):\n"
        "    raise KeyError('no such thing')\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('boom', boom)\n"
        "graph.add_edge(START, 'boom')\n"
        "graph.add_edge('boom', END)\n"
    )
    record = await executor.execute(failing, {})
    assert record.status == "failed"
    assert await node_events(executor, record.id) == [
        ("node_started", "boom", 1),
        ("node_failed", "boom", "node 'boom' failed: KeyError: 'no such thing'"),
    ]
    assert (await executor.store.get_run(record.id)).node_states == {"boom": "failed"}


@pytest.mark.asyncio
async def test_a_scripts_retry_policy_still_matches_the_exceptions_its_nodes_raise(
    executor: Executor,
) -> None:
    """``retry_on=ValueError``: reported as failed, the node is retried, and succeeds."""
    doc = script(
        "TRIES = []\n\n"
        "def flaky(state):\n"
        "    TRIES.append(1)\n"
        "    if len(TRIES) < 2:\n"
        "        raise ValueError('not yet')\n"
        "    return {'note': f'after {len(TRIES)} tries'}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('flaky', flaky, retry_policy=RetryPolicy(\n"
        "    max_attempts=3, initial_interval=0.01, retry_on=ValueError))\n"
        "graph.add_edge(START, 'flaky')\n"
        "graph.add_edge('flaky', END)\n"
    )
    record = await executor.execute(doc, {})
    assert record.status == "succeeded", record.error
    assert record.final_state == {"note": "after 2 tries", "squares": []}
    assert await node_events(executor, record.id) == [
        ("node_started", "flaky", 1),
        ("node_failed", "flaky", "node 'flaky' failed: ValueError: not yet"),
        ("node_started", "flaky", 2),  # LangGraph's second call of the node
        ("node_finished", "flaky", {"note": "after 2 tries"}),
    ]


@pytest.mark.asyncio
async def test_interrupts_in_a_script_node_and_in_its_subgraph_resume(
    executor: Executor,
) -> None:
    doc = script(
        "class Sub(TypedDict, total=False):\n"
        "    sub: str\n\n"
        "def inner(state):\n"
        "    return {'sub': 'inner:' + interrupt('inner question')}\n\n"
        "_inner = StateGraph(Sub)\n"
        "_inner.add_node('inner', inner)\n"
        "_inner.add_edge(START, 'inner')\n"
        "_inner.add_edge('inner', END)\n\n"
        "def ask(state):\n"
        "    return {'answer': interrupt('what?')}\n\n"
        "def orcheo_workflow():\n"
        "    graph = StateGraph(S)\n"
        "    graph.add_node('ask', ask)\n"
        "    graph.add_node('subg', _inner.compile())\n"
        "    graph.add_edge(START, 'ask')\n"
        "    graph.add_edge('ask', 'subg')\n"
        "    graph.add_edge('subg', END)\n"
        "    return graph\n"
    )
    record = await executor.execute(doc, {})
    assert record.status == "interrupted"
    assert [i["value"] for i in record.interrupt or []] == ["what?"]
    await executor.resume(record.id, "forty-two")
    record = await executor.wait(record.id)
    assert record.status == "interrupted"
    assert [i["value"] for i in record.interrupt or []] == ["inner question"]
    await executor.resume(record.id, "deep")
    record = await executor.wait(record.id)
    assert record.status == "succeeded", record.error
    assert record.final_state == {"answer": "forty-two", "sub": "inner:deep", "squares": []}
    # The compiled subgraph runs as LangGraph's subgraph (its own checkpoints): the
    # script's plain node reports, the subgraph node is left as it is.
    assert await node_events(executor, record.id) == [
        ("node_started", "ask", 1),
        ("node_started", "ask", 1),
        ("node_finished", "ask", {"answer": "forty-two"}),
    ]


@pytest.mark.asyncio
async def test_a_script_node_is_tested_alone_as_langgraph_would_call_it(
    executor: Executor,
) -> None:
    """ "Test node" on a script: one node runs on the given state, no other code of the script."""
    doc = script(
        "def start(state, config):\n"
        "    test = config['configurable']['thread_id'][:5]\n"
        "    return Command(goto='note', update={'items': state['items'] + [1], 'note': test})\n\n"
        "def note(state):\n"
        "    raise RuntimeError('the node a Command goes to ran')\n\n"
        "def count(state):\n"
        "    return {'note': f\"{len(state['squares'])} squares\"}\n\n"
        "def boom(state):\n"
        "    raise KeyError('no such thing')\n\n"
        "def ask(state):\n"
        "    return {'answer': interrupt('what?')}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('start', start, destinations=('note',))\n"
        "for name, fn in [('note', note), ('count', count), ('boom', boom), ('ask', ask)]:\n"
        "    graph.add_node(name, fn)\n"
        "graph.add_edge(START, 'start')\n"
        "graph.add_edge('note', 'count')\n"
        "graph.add_edge('count', 'boom')\n"
        "graph.add_edge('boom', 'ask')\n"
        "graph.add_edge('ask', END)\n"
    )
    state = {"items": [7], "squares": [1, 4]}

    async def test(node: str) -> tuple[Any, str | None]:
        tested = await executor.test_node(doc, node, state)
        return tested.output, tested.error

    # A Command is shown as a run shows it; where it goes to does not run.
    # (Its config is injected, under the test's id.)
    update = {"items": [7, 1], "note": "test-"}
    command = {"goto": "note", "graph": None, "resume": None, "update": update}
    assert await test("start") == (command, None)
    assert await test("count") == ({"note": "2 squares"}, None)
    assert await test("boom") == (None, "node 'boom' failed: KeyError: 'no such thing'")
    assert await test("ask") == (None, "node 'ask' waits for human input: test it in a run")
    nodes = r"\(nodes: ask, boom, count, note, start\)"
    with pytest.raises(LookupError, match=rf"the workflow has no node 'nope' {nodes}"):
        await executor.test_node(doc, "nope", state)
    # Nothing of a run was stored.
    assert (await executor.store.list_runs())[1] == 0


@pytest.mark.asyncio
async def test_a_script_nodes_input_is_never_rebuilt_from_events(executor: Executor) -> None:
    # Drawn workflows' inputs are rebuilt from events when no checkpoint was kept before
    # the node; a script's updates go through its own reducers, so that would be wrong.
    from orcheo_jupyter.runtime.node_input import NodeNotReached, node_input

    doc = script(
        "def first(state):\n"
        "    return {'squares': [1]}\n\n"
        "def second(state):\n"
        "    return {'note': str(state['squares'])}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('first', first)\n"
        "graph.add_node('second', second)\n"
        "graph.add_edge(START, 'first')\n"
        "graph.add_edge('first', 'second')\n"
        "graph.add_edge('second', END)\n"
    )
    kept = await executor.execute(doc, {"squares": [0]})
    found = await node_input(executor, kept.id, "second")
    assert (found.source, found.state) == ("checkpoint", {"squares": [0, 1]})
    only_the_end = await executor.execute(doc, {"squares": [0]}, config={"durability": "exit"})
    assert only_the_end.final_state == {"squares": [0, 1], "note": "[0, 1]"}
    with pytest.raises(NodeNotReached) as refused:
        await node_input(executor, only_the_end.id, "second")
    assert str(refused.value) == (
        f"run {only_the_end.id} kept no checkpoint before node 'second', and a script's state "
        "cannot be rebuilt from its events: give the node a state to test it on"
    )


@pytest.mark.asyncio
async def test_breakpoints_pause_a_script_before_its_nodes(executor: Executor) -> None:
    # A script's nodes are the ones its import indexed ("no node 'b' to break before" before).
    doc = script(
        "def a(state):\n"
        "    return {'squares': [1]}\n\n"
        "def b(state):\n"
        "    return {'note': 'b saw ' + str(state['squares'])}\n\n"
        "graph = StateGraph(S)\n"
        "graph.add_node('a', a)\n"
        "graph.add_node('b', b)\n"
        "graph.add_edge(START, 'a')\n"
        "graph.add_edge('a', 'b')\n"
        "graph.add_edge('b', END)\n"
    )
    doc["graph"]["index"] = {"nodes": ["a", "b"]}
    record = await executor.execute(doc, {}, config={"breakpoints": {"before": ["b"]}})
    assert record.status == "interrupted", record.error
    (pending,) = record.interrupt or []
    assert (pending["value"]["before"], pending["value"]["state"]) == (["b"], {"squares": [1]})
    await executor.resume(record.id, None)
    done = await executor.wait(record.id)
    assert done.final_state == {"squares": [1], "note": "b saw [1]"}
    with pytest.raises(DocumentError, match="no node 'c' to break before"):
        await executor.submit(doc, config={"breakpoints": {"before": ["c"]}})
