"""A node's input when no run is named (one rule for every surface), and its preview."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.node_input import (
    NodeNotReached,
    NoRunReached,
    first_input,
    input_in,
    newest_reaching,
    recent_runs,
    template_preview,
)
from orcheo_jupyter.store.base import NotFound
from orcheo_jupyter.store.records import RunRecord
from tests.nodes.helpers import chain_doc, code, node


def _run(run_id: str, **node_states: str) -> RunRecord:
    at = "2026-12-06T10:00:00+00:00"
    return RunRecord(run_id, "c", "failed", {}, at, at, node_states=dict(node_states))


def test_the_newest_run_that_started_the_node_is_taken() -> None:
    runs = [  # newest first, as the stores and the widget list them
        _run("failed-before", greet="failed"),
        _run("failed-at", greet="succeeded", shout="failed"),
        _run("older", greet="succeeded", shout="succeeded"),
    ]
    assert newest_reaching(runs, "shout") == "failed-at"
    assert newest_reaching(runs, "greet") == "failed-before"
    assert newest_reaching(runs[:1], "shout") is None
    assert newest_reaching([], "shout") is None
    assert newest_reaching([_run("paused", shout="interrupted")], "shout") == "paused"


def _doc() -> dict[str, Any]:
    fail = "if state['inputs']['who'] == 'boom':\n    raise ValueError('boom')\n"
    return chain_doc(
        node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
        code("shout", fail + "return state['results']['greet']['text'].upper()"),
        node("count", "SetVariableNode", variables={"n": "{{shout}}"}),
        name="pipeline",
        id="pipeline",
    )


async def _never() -> list[RunRecord]:
    raise AssertionError("the runs are read only when no run is named")


@pytest.mark.asyncio
async def test_input_in_takes_the_named_run_or_the_latest_that_reached_the_node(
    executor: Executor,
) -> None:
    stored = functools.partial(recent_runs, executor, "pipeline")
    with pytest.raises(NoRunReached) as none:
        await input_in(executor, "count", None, stored)
    assert str(none.value) == "no run of this workflow reached node 'count' yet"
    with pytest.raises(NoRunReached) as named_none:
        await input_in(executor, "count", None, stored, workflow="'pipeline'")
    assert str(named_none.value) == "no run of 'pipeline' reached node 'count' yet"

    ada = await executor.execute(_doc(), {"who": "Ada"})
    boom = await executor.execute(_doc(), {"who": "boom"})  # newer; fails at shout
    assert (ada.status, boom.status) == ("succeeded", "failed")
    assert [r.id for r in await recent_runs(executor, "pipeline")] == [boom.id, ada.id]

    # A newer run that failed before the node is passed over ...
    count = await input_in(executor, "count", None, stored)
    assert count.run_id == ada.id
    assert count.state["results"] == {"greet": {"text": "Hello Ada"}, "shout": "HELLO ADA"}
    # ... and one that failed at the node is the one taken.
    shout = await input_in(executor, "shout", None, stored)
    assert shout.run_id == boom.id and shout.state["inputs"] == {"who": "boom"}
    # A named run wins over the default, and the runs are not read for it.
    named = await input_in(executor, "shout", ada.id, _never)
    assert named.run_id == ada.id and named.state["inputs"] == {"who": "Ada"}

    with pytest.raises(NodeNotReached, match=f"run {boom.id} never reached node 'count'") as not_:
        await input_in(executor, "count", boom.id, _never)
    assert not isinstance(not_.value, NoRunReached)
    with pytest.raises(NotFound):
        await input_in(executor, "count", "no-such-run", _never)


@pytest.mark.asyncio
async def test_recent_runs_are_the_workflows_newest_stored_ones(executor: Executor) -> None:
    assert await recent_runs(executor, None) == []  # not stored under an id: no runs
    assert await recent_runs(executor, "") == []
    for who in ("a", "b", "c"):
        await executor.execute(_doc(), {"who": who})
    other = {**_doc(), "id": "other"}
    await executor.execute(other, {"who": "d"})
    runs = await recent_runs(executor, "pipeline")
    assert [r.inputs["who"] for r in runs] == ["c", "b", "a"]


def test_template_preview_resolves_as_the_runtime_and_says_what_it_could_not() -> None:
    state = {
        "inputs": {"name": "Ada", "n": 3},
        "results": {"a": {"hi": "Hello"}},
        "config": {"configurable": {"tone": "dry"}},
    }
    source = {"kind": "checkpoint", "run_id": "r1", "checkpoint_id": "c1"}
    value = {
        "typed": "{{ inputs.n }}",
        "text": "{{ a.hi }}, {{ inputs.name }} ({{ config.configurable.tone }})",
        "missing": "x {{ results.nope }}",
        "when": "{{ inputs }}",
    }
    preview = template_preview(value, state, source, include_state=False)
    assert preview == {
        "value": {
            "typed": 3,
            "text": "Hello, Ada (dry)",
            "missing": "x {{ results.nope }}",
            "when": {"name": "Ada", "n": 3},
        },
        "unresolved": ["{{ results.nope }}"],
        "state_source": source,
    }
    assert template_preview("{{ a }}", state, source, include_state=True) == {
        "value": {"hi": "Hello"},
        "unresolved": [],
        "state_source": source,
        "state": state,
    }
    # A value JSON cannot hold is made safe, as every answer is.
    odd = template_preview("{{ inputs.s }}", {"inputs": {"s": {1, 2}}}, source, include_state=False)
    assert odd["value"] == [1, 2]


def test_a_jinja_field_is_previewed_by_its_nodes_own_rule() -> None:
    """A Template node renders its template with Jinja: the preview renders it the same
    way (the plain {{path}} lookup called '{{ x | upper }}' "not in the state")."""
    from orcheo_jupyter.spec.models import BuiltinNode

    state = {"inputs": {"name": "ada"}, "results": {"greet": {"n": 3}}, "name": "ada"}
    source = {"kind": "given"}
    config = {"template": "unused", "variables": {"who": "{{ inputs.name }}"}}
    tpl = BuiltinNode(kind="builtin", id="t", type="TemplateNode", config=config)
    values = [
        "{{ name | upper }}{% if greet.n > 2 %}!{% endif %}",
        "{{ who }} {{ nobody }}",  # variables resolved as the runtime does; nobody is missing
        "{% if %}",
        "{{ who }}",  # not the template field: the plain rule
    ]
    fields = ["template", "template", "template", "variables"]
    preview = template_preview(values, state, source, include_state=False, node=tpl, field=fields)
    assert preview["value"] == ["ADA!", "ada ", None, "{{ who }}"]
    assert preview["unresolved"] == ["nobody", "{{ who }}"]
    assert preview["notes"][:2] == [None, None] and preview["notes"][3] is None
    assert preview["notes"][2].startswith("the node would fail: template syntax error on line 1")
    # What a node cannot know before its run (a for-each body's {{item}}) is said, not guessed.
    each = BuiltinNode(kind="builtin", id="e", type="ForEachNode", config={"items": [], "body": {}})
    body = template_preview(
        "{{ item }}", state, source, include_state=False, node=each, field="body"
    )
    assert body["value"] is None
    assert body["notes"] == "no preview: body is resolved by the node itself while it runs"


def test_sql_text_with_a_template_is_previewed_as_the_refusal_it_is() -> None:
    """SQL is sent as written (deferred): '{{ x }}' in it is no lookup that failed, the
    node refuses it; the preview says that rather than "not in the state"."""
    from orcheo_jupyter.spec.models import BuiltinNode

    config = {"query": "select 1", "database": "x.db"}
    sql = BuiltinNode(kind="builtin", id="q", type="SQLiteNode", config=config)
    state = {"inputs": {"x": 1}}
    reply = template_preview(
        "select {{ inputs.x }}", state, {}, include_state=False, node=sql, field="query"
    )
    assert reply["value"] is None and reply["unresolved"] == []
    assert reply["notes"].startswith("the node would fail: SQL text may not contain {{templates}}")


_WHO = {
    "type": "object",
    "properties": {"who": {"type": "string", "default": "World"}},
}


def _branching() -> dict[str, Any]:
    """START leads to ``greet`` and ``big`` (both start); ``after`` follows ``greet``."""
    return chain_doc(
        node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
        node("after", "SetVariableNode", variables={"n": 1}),
        node("big", "SetVariableNode", variables={"n": 2}),
        edges=[
            ("__start__", "greet"),
            ("__start__", "big"),
            ("greet", "after"),
            ("after", "__end__"),
            ("big", "__end__"),
        ],
        inputs_schema=_WHO,
        name="starts",
        id="starts",
    )


def test_the_nodes_a_run_starts_at_get_the_starting_state_before_any_run() -> None:
    doc = spec.document_from_data(_branching())
    starting = {
        "messages": [],
        "who": "World",
        "inputs": {"who": "World"},
        "results": {},
        "config": {},
    }
    for start in ("greet", "big"):
        found = first_input(doc, start)
        assert found is not None, start
        assert (found.state, found.state_source()) == (starting, {"kind": "inputs"})
    assert first_input(doc, "after") is None  # only a run can say what greet gave it
    declared = _doc()  # no edge from START: the run starts at the entrypoint
    ir = declared["graph"]["ir"]
    ir["edges"] = [e for e in ir["edges"] if e["source"] != "__start__"]
    entry_only = spec.document_from_data(declared)
    assert first_input(entry_only, "greet") is not None
    assert first_input(entry_only, "shout") is None

    required = _branching()
    required["inputs_schema"] = {
        "type": "object",
        "properties": {**_WHO["properties"], "size": {"type": "integer"}},
        "required": ["size"],
    }
    assert first_input(spec.document_from_data(required), "greet") is None  # must be given


@pytest.mark.asyncio
async def test_a_run_that_reached_a_starting_node_comes_before_the_starting_state(
    executor: Executor,
) -> None:
    doc = _branching()
    stored = functools.partial(recent_runs, executor, "starts")
    document = spec.document_from_data(doc)
    before = await input_in(executor, "greet", None, stored, document=document)
    assert (before.run_id, before.state["inputs"]) == (None, {"who": "World"})
    with pytest.raises(NoRunReached):  # a node after the start still needs a run
        await input_in(executor, "after", None, stored, document=document)

    run = await executor.execute(doc, {"who": "Ada"})
    after = await input_in(executor, "greet", None, stored, document=document)
    assert (after.run_id, after.state["inputs"]) == (run.id, {"who": "Ada"})
