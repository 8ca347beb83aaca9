"""The Canvas widget's Python side: diffs from the browser, Python-side changes, runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import Canvas, Workflow, spec
from tests.conftest import COUNTER_SCRIPT


def _wf() -> Workflow:
    return (
        Workflow("w")
        .add_node("a", "SetVariableNode", variables={"x": 1})
        .add_edge("START", "a")
        .add_edge("a", "END")
    )


class Sent(list[dict[str, Any]]):
    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self if m.get("type") == kind]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    out = Sent()
    monkeypatch.setattr(Canvas, "send", lambda self, content, buffers=None: out.append(content))
    return out


def test_initial_state_has_document_catalog_and_problems() -> None:
    wf = _wf()
    canvas = Canvas(wf)
    assert canvas.document == spec.to_data(wf.document)
    types = {entry["type"] for entry in canvas.catalog}
    assert {"SetVariableNode", "DebugNode", "IfElseNode"} <= types
    assert all("config_schema" in entry for entry in canvas.catalog)
    assert canvas.problems == []
    assert canvas.read_only is False


def test_browser_diffs_change_the_workflow_and_are_acknowledged(sent: Sent) -> None:
    wf = _wf()
    canvas = Canvas(wf)
    diffs = [
        {
            "op": "add_node",
            "node": {"kind": "builtin", "id": "b", "type": "DebugNode"},
            "position": {"x": 0, "y": 120},
        },
        {"op": "add_edge", "source": "a", "target": "b"},
    ]
    canvas._on_message(canvas, {"type": "diffs", "seq": 7, "view": "v1", "diffs": diffs}, [])
    assert [n.id for n in wf.ir.nodes] == ["a", "b"]
    assert ("a", "b") in {(e.source, e.target) for e in wf.ir.edges}
    (ack,) = sent.of("ack")
    applied_at = ack.pop("applied_at")
    assert ack == {"type": "ack", "seq": 7, "view": "v1", "ok": True, "diffs": diffs}
    assert abs(applied_at - time.time() * 1000) < 5_000
    # b has no way to the end: the warning shows as a badge on the canvas.
    assert [(p["node"], p["code"]) for p in canvas.problems] == [("b", "no_path_to_end")]
    # A frontend that connects later gets the current document, not the first one.
    assert canvas.get_state("document")["document"] == spec.to_data(wf.document)


def test_refused_diff_leaves_workflow_unchanged_and_resyncs_the_view(sent: Sent) -> None:
    wf = _wf()
    canvas = Canvas(wf)
    before = wf.to_json()
    bad = [
        {"op": "add_node", "node": {"kind": "builtin", "id": "z", "type": "DebugNode"}},
        {"op": "add_edge", "source": "z", "target": "nowhere"},
    ]
    canvas._on_message(canvas, {"type": "diffs", "seq": 1, "view": "v", "diffs": bad}, [])
    assert wf.to_json() == before
    (ack,) = sent.of("ack")
    assert ack["ok"] is False
    assert ack["error"] == "diff 1 (add_edge): edge end 'nowhere' is not a node"
    assert ack["document"] == spec.to_data(wf.document)
    assert canvas.last_error == ack["error"]


def test_python_side_change_redraws_the_canvas() -> None:
    wf = _wf()
    canvas = Canvas(wf)
    wf.add_node("later", "DebugNode")
    assert [n["id"] for n in canvas.document["graph"]["ir"]["nodes"]] == ["a", "later"]
    assert ("later", "unreachable") in {(p["node"], p["code"]) for p in canvas.problems}


def test_two_canvases_of_one_workflow_follow_each_other(sent: Sent) -> None:
    wf = _wf()
    first, second = Canvas(wf), Canvas(wf)
    move = [{"op": "move", "positions": {"a": {"x": 3, "y": 4}}}]
    first._on_message(first, {"type": "diffs", "seq": 1, "view": "v", "diffs": move}, [])
    assert second.document["canvas"]["positions"] == {"a": {"x": 3.0, "y": 4.0}}


def test_run_lights_up_the_canvas_with_ordered_events(sent: Sent) -> None:
    wf = _wf()
    canvas = Canvas(wf)
    result = wf.run({"who": "me"})
    assert result.status == "succeeded"
    events = [m["event"] for m in sent.of("run_event")]
    assert [e["type"] for e in events] == [
        "run_started",
        "node_started",
        "node_finished",
        "run_finished",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[2]["node"] == "a" and events[2]["data"]["output"] == {"x": 1}
    assert {e["run_id"] for e in events} == {result.id}
    # A view that opens after the run replays it.
    canvas._on_message(canvas, {"type": "hello", "view": "late"}, [])
    (sync,) = sent.of("sync")
    assert sync["view"] == "late" and [e["seq"] for e in sync["events"]] == [1, 2, 3, 4]


def test_closed_canvas_stops_listening(sent: Sent) -> None:
    wf = _wf()
    canvas = Canvas(wf)
    canvas.close()
    wf.run()
    assert sent.of("run_event") == []


def test_canvas_from_path_saves_back_to_it(tmp_path: Path, sent: Sent) -> None:
    path = _wf().save(tmp_path / "w.orcheo.json")
    canvas = Canvas(path)
    move = [{"op": "move", "positions": {"a": {"x": 10, "y": 20}}}]
    canvas._on_message(canvas, {"type": "diffs", "seq": 1, "view": "v", "diffs": move}, [])
    canvas._on_message(canvas, {"type": "save"}, [])
    assert spec.load(path).canvas.positions["a"].x == 10.0
    assert sent.of("notice") == [{"type": "notice", "level": "info", "message": f"Saved {path}"}]


def test_script_workflows_are_read_only() -> None:
    doc = {
        "name": "s",
        "graph": {
            "format": "langgraph-script",
            "source": "x = 1",
            "index": {"nodes": ["one"], "edges": []},
        },
    }
    canvas = Canvas(doc)
    assert canvas.read_only is True


def test_canvas_needs_a_workflow() -> None:
    with pytest.raises(TypeError, match="Canvas needs a Workflow"):
        Canvas(42)  # type: ignore[arg-type]


def test_secret_picker_lists_credential_names_never_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import json

    from orcheo_jupyter.settings import Settings
    from orcheo_jupyter.vault import Vault

    monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path))
    assert Canvas(_wf()).credentials == []  # no vault yet: an empty picker, no error

    async def store() -> None:
        vault = await Vault.open(Settings.from_env())
        try:
            await vault.create("openai", value="sk-very-secret")
            await vault.create("github", value="ghp-also-secret")
        finally:
            await vault.close()

    asyncio.run(store())
    canvas = Canvas(_wf())
    assert canvas.credentials == ["github", "openai"]
    state = json.dumps(canvas.get_state())
    assert "sk-very-secret" not in state and "ghp-also-secret" not in state


def _events_until(sent: Sent, kind: str, seconds: float, what: str) -> list[dict[str, Any]]:
    """The run events sent so far, once one of type ``kind`` is among them."""
    deadline = time.monotonic() + seconds
    while not any(m["event"]["type"] == kind for m in sent.of("run_event")):
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
    return [m["event"] for m in sent.of("run_event")]


def test_run_button_runs_without_blocking_and_streams_events(sent: Sent) -> None:
    wf = _wf()
    canvas = Canvas(wf)
    started = time.monotonic()
    canvas._on_message(canvas, {"type": "run", "inputs": {"k": 1}}, [])
    assert time.monotonic() - started < 0.5  # the kernel is not held while the run goes on
    events = _events_until(sent, "run_finished", 20, "the run's events never arrived")
    assert events[0]["type"] == "run_started" and events[0]["data"]["inputs"] == {"k": 1}
    assert events[-1]["data"]["state"]["results"] == {"a": {"x": 1}}


def test_run_button_reports_an_invalid_workflow(sent: Sent) -> None:
    wf = Workflow("broken").add_node("a", "NoSuchNode").add_edge("START", "a")
    canvas = Canvas(wf)
    canvas._on_message(canvas, {"type": "run"}, [])
    deadline = time.monotonic() + 20
    while not sent.of("notice"):
        assert time.monotonic() < deadline, "no notice about the failed start"
        time.sleep(0.02)
    (notice,) = sent.of("notice")
    assert notice["level"] == "error"
    assert "NoSuchNode" in notice["message"]


def _ask(canvas: Canvas, sent: Sent, seq: int, op: str, **args: Any) -> dict[str, Any]:
    canvas._on_message(
        canvas, {"type": "debug", "seq": seq, "view": "v", "op": op, "args": args}, []
    )
    deadline = time.monotonic() + 20
    while not (replies := [m for m in sent.of("debug_reply") if m["seq"] == seq]):
        assert time.monotonic() < deadline, f"no reply to {op}"
        time.sleep(0.02)
    (reply,) = replies
    assert reply["view"] == "v"
    return reply


def _templated() -> Workflow:
    return (
        Workflow("t")
        .add_node("a", "SetVariableNode", variables={"hi": "Hello {{ inputs.name }}"})
        .add_node("b", "SetVariableNode", variables={"loud": "{{ a.hi }}!"})
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_edge("b", "END")
    )


def test_test_node_runs_it_alone_in_the_kernel_on_a_chosen_run(sent: Sent) -> None:
    wf = _templated()
    canvas = Canvas(wf)
    reply = _ask(canvas, sent, 1, "test", node="b", run_id=None)
    assert reply["ok"] is False and reply["code"] == "no_input"
    assert "no run of this workflow reached node 'b'" in reply["error"]
    # The node the workflow starts at runs on the state a run without inputs starts with.
    first = _ask(canvas, sent, 10, "test", node="a", run_id=None)["result"]
    assert (first["output"], first["state_source"]) == (
        {"hi": "Hello {{ inputs.name }}"},
        {"kind": "inputs"},
    )
    ada = wf.run({"name": "Ada"}).id
    bo = wf.run({"name": "Bo"}).id
    runs = _ask(canvas, sent, 2, "runs")["result"]
    assert [r["id"] for r in runs] == [bo, ada]
    assert {r["status"] for r in runs} == {"succeeded"}
    latest = _ask(canvas, sent, 3, "test", node="b", run_id=None)["result"]
    assert latest["output"] == {"loud": "Hello Bo!"} and latest["error"] is None
    assert latest["state_source"]["run_id"] == bo
    chosen = _ask(canvas, sent, 4, "test", node="b", run_id=ada)["result"]
    assert chosen["output"] == {"loud": "Hello Ada!"}
    # The document as edited on the canvas is what runs; no run is stored for a test.
    canvas._on_message(
        canvas,
        {
            "type": "diffs",
            "seq": 5,
            "view": "v",
            "diffs": [
                {"op": "set_config", "id": "b", "config": {"variables": {"q": "{{ a.hi }}?"}}}
            ],
        },
        [],
    )
    assert _ask(canvas, sent, 6, "test", node="b", run_id=ada)["result"]["output"] == {
        "q": "Hello Ada?"
    }
    assert [r["id"] for r in _ask(canvas, sent, 7, "runs")["result"]] == [bo, ada]
    missing = _ask(canvas, sent, 8, "test", node="zz", run_id=ada)
    assert missing["ok"] is False and "never reached node 'zz'" in missing["error"]
    bad = _ask(canvas, sent, 9, "test", node="", run_id=None)
    assert bad["ok"] is False and bad["error"] == "node: expected a node id"
    # Renamed on the canvas after the runs: the canvas names the id the run knew.
    canvas._on_message(
        canvas,
        {
            "type": "diffs",
            "seq": 10,
            "view": "v",
            "diffs": [{"op": "rename_node", "id": "b", "new_id": "yell"}],
        },
        [],
    )
    renamed = _ask(canvas, sent, 11, "test", node="yell", run_id=ada, run_node="b")["result"]
    assert renamed["node"] == "yell" and renamed["output"] == {"q": "Hello Ada?"}
    shown = _ask(
        canvas, sent, 12, "preview", node="yell", value="{{ a.hi }}", run_id=None, run_node="b"
    )["result"]
    assert shown["value"] == "Hello Bo" and shown["state_source"]["run_id"] == bo
    wrong = _ask(canvas, sent, 13, "test", node="yell", run_id=None, run_node=5)
    assert wrong["ok"] is False and wrong["error"] == "run_node: expected a node id or null"


def test_a_script_node_is_tested_in_the_kernel(sent: Sent) -> None:
    wf = Workflow.from_script(COUNTER_SCRIPT, "counter")
    canvas = Canvas(wf)
    run = wf.run({"count": 3})
    assert run.status == "succeeded", run.error
    reply = _ask(canvas, sent, 1, "test", node="double", run_id=None)
    assert reply["ok"], reply
    tested = reply["result"]
    # double received count 4 (3, bumped) in that run.
    assert (tested["output"], tested["error"]) == ({"count": 8, "log": ["double"]}, None)
    assert tested["state_source"]["run_id"] == run.id


def test_preview_resolves_templates_like_the_runtime_and_answers_the_state(sent: Sent) -> None:
    wf = _templated()
    wf.run({"name": "Ada"})  # before the canvas existed: still the run it previews on
    canvas = Canvas(wf)
    reply = _ask(
        canvas,
        sent,
        1,
        "preview",
        node="b",
        value=["{{ a.hi }}", "x {{ inputs.name }} {{ results.nope }}", "{{ inputs }}"],
        run_id=None,
        include_state=True,
    )["result"]
    assert reply["value"] == [
        "Hello Ada",
        "x Ada {{ results.nope }}",
        {"name": "Ada"},
    ]
    assert reply["unresolved"] == ["{{ results.nope }}"]
    assert reply["state"]["results"] == {"a": {"hi": "Hello Ada"}}


def test_preview_of_a_template_nodes_jinja_in_the_kernel_renders_as_the_node(sent: Sent) -> None:
    wf = (
        Workflow("j")
        .add_node("a", "SetVariableNode", variables={"hi": "Hello {{ inputs.name }}"})
        .add_node("b", "TemplateNode", template="{{ a.hi | upper }}")
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_edge("b", "END")
    )
    wf.run({"name": "Ada"})
    canvas = Canvas(wf)
    value = ["{{ a.hi | upper }}", "{% for c in a.hi[:2] %}{{ c }}.{% endfor %}"]
    reply = _ask(
        canvas,
        sent,
        1,
        "preview",
        node="b",
        value=value,
        run_id=None,
        field=["template", "template"],
    )["result"]
    assert reply["value"] == ["HELLO ADA", "H.e."] and reply["unresolved"] == []


def test_run_button_pauses_at_the_breakpoints_it_carries(sent: Sent) -> None:
    wf = _templated()
    canvas = Canvas(wf)
    canvas._on_message(canvas, {"type": "run", "inputs": {"name": "Cy"}, "break_before": ["b"]}, [])
    events = _events_until(sent, "interrupted", 20, "the run never paused")
    (paused,) = [e for e in events if e["type"] == "interrupted"]
    assert paused["data"]["interrupts"][0]["value"]["before"] == ["b"]
    assert [e["node"] for e in events if e["type"] == "node_finished"] == ["a"]
    # Continue: the kernel resumes the run past the breakpoint; its events follow, once each.
    canvas._on_message(canvas, {"type": "continue", "run_id": paused["run_id"]}, [])
    events = _events_until(sent, "run_finished", 20, "the run never finished")
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs))
    assert [e["node"] for e in events if e["type"] == "node_finished"] == ["a", "b"]
    assert events[-1]["data"]["state"]["results"]["b"] == {"loud": "Hello Cy!"}
    canvas._on_message(canvas, {"type": "continue", "run_id": paused["run_id"]}, [])
    deadline = time.monotonic() + 20
    while not sent.of("notice"):
        assert time.monotonic() < deadline, "no notice for a run that is not paused"
        time.sleep(0.02)
    assert "not interrupted" in sent.of("notice")[0]["message"]


def test_run_button_on_a_script_takes_its_state_and_pauses_at_its_nodes(sent: Sent) -> None:
    # What the canvas sends for a script: the JSON object its form asked for, and the
    # breakpoints toggled on the script's nodes.
    canvas = Canvas(Workflow.from_script(COUNTER_SCRIPT, "counter"))
    message = {"type": "run", "inputs": {"count": 5}, "break_before": ["double"]}
    canvas._on_message(canvas, message, [])
    events = _events_until(sent, "interrupted", 30, "the run never paused")
    (paused,) = [e for e in events if e["type"] == "interrupted"]
    assert paused["data"]["interrupts"][0]["value"]["before"] == ["double"]
    canvas._on_message(canvas, {"type": "continue", "run_id": paused["run_id"]}, [])
    events = _events_until(sent, "run_finished", 30, "the run never finished")
    final = events[-1]["data"]["state"]
    assert (final["count"], final["log"]) == (12, ["bump", "double"])


def test_kernel_deadlines_come_from_arguments_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ORCHEO_CANVAS_REPLY_TIMEOUT", raising=False)
    monkeypatch.delenv("ORCHEO_CANVAS_NODE_TEST_TIMEOUT", raising=False)
    state = Canvas(_wf()).get_state()
    assert (state["reply_timeout"], state["node_test_timeout"]) == (30.0, 300.0)
    monkeypatch.setenv("ORCHEO_CANVAS_REPLY_TIMEOUT", "2.5")
    monkeypatch.setenv("ORCHEO_CANVAS_NODE_TEST_TIMEOUT", "60")
    state = Canvas(_wf()).get_state()
    assert (state["reply_timeout"], state["node_test_timeout"]) == (2.5, 60.0)
    canvas = Canvas(_wf(), reply_timeout=4, node_test_timeout=9)  # an argument wins
    assert (canvas.reply_timeout, canvas.node_test_timeout) == (4.0, 9.0)
    canvas.reply_timeout = 1  # synced to the views: the next request waits 1 s
    assert canvas.get_state()["reply_timeout"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({"reply_timeout": 0}, "", "reply_timeout must be more than 0 and at most 86400 seconds"),
        ({"node_test_timeout": -1}, "", "node_test_timeout must be more than 0"),
        ({"reply_timeout": float("inf")}, "", "reply_timeout must be more than 0"),
        ({"reply_timeout": "soon"}, "", "reply_timeout must be a number of seconds, got str"),
        ({}, "soon", "ORCHEO_CANVAS_REPLY_TIMEOUT must be a number of seconds, got 'soon'"),
        ({}, "0", "ORCHEO_CANVAS_REPLY_TIMEOUT must be more than 0"),
    ],
)
def test_bad_kernel_deadlines_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], env: str, message: str
) -> None:
    monkeypatch.setenv("ORCHEO_CANVAS_REPLY_TIMEOUT", env)
    with pytest.raises((ValueError, TypeError), match=message):
        Canvas(_wf(), **kwargs)
    canvas = Canvas(_wf(), reply_timeout=3)
    with pytest.raises(ValueError, match="reply_timeout must be more than 0"):
        canvas.reply_timeout = 0
    assert canvas.reply_timeout == 3.0


def test_the_run_form_asks_the_kernel_to_check_its_inputs(sent: Sent) -> None:
    wf = _templated()
    wf.document.inputs_schema = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "n": {"type": "integer", "default": 3}},
    }
    canvas = Canvas(wf)
    ok = _ask(canvas, sent, 1, "inputs", inputs={"name": "Ada"})
    assert ok["ok"] is True and ok["result"] == {"name": "Ada", "n": 3}
    refused = _ask(canvas, sent, 2, "inputs", inputs={"n": "x"})
    assert refused["ok"] is False and refused["code"] == "invalid_inputs"
    fields = sorted((p["field"], p["message"]) for p in refused["problems"])
    assert [f for f, _ in fields] == ["inputs", "inputs.n"]
    assert "'name' is a required property" in fields[0][1]
    not_object = _ask(canvas, sent, 3, "inputs", inputs=[1])
    assert (not_object["ok"], not_object["error"]) == (False, "inputs: expected an object")


def test_save_asks_before_replacing_a_file_another_process_changed(
    tmp_path: Path, sent: Sent
) -> None:
    # Two kernels (or a kernel and Lab's editor) on one file: the later canvas Save
    # replaced the other's saved work without a word.
    path = _wf().save(tmp_path / "w.orcheo.json")
    canvas = Canvas(path)
    other = spec.load(path)
    other.description = "saved by another kernel"
    (tmp_path / "w.orcheo.json").write_text(spec.dumps(other), encoding="utf-8")  # not ours

    canvas._on_message(canvas, {"type": "save"}, [])
    assert spec.load(path).description == "saved by another kernel"
    assert sent.of("notice") == [
        {
            "type": "notice",
            "level": "error",
            "message": "w.orcheo.json changed on disk since this kernel read or wrote it "
            "(another kernel, Lab's editor or a program): not saved. Save again to replace it "
            "with this canvas's workflow.",
        }
    ]
    canvas._on_message(canvas, {"type": "save"}, [])  # the user's choice: replace it
    assert spec.load(path).description == ""
    assert sent.of("notice")[-1] == {"type": "notice", "level": "info", "message": f"Saved {path}"}

    # This kernel's own writes (a re-run %%orcheo cell, Workflow.save) are not "elsewhere".
    Workflow.from_document(spec.load(path)).add_node("z", "DebugNode").save(path)
    canvas._on_message(canvas, {"type": "save"}, [])
    assert sent.of("notice")[-1]["level"] == "info"
