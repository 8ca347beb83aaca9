"""SubWorkflowNode: run a stored workflow by id or name, inline in the parent's run."""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, code, node, results, run


async def store(executor: Executor, workflow_id: str, doc: dict[str, Any]) -> None:
    document = spec.document_from_data(doc)
    body = spec.dumps(document)
    await executor.store.create_workflow(
        workflow_id, document.name, "", [], spec.checksum(document), body
    )


GREETER = chain_doc(
    node("greet", "SetVariableNode", variables={"text": "Hello {{inputs.who}}"}),
    node("shout", "TextProcessingNode", operation="upper", text="{{greet.text}}"),
    name="Greeter",
)


@pytest.mark.asyncio
async def test_runs_a_stored_workflow_by_id_and_by_name(executor: Executor) -> None:
    await store(executor, "wf-greeter", GREETER)
    parent = chain_doc(
        node("user", "SetVariableNode", variables={"name": "{{inputs.name}}"}),
        node(
            "by_id",
            "SubWorkflowNode",
            workflow="wf-greeter",
            inputs={"who": "{{user.name}}"},
            output_path="results.shout.result",
        ),
        node("by_name", "SubWorkflowNode", workflow="greeter", inputs={"who": "Bob"}),
        node("use", "SetVariableNode", variables={"loud": "{{by_id.output}}"}),
    )
    record = await run(executor, parent, {"name": "Ada"})
    out = results(record)
    assert out["by_id"] == {
        "workflow_id": "wf-greeter",
        "version": 1,
        "results": {"greet": {"text": "Hello Ada"}, "shout": {"result": "HELLO ADA"}},
        "output": "HELLO ADA",
    }
    assert out["by_name"]["results"]["greet"] == {"text": "Hello Bob"}
    assert out["use"] == {"loud": "HELLO ADA"}
    # The child's nodes are not mixed into the parent's results...
    assert set(out) == {"user", "by_id", "by_name", "use"}
    # ...but its node events are in the parent's stream, scoped by the calling node.
    events = await executor.store.list_events(record.id)
    finished = [e.node for e in events if e.type == "node_finished"]
    assert finished == [
        "user",
        "by_id/greet",
        "by_id/shout",
        "by_id",
        "by_name/greet",
        "by_name/shout",
        "by_name",
        "use",
    ]


@pytest.mark.asyncio
async def test_specific_version_and_exact_name(executor: Executor) -> None:
    await store(executor, "wf-greeter", GREETER)
    v2 = spec.document_from_data(
        chain_doc(node("greet", "SetVariableNode", variables={"text": "Hi v2"}), name="Greeter")
    )
    await executor.store.add_version(
        "wf-greeter", "Greeter", "", [], spec.checksum(v2), spec.dumps(v2)
    )
    parent = chain_doc(
        node("latest", "SubWorkflowNode", workflow="Greeter"),
        node("first", "SubWorkflowNode", workflow="Greeter", version=1, inputs={"who": "x"}),
    )
    out = results(await run(executor, parent))
    assert (out["latest"]["version"], out["latest"]["results"]) == (
        2,
        {"greet": {"text": "Hi v2"}},
    )
    assert out["first"]["version"] == 1
    assert out["first"]["results"]["greet"] == {"text": "Hello x"}


@pytest.mark.asyncio
async def test_missing_workflow_and_version_fail_clearly(executor: Executor) -> None:
    record = await run(executor, chain_doc(node("sub", "SubWorkflowNode", workflow="nope")))
    assert record.error == (
        "node 'sub' failed: SubWorkflowError: workflow: no stored workflow with id or name 'nope'"
    )
    await store(executor, "wf-greeter", GREETER)
    record = await run(
        executor, chain_doc(node("sub", "SubWorkflowNode", workflow="wf-greeter", version=9))
    )
    assert record.error == (
        "node 'sub' failed: SubWorkflowError: version: workflow 'wf-greeter' has no version 9"
    )


@pytest.mark.asyncio
async def test_a_failing_child_fails_the_parent_naming_both(executor: Executor) -> None:
    await store(
        executor, "wf-bad", chain_doc(node("boom", "FailNode", message="child says no"), name="Bad")
    )
    record = await run(executor, chain_doc(node("sub", "SubWorkflowNode", workflow="wf-bad")))
    assert record.status == "failed"
    assert record.error == "node 'sub/boom' failed: WorkflowStopped: child says no"


@pytest.mark.asyncio
async def test_cycles_are_stopped(executor: Executor) -> None:
    await store(
        executor, "wf-a", chain_doc(node("call_b", "SubWorkflowNode", workflow="wf-b"), name="A")
    )
    await store(
        executor, "wf-b", chain_doc(node("call_a", "SubWorkflowNode", workflow="wf-a"), name="B")
    )
    record = await run(executor, chain_doc(node("start", "SubWorkflowNode", workflow="wf-a")))
    assert record.status == "failed"
    assert record.error == (
        "node 'start/call_b/call_a' failed: SubWorkflowError: workflow: sub-workflows call each "
        "other in a cycle: wf-a -> wf-b -> wf-a"
    )


@pytest.mark.asyncio
async def test_an_interrupt_in_the_child_pauses_and_resumes_the_parent(
    executor: Executor,
) -> None:
    await store(
        executor,
        "wf-approve",
        chain_doc(
            node(
                "ask",
                "HumanInputNode",
                prompt="OK {{inputs.item}}?",
                answer_schema={"type": "boolean"},
            ),
            name="Approve",
        ),
    )
    parent = chain_doc(
        node(
            "approve", "SubWorkflowNode", workflow="wf-approve", inputs={"item": "{{inputs.item}}"}
        ),
        code("after", "return {'ok': state['results']['approve']['results']['ask']['answer']}"),
    )
    record = await run(executor, parent, {"item": "lamp"})
    assert record.status == "interrupted"
    assert record.interrupt[0]["value"]["prompt"] == "OK lamp?"
    assert record.interrupt[0]["value"]["node"] == "approve/ask"
    await executor.resume(record.id, True)
    done = await executor.wait(record.id)
    assert results(done)["after"] == {"ok": True}


@pytest.mark.asyncio
async def test_sub_workflow_per_item_of_a_for_each(executor: Executor) -> None:
    await store(executor, "wf-greeter", GREETER)
    parent = chain_doc(
        node(
            "each",
            "ForEachNode",
            items="{{inputs.people}}",
            body={
                "type": "SubWorkflowNode",
                "config": {
                    "workflow": "wf-greeter",
                    "inputs": {"who": "{{item}}"},
                    "output_path": "results.shout.result",
                },
            },
        )
    )
    out = results(await run(executor, parent, {"people": ["ann", "bo", "cy"]}))
    assert [o["output"] for o in out["each"]["outputs"]] == ["HELLO ANN", "HELLO BO", "HELLO CY"]
