"""The Python API: build, save/load, run (also inside a running loop), arun."""

from __future__ import annotations

from pathlib import Path

import pytest

from orcheo_jupyter import Workflow, resume, spec


def greet() -> Workflow:
    return (
        Workflow("greet", description="says hello", tags=["demo"])
        .add_node("hello", "SetVariableNode", variables={"message": "Hello {{inputs.name}}!"})
        .add_code_node("shout", "return state['results']['hello']['message'].upper()")
        .add_edge("START", "hello")
        .add_edge("hello", "shout")
        .add_edge("shout", "END")
    )


def test_build_run_and_results() -> None:
    result = greet().run({"name": "Ada"})
    assert result.status == "succeeded"
    assert result.results == {"hello": {"message": "Hello Ada!"}, "shout": "HELLO ADA!"}


def test_save_load_round_trip(tmp_path: Path) -> None:
    wf = greet()
    path = wf.save(tmp_path / "greet.orcheo.json")
    again = Workflow.load(path)
    assert again.to_document() == wf.to_document()
    assert again.to_json() == path.read_text(encoding="utf-8")
    assert spec.load(path).description == "says hello"


def test_default_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert greet().save().name == "greet.orcheo.json"


@pytest.mark.asyncio
async def test_sync_run_inside_a_running_event_loop() -> None:
    # A notebook cell runs inside the kernel's event loop; run() must still work.
    assert greet().run({"name": "Bo"}).results["shout"] == "HELLO BO!"


@pytest.mark.asyncio
async def test_arun() -> None:
    result = await greet().arun({"name": "Cy"})
    assert result.results["shout"] == "HELLO CY!"


def test_conditional_edges_and_subworkflow() -> None:
    inner = Workflow("inner").add_node(
        "tag", "SetVariableNode", variables={"seen": "{{check.big}}"}
    )
    inner.add_edge("START", "tag").add_edge("tag", "END")
    wf = (
        Workflow("route")
        .add_code_node("check", "return {'big': state['inputs']['n'] > 10}")
        .add_node("sub", inner)
        .add_node("small", "SetVariableNode", variables={"size": "small"})
        .set_entry_point("check")
        .add_conditional_edges("check", "results.check.big", {"true": "sub", "false": "small"})
        .add_edge("sub", "END")
        .add_edge("small", "END")
    )
    assert wf.validate() == []
    assert wf.run({"n": 50}).results["tag"] == {"seen": True}
    assert "tag" not in wf.run({"n": 1}).results


def test_interrupt_and_resume_helper() -> None:
    wf = Workflow("ask").add_code_node("q", "return interrupt('name?')").add_edge("START", "q")
    wf.add_edge("q", "END")
    first = wf.run()
    assert first.status == "interrupted" and first.interrupts[0]["value"] == "name?"
    done = resume(first.id, "Ada")
    assert done.status == "succeeded" and done.results == {"q": "Ada"}


def test_failed_run_raise_for_status() -> None:
    wf = Workflow("bad").add_code_node("x", "raise RuntimeError('nope')").add_edge("START", "x")
    result = wf.run()
    assert result.status == "failed"
    with pytest.raises(RuntimeError, match="node 'x' failed"):
        result.raise_for_status()


def test_code_node_takes_retry_and_timeout_like_add_node(tmp_path: Path) -> None:
    wf = Workflow("tries").add_code_node("flaky", "return 1", retry={"max_attempts": 3}, timeout=5)
    saved = Workflow.load(wf.save(tmp_path / "tries.orcheo.json")).ir.nodes[0]
    assert saved.retry is not None and saved.retry.max_attempts == 3
    assert saved.timeout == 5
