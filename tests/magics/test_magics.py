"""The magics in an IPython shell: what a notebook user sees, stores and gets back."""

from __future__ import annotations

import _thread
import json
import threading
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.magics import OrcheoCellError
from orcheo_jupyter.nodes.library.ai_models import register_chat_model, unregister_chat_model
from orcheo_jupyter.workflow import RunResult

from .conftest import Shell, store_call

GREET = """%%orcheo greet{flags}
def shout(state):
    return state["results"]["hello"]["message"].upper()

workflow.add_node("hello", "SetVariableNode", variables={{"message": "Hello {{{{inputs.name}}}}!"}})
workflow.add_node("shout", shout)
workflow.add_edge(START, "hello")
workflow.add_edge("hello", "shout")
workflow.add_edge("shout", END)
"""


def greet(flags: str = " --no-show") -> str:
    return GREET.format(flags=flags)


def test_cell_saves_the_file_and_the_store(shell: Shell, capsys: Any) -> None:
    shell.ok(greet())
    path = shell.folder / "greet.orcheo.json"
    doc = spec.load(path)
    assert path.read_text() == spec.dumps(doc)  # canonical form
    assert doc.id is not None and doc.name == "greet"
    record = store_call(lambda s: s.get_workflow(doc.id))
    assert (record.name, record.latest_version) == ("greet", 1)
    stored = store_call(lambda s: s.get_version(doc.id))
    assert stored.document == spec.to_data(doc)
    assert "saved greet.orcheo.json · version 1 (new workflow" in capsys.readouterr().out
    assert isinstance(shell.ns["greet"], Workflow)

    shell.ok(greet())  # unchanged: same workflow, same version
    assert "version 1 (unchanged" in capsys.readouterr().out
    shell.ok(greet().replace("Hello", "Hi"))
    assert "version 2 (new version" in capsys.readouterr().out
    again = spec.load(path)
    assert again.id == doc.id
    assert store_call(lambda s: s.get_workflow(doc.id)).latest_version == 2


def test_cell_shows_the_canvas_with_a_static_fallback(shell: Shell) -> None:
    shell.ok(greet(""))
    bundle = shell.display.outputs[-1]["data"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "shout" in bundle["text/markdown"]  # the mermaid picture names the nodes


def test_json_and_yaml_cells(shell: Shell) -> None:
    doc = {
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "a",
                "nodes": [{"kind": "builtin", "id": "a", "type": "SetVariableNode", "config": {}}],
                "edges": [{"source": "a", "target": "__end__"}],
            },
        },
        "name": "ignored",
    }
    shell.ok("%%orcheo from_json --format json --no-show\n" + json.dumps(doc, indent=2))
    assert spec.load(shell.folder / "from_json.orcheo.json").name == "from_json"
    yaml_cell = """%%orcheo from_yaml --format yaml --no-show
graph:
  format: frozen-ir
  ir:
    entrypoint: a
    nodes:
      - kind: builtin
        id: a
        type: SetVariableNode
      - kind: builtin
        id: b
        type: NoSuchNode
    edges: [{source: a, target: b}, {source: b, target: __end__}]
"""
    error = shell.cell(yaml_cell)
    assert isinstance(error, OrcheoCellError)
    assert error.problems[0].line == 11 and "NoSuchNode" in str(error)  # the cell's line 11
    error = shell.cell('%%orcheo broken --format json\n{\n  "graph": {,\n}')
    assert isinstance(error, OrcheoCellError) and error.problems[0].line == 3


def test_errors_are_short_and_name_the_line(shell: Shell, capsys: Any) -> None:
    error = shell.cell(
        '%%orcheo bad\nworkflow.add_node("a", "SetVariableNode")\n'
        'workflow.add_edge(START, "a")\nworkflow.add_edge("a", "c")\n'
    )
    assert isinstance(error, OrcheoCellError)
    printed = capsys.readouterr()
    shown = printed.out + printed.err
    # Line 4 of the cell as the notebook numbers it (line 1 is the magic).
    assert "line 4: 'c' is not a node" in shown or "line 4: edge target 'c' is not a node" in shown
    assert 'workflow.add_edge("a", "c")' in shown
    assert "Traceback" not in shown
    assert not (shell.folder / "bad.orcheo.json").exists()


def test_run_shows_progress_while_it_runs(shell: Shell) -> None:
    gate = shell.folder / "gate"
    shell.ok(
        f"""%%orcheo slow --no-show
def first(state):
    return "first done"

def second(state, *, gate):
    import pathlib, time
    for _ in range(1000):
        if pathlib.Path(gate).exists():
            return "released"
        time.sleep(0.01)
    return "never released"

workflow.add_node("first", first)
workflow.add_node("second", second, gate={str(gate)!r})
workflow.add_edge(START, "first")
workflow.add_edge("first", "second")
workflow.add_edge("second", END)
"""
    )
    seen: list[str] = []

    def hook(item: dict[str, Any]) -> None:
        text = item["data"].get("text/plain", "")
        if "✓ first" in text and "◐ second" in text and not seen:
            seen.append(text)
            assert "<code>second</code>" in item["data"]["text/html"]
            gate.touch()  # the run may go on only once its progress was on screen

    shell.display.hook = hook
    shell.ok("%orcheo run slow")
    assert seen, shell.display.texts()
    result = shell.ns["_orcheo_run"]
    assert result.results == {"first": "first done", "second": "released"}
    updates = [o for o in shell.display.outputs if o["update"]]
    ids = {o["transient"].get("display_id") for o in updates}
    assert len(ids) == 1 and None not in ids  # one output, updated in place
    final = shell.display.outputs[-1]["data"]
    assert "succeeded in" in final["text/plain"]
    assert "&quot;released&quot;" in final["text/html"]


def test_run_inputs_output_variable_and_history(shell: Shell) -> None:
    shell.ok(greet())
    shell.ns["people"] = {"name": "Grace"}
    shell.ok("%orcheo run greet --inputs-var people -o grace --quiet")
    shell.ok('%orcheo run greet --inputs \'{"name": "Ada"}\'')
    grace, ada = shell.ns["grace"], shell.ns["_orcheo_run"]
    assert isinstance(grace, RunResult) and grace.results["shout"] == "HELLO GRACE!"
    assert ada.results["shout"] == "HELLO ADA!"
    doc = spec.load(shell.folder / "greet.orcheo.json")
    runs, total = store_call(lambda s: s.list_runs(workflow_id=doc.id))
    assert total == 2 and {r.version for r in runs} == {1}
    assert {r.id for r in runs} == {grace.id, ada.id}

    shell.display.outputs.clear()
    shell.ok("%orcheo runs greet")
    history = shell.display.outputs[-1]["data"]
    assert grace.id in history["text/plain"] and ada.id in history["text/plain"]
    assert "succeeded" in history["text/html"]


def test_run_argument_errors(shell: Shell) -> None:
    shell.ok(greet())
    for line, text in [
        ("%orcheo run", "the following arguments are required: name"),
        ("%orcheo run greet --inputs '{oops'", "--inputs is not valid JSON"),
        ("%orcheo run greet --inputs '[1]'", "inputs must be a JSON object"),
        ("%orcheo run greet --inputs-var nothing", "no variable named 'nothing'"),
        ("%orcheo run greet --config '{\"configurable\": 1}'", "config.configurable: must be"),
        ("%orcheo run ghost", "no workflow named 'ghost'"),
        ("%orcheo frobnicate", "unknown command 'frobnicate'"),
        ("%orcheo templates --all", "unrecognized arguments: --all"),
        ("%orcheo runs greet --limit 0", "argument --limit: expected a whole number from 1, got 0"),
        (
            "%orcheo runs greet --limit x",
            "argument --limit: expected a whole number from 1, got 'x'",
        ),
        ("%orcheo code greet --version -1", "argument --version: expected a whole number from 1"),
        ("%orcheo diff greet 0", "argument a: expected a whole number from 1, got 0"),
        ("%orcheo diff greet 1 5", "workflow 'greet' has no version 5 (its latest is version 1)"),
        ("%orcheo show greet --version 9", "workflow 'greet' has no version 9"),
        ("%orcheo run greet -o 1bad", "argument -o/--output: expected a Python variable name"),
        ("%orcheo resume r1 -o class", "expected a Python variable name, got 'class'"),
        ("%orcheo evaluate greet c.jsonl --limit -2", "argument --limit: expected a whole number"),
        ("%orcheo list --all", "unrecognized arguments: --all\nusage: %orcheo list"),
        ("%orcheo rerun r1 --patch '[1]'", "the state patch must be a JSON object"),
        ("%orcheo rerun r1 --patch null", "the state patch must be a JSON object"),
        ("%orcheo rerun r1 --patch-var nothing", "no variable named 'nothing'"),
        ("%orcheo rerun r1 --patch '{}' --patch-var x", "not allowed with argument --patch"),
    ]:
        error = shell.cell(line)
        assert isinstance(error, OrcheoCellError), line
        assert text in str(error), (line, str(error))


def test_failed_run_shows_the_state_then_fails_the_cell(shell: Shell) -> None:
    shell.ok(
        "%%orcheo boom --no-show\ndef explode(state):\n    raise ValueError('no luck')\n\n"
        "workflow.add_node('explode', explode)\nworkflow.add_edge(START, 'explode')\n"
        "workflow.add_edge('explode', END)\n"
    )
    error = shell.cell("%orcheo run boom")
    assert isinstance(error, OrcheoCellError)
    assert "failed" in str(error) and "no luck" in str(error)
    final = shell.display.outputs[-1]["data"]["text/plain"]
    assert "✗ explode" in final and "no luck" in final
    assert shell.ns["_orcheo_run"].status == "failed"


def test_canvas_edits_run_and_are_saved(shell: Shell) -> None:
    shell.ok(greet(""))
    canvas = shell.display.outputs[-1]
    assert canvas
    live: Workflow = shell.ns["greet"]
    from orcheo_jupyter.widget import Canvas

    widget = Canvas(live)
    widget.apply(
        [
            {
                "op": "set_config",
                "id": "hello",
                "config": {"variables": {"message": "Yo {{inputs.name}}"}},
            }
        ]
    )
    shell.ok('%orcheo run greet --inputs \'{"name": "Bo"}\' --quiet')
    assert shell.ns["_orcheo_run"].results["shout"] == "YO BO"
    saved = spec.load(shell.folder / "greet.orcheo.json")
    assert saved.graph.ir.nodes[0].config["variables"]["message"] == "Yo {{inputs.name}}"
    assert store_call(lambda s: s.get_workflow(saved.id)).latest_version == 2


def test_human_in_the_loop_resume(shell: Shell) -> None:
    shell.ok(
        """%%orcheo approve --no-show
workflow.add_node("ask", "HumanInputNode", prompt="Ship order {{inputs.order}}?",
                  answer_schema={"type": "boolean"})
workflow.add_node("done", "SetVariableNode", variables={"shipped": "{{ask.answer}}"})
workflow.add_edge(START, "ask")
workflow.add_edge("ask", "done")
workflow.add_edge("done", END)
"""
    )
    shell.ok("%orcheo run approve --inputs '{\"order\": 7}'")
    waiting = shell.ns["_orcheo_run"]
    assert waiting.status == "interrupted"
    shown = shell.display.outputs[-1]["data"]
    assert "Ship order 7?" in shown["text/plain"]
    assert f"%orcheo resume {waiting.id} --value" in shown["text/plain"]
    error = shell.cell("%orcheo resume --value '\"maybe\"'")  # fails the schema: asks again
    assert error is None
    assert shell.ns["_orcheo_run"].status == "interrupted"
    for line, text in [
        ("%orcheo resume", "the run waits for an answer: give --value JSON or --value-var VAR"),
        ("%orcheo resume --value true --value-var x", "not allowed with argument --value"),
        ("%orcheo resume --value-var nothing", "no variable named 'nothing'"),
    ]:
        error = shell.cell(line)
        assert isinstance(error, OrcheoCellError) and text in str(error), (line, str(error))
    shell.ns["ship_it"] = True
    shell.ok("%orcheo resume --value-var ship_it -o shipped --quiet")
    done = shell.ns["shipped"]
    assert (done.id, done.status) == (waiting.id, "succeeded")
    assert done.results["done"] == {"shipped": True}
    error = shell.cell(f"%orcheo resume {waiting.id} --value true")
    assert isinstance(error, OrcheoCellError) and "not interrupted" in str(error)


def test_chat_messages_render_as_a_transcript(shell: Shell) -> None:
    register_chat_model("fake:magic", GenericFakeChatModel(messages=iter([AIMessage("Hi Ada!")])))
    try:
        shell.ok(
            """%%orcheo chat --no-show
workflow.add_node("talk", "ChatModelNode", ai_model="fake:magic", prompt="Greet {{inputs.name}}")
workflow.add_edge(START, "talk")
workflow.add_edge("talk", END)
"""
        )
        shell.ok('%orcheo run chat --inputs \'{"name": "Ada"}\'')
    finally:
        unregister_chat_model("fake:magic")
    final = shell.display.outputs[-1]["data"]
    assert "user: Greet Ada" in final["text/plain"]
    assert "assistant: Hi Ada!" in final["text/plain"]
    transcript = final["text/html"].split("<b>messages</b>", 1)[1]
    assert transcript.index("Greet Ada") < transcript.index("Hi Ada!")
    assert "justify-content:flex-end" in transcript  # the user's bubble on the right


def test_ctrl_c_cancels_the_run(shell: Shell) -> None:
    shell.ok(
        "%%orcheo forever --no-show\ndef wait(state):\n    import time\n    time.sleep(3)\n"
        "    return 1\n\nworkflow.add_node('wait', wait)\nworkflow.add_edge(START, 'wait')\n"
        "workflow.add_edge('wait', END)\n"
    )
    fired = threading.Event()

    def hook(item: dict[str, Any]) -> None:
        if "◐ wait" in item["data"].get("text/plain", "") and not fired.is_set():
            fired.set()
            threading.Timer(0.05, _thread.interrupt_main).start()

    shell.display.hook = hook
    error = shell.cell("%orcheo run forever")
    assert isinstance(error, OrcheoCellError) and "cancelled" in str(error)
    run = shell.ns["_orcheo_run"]
    assert store_call(lambda s: s.get_run(run.id)).status == "cancelled"


def test_list_show_code_and_export(shell: Shell) -> None:
    shell.ok(greet())
    (shell.folder / "drawn.orcheo.json").write_text("{}")
    shell.display.outputs.clear()
    shell.ok("%orcheo list")
    listing = shell.display.outputs[-1]["data"]["text/plain"]
    assert "greet" in listing and "v1" in listing

    shell.ok("%orcheo show greet")
    assert "application/vnd.jupyter.widget-view+json" in shell.display.outputs[-1]["data"]

    shell.ok("%orcheo code greet")
    code = shell.ip.rl_next_input
    assert code.startswith("%%orcheo greet\n")
    assert "def shout(state):" in code
    shell.ip.rl_next_input = None
    shell.ok(code)  # the inserted cell rebuilds the same workflow: no new version
    doc = spec.load(shell.folder / "greet.orcheo.json")
    assert store_call(lambda s: s.get_workflow(doc.id)).latest_version == 1

    error = shell.cell("%orcheo export notebook.ipynb")
    try:
        import orcheo_jupyter.export  # noqa: F401
    except ImportError:
        assert isinstance(error, OrcheoCellError) and "not available yet" in str(error)


def test_store_only_workflow_runs_by_name(shell: Shell) -> None:
    shell.ok(greet())
    (shell.folder / "greet.orcheo.json").unlink()
    shell.ip.magics_manager.registry["OrcheoMagics"].live.clear()
    shell.ok('%orcheo run greet --inputs \'{"name": "Store"}\' --quiet')
    assert shell.ns["_orcheo_run"].results["shout"] == "HELLO STORE!"
    assert not (shell.folder / "greet.orcheo.json").exists()


def test_extension_unloads_and_reloads(shell: Shell) -> None:
    shell.ok("%unload_ext orcheo_jupyter")
    assert shell.cell("%orcheo list") is not None  # no such magic any more
    shell.ok("%load_ext orcheo_jupyter")
    shell.ok("%reload_ext orcheo_jupyter")
    shell.ok(greet())
    shell.ok('%orcheo run greet --inputs \'{"name": "Re"}\' --quiet')
    assert shell.ns["_orcheo_run"].results["shout"] == "HELLO RE!"


def test_run_refuses_inputs_no_run_can_keep(shell: Shell) -> None:
    """Run admission holds in the kernel too: the cell names the input, nothing is stored."""
    shell.ok(greet())
    shell.ns["huge"] = {"name": "Ada", "n": 2**64}
    for line, text in [
        ('%orcheo run greet --inputs \'{"name": "Ada", "n": 1e400}\'', "inputs.n: inf is not"),
        ("%orcheo run greet --inputs '{\"name\": NaN}'", "inputs.name: nan is not a finite"),
        ("%orcheo run greet --inputs-var huge", "inputs.n: integer of 65 bits"),
        ("%orcheo run greet --inputs '" + "[" * 5000 + "'", "nested too deeply to parse"),
    ]:
        error = shell.cell(line)
        assert isinstance(error, OrcheoCellError), line
        assert text in str(error), (line, str(error))
    doc = spec.load(shell.folder / "greet.orcheo.json")
    assert store_call(lambda s: s.list_runs(workflow_id=doc.id))[1] == 0


def test_a_rerun_cell_redraws_the_canvases_shown_before_and_their_save_keeps_it(
    shell: Shell,
) -> None:
    # A re-run %%orcheo cell gave the kernel a new Workflow object: the canvas of an
    # earlier `%orcheo show` stayed bound to the old one, drew the old graph and its
    # Save wrote the old graph back over the file.
    from ipywidgets.widgets.widget import _instances

    one = "%%orcheo twice\nworkflow.add_node('a', 'DebugNode')\nworkflow.add_edge(START, 'a')\n"
    shell.ok(one)
    shell.ok("%orcheo show twice")
    shown = _instances[
        shell.display.outputs[-1]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    ]
    bound = shell.ns["twice"]
    shell.ok(one + "workflow.add_node('b', 'DebugNode')\nworkflow.add_edge('a', 'b')\n")
    assert shell.ns["twice"] is bound
    assert [n["id"] for n in shown.document["graph"]["ir"]["nodes"]] == ["a", "b"]
    shown._save()  # what the toolbar's Save asks the kernel to do
    saved = spec.load(shell.folder / "twice.orcheo.json")
    assert [n.id for n in saved.graph.ir.nodes] == ["a", "b"]


def test_a_rerun_cell_keeps_the_edits_made_outside_it_as_a_version(
    shell: Shell, capsys: Any
) -> None:
    # Canvas edits live in the kernel's Workflow, not in the cell: re-running the cell
    # replaced them without a word, and unless a run had stored them they were gone.
    one = (
        "%%orcheo kept --no-show\n"
        "workflow.add_node('a', 'DebugNode')\nworkflow.add_edge(START, 'a')\n"
    )
    shell.ok(one)
    shell.ns["kept"].set_position("a", 10, 20)  # layout only: nothing to keep
    shell.ok(one)
    assert "outside this cell" not in capsys.readouterr().err
    shell.ns["kept"].add_node("b", "DebugNode").add_edge("a", "b")  # what a canvas does
    shell.ok(one)
    err = capsys.readouterr().err
    assert (
        "⚠ kept had edits made outside this cell since it ran (1 node added, 1 edge added); "
        "the cell replaces them. They are kept as version 2: "
        "`%orcheo code kept --version 2` gives them as a cell"
    ) in err
    doc = spec.load(shell.folder / "kept.orcheo.json")
    assert [n.id for n in doc.graph.ir.nodes] == ["a"]
    stored = store_call(lambda s: s.get_version(doc.id, 2))
    assert [n["id"] for n in stored.document["graph"]["ir"]["nodes"]] == ["a", "b"]
    assert store_call(lambda s: s.get_workflow(doc.id)).latest_version == 3
    shell.ok(one.replace("'a'", "'c'"))  # a changed cell, nothing edited elsewhere
    assert "outside this cell" not in capsys.readouterr().err


def test_a_past_version_is_shown_read_only_and_never_saved_over_the_file(shell: Shell) -> None:
    # `%orcheo show NAME --version N` drew an editable canvas with no file: its Save
    # wrote the old version over NAME.orcheo.json (the kernel's working directory).
    from ipywidgets.widgets.widget import _instances

    shell.ok(greet())
    shell.ok(greet().replace("Hello", "Hi"))  # version 2, the file's
    before = (shell.folder / "greet.orcheo.json").read_text()
    shell.ok("%orcheo show greet --version 1")
    shown = _instances[
        shell.display.outputs[-1]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    ]
    assert shown.read_only is True
    assert shown.document["graph"]["ir"]["nodes"][0]["config"]["variables"]["message"] == (
        "Hello {{inputs.name}}!"
    )
    sent: list[Any] = []
    shown.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    shown._save()  # what the toolbar's Save asks the kernel to do
    assert (shell.folder / "greet.orcheo.json").read_text() == before
    assert sent == [
        {
            "type": "notice",
            "level": "error",
            "message": "This canvas is read-only: nothing to save.",
        }
    ]
    shell.ok("%orcheo show greet")
    current = _instances[
        shell.display.outputs[-1]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    ]
    assert current.read_only is False
