"""Export: what it collects from a notebook, what it writes, and what it refuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.export import export_notebook
from orcheo_jupyter.export.errors import ExportError
from orcheo_jupyter.magics.cell import build_cell

Cell = str | tuple[str, Any] | dict[str, Any]


def make_notebook(path: Path, cells: list[Cell]) -> Path:
    """A notebook file: strings are code cells, (header, data) a %%orcheo JSON cell,
    dicts give ``source`` with ``tags`` or ``kind: markdown``."""
    out = []
    for cell in cells:
        if isinstance(cell, tuple):
            out.append(new_code_cell(f"{cell[0]}\n{json.dumps(cell[1], indent=1)}"))
        elif isinstance(cell, dict):
            made = (new_markdown_cell if cell.get("kind") == "markdown" else new_code_cell)(
                cell["source"]
            )
            if "tags" in cell:
                made.metadata["tags"] = cell["tags"]
            out.append(made)
        else:
            out.append(new_code_cell(cell))
    nbformat.write(new_notebook(cells=out), path)
    return path


GREET_BODY = """\
def shout(state):
    return yaml.safe_dump({"limit": LIMIT, "name": state["inputs"]["name"].upper()})

def day(state):
    return dates.isoparse("2024-05-03").strftime("%A")

workflow.add_node("hello", "SetVariableNode", variables={"message": "Hello {{inputs.name}}!"})
workflow.add_node("shout", shout)
workflow.add_node("day", day)
workflow.add_edge(START, "hello")
workflow.add_edge("hello", "shout")
workflow.add_edge("shout", "day")
workflow.add_edge("day", END)"""

YAML_DOC = """\
description: a document written as YAML
graph:
  format: frozen-ir
  ir:
    nodes:
      - {kind: builtin, id: only, type: SetVariableNode, config: {variables: {x: 1}}}
    edges:
      - {source: __start__, target: only}
      - {source: only, target: __end__}"""


def _pins(text: str) -> list[tuple[str, str, str]]:
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            pin, _, why = line.partition("#")
            name, _, version = pin.strip().partition("==")
            out.append((name, version, why.strip()))
    return out


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_export_collects_cells_and_named_documents_with_pinned_imports(folder: Path) -> None:
    Workflow("other").add_node("a", "SetVariableNode", variables={"v": 1}).add_edge(
        "__start__", "a"
    ).add_edge("a", "__end__").save(folder / "other.orcheo.json")
    Workflow("third").add_node("b", "SetVariableNode", variables={"v": 2}).add_edge(
        "__start__", "b"
    ).add_edge("b", "__end__").save(folder / "third.orcheo.json")
    notebook = make_notebook(
        folder / "demo.ipynb",
        [
            {"kind": "markdown", "source": "# demo"},
            "%load_ext orcheo_jupyter",
            {"source": 'name = "Ada"\ncount = 2', "tags": ["parameters"]},
            "import yaml\nfrom dateutil import parser as dates\nLIMIT = 3\n"
            'open("side_effect.txt", "w").write("ran")\nlater = compute()',
            f"%%orcheo greet\n{GREET_BODY}",
            f"%%orcheo doc --format yaml --no-show\n{YAML_DOC}",
            'import orcheo_jupyter\nw = orcheo_jupyter.Workflow("x")\nw.save("other.orcheo.json")',
            "%orcheo run third --quiet\n%orcheo run greet",
            'print(open("missing.orcheo.json").read())',
        ],
    )
    bundle = export_notebook(notebook, folder / "out")

    assert not (folder / "side_effect.txt").exists()  # no notebook code ran
    names = {p.name for p in (folder / "out").iterdir()}
    assert names == {
        "greet.orcheo.json",
        "doc.orcheo.json",
        "other.orcheo.json",
        "third.orcheo.json",
        "requirements.txt",
        "orcheo-bundle.json",
        "README.md",
        "config.example.py",
        ".env.example",
        "graphs.py",
        "langgraph.json",
    }
    manifest = json.loads((folder / "out" / "orcheo-bundle.json").read_text())
    assert [(w["name"], w["origin"]) for w in manifest["workflows"]] == [
        ("greet", "cell 5 (%%orcheo greet)"),
        ("doc", "cell 6 (%%orcheo doc)"),
        ("other", "other.orcheo.json (named in cell 7)"),
        ("third", "third.orcheo.json (named in cell 8)"),
    ]
    assert manifest["parameters"] == {"name": "Ada", "count": 2}

    # The cell's workflow exactly as the magic builds it, plus the parameters as defaults.
    import dateutil.parser
    import yaml

    expected = build_cell(
        GREET_BODY, "greet", namespace={"yaml": yaml, "dates": dateutil.parser, "LIMIT": 3}
    ).workflow.document
    greet = spec.load(folder / "out" / "greet.orcheo.json")
    assert greet.graph == expected.graph
    assert greet.inputs_schema == {
        "type": "object",
        "properties": {"name": {"default": "Ada"}, "count": {"default": 2}},
    }
    shout = next(n for n in greet.graph.ir.nodes if n.id == "shout")
    assert shout.body.splitlines()[:2] == ["import yaml", "LIMIT = 3"]
    other = spec.load(folder / "out" / "other.orcheo.json")
    assert other.graph == spec.load(folder / "other.orcheo.json").graph

    assert _pins((folder / "out" / "requirements.txt").read_text()) == [
        ("orcheo-jupyter", metadata.version("orcheo-jupyter"), ""),
        ("python-dateutil", metadata.version("python-dateutil"), "greet/day"),
        ("PyYAML", metadata.version("PyYAML"), "greet/shout"),
    ]
    assert [w for w in bundle.warnings if "missing.orcheo.json" in w] == [
        "cell 9 names missing.orcheo.json, which does not exist (yet): run the notebook "
        "first to export it"
    ]


def test_cli_refuses_a_notebook_whose_workflow_does_not_validate(folder: Path) -> None:
    make_notebook(
        folder / "bad.ipynb",
        [
            "%load_ext orcheo_jupyter",
            "x = 1",
            '%%orcheo broken\nworkflow.add_node("a", "SetVariableNode", variables={})\n'
            'workflow.add_node("b", "NoSuchNode")\nworkflow.add_edge(START, "a")\n'
            'workflow.add_edge("a", "b")\nworkflow.add_edge("b", END)',
        ],
    )
    proc = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "export", "bad.ipynb", "-o", "out"],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == "error: bad.ipynb cannot be exported: its workflows do not validate"
    assert lines[1].startswith("  cell 3 (%%orcheo broken), line 3: node 'b'")
    assert "NoSuchNode" in lines[1]
    assert not (folder / "out").exists()


def test_json_cells_and_named_files_are_checked_too(folder: Path) -> None:
    bad = {
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [{"kind": "builtin", "id": "n", "type": "SetVariableNode", "config": {}}],
                "edges": [
                    {"source": "__start__", "target": "n"},
                    {"source": "n", "target": "gone"},
                ],
            },
        }
    }
    (folder / "broken.orcheo.json").write_text(json.dumps({"name": "broken", **bad}))
    notebook = make_notebook(
        folder / "nb.ipynb",
        [("%%orcheo first --format json", bad), 'path = "broken.orcheo.json"'],
    )
    with pytest.raises(ExportError) as caught:
        export_notebook(notebook, folder / "out")
    where = [(p.cell, p.what) for p in caught.value.problems]
    assert (1, "%%orcheo first") in where
    assert (2, "broken.orcheo.json") in where
    assert all("gone" in p.message for p in caught.value.problems)


def test_parameters_must_be_literals(folder: Path) -> None:
    notebook = make_notebook(
        folder / "nb.ipynb",
        [{"source": 'team = "data"\nitems = load()', "tags": ["parameters"]}],
    )
    with pytest.raises(ExportError) as caught:
        export_notebook(notebook)
    (problem,) = caught.value.problems
    assert (problem.cell, problem.what, problem.line) == (1, "parameters", 2)
    assert "parameter 'items' is not a literal" in problem.message


def test_papermill_injected_parameters_override_the_defaults(folder: Path) -> None:
    notebook = make_notebook(
        folder / "nb.ipynb",
        [
            {"source": 'team = "data"\nsize = 1', "tags": ["parameters"]},
            {"source": 'team = "ops"', "tags": ["injected-parameters"]},
            f"%%orcheo doc --format yaml\n{YAML_DOC}",
        ],
    )
    bundle = export_notebook(notebook)
    assert bundle.directory == folder / "nb_bundle"
    doc = spec.load(bundle.directory / "doc.orcheo.json")
    assert doc.inputs_schema["properties"] == {"team": {"default": "ops"}, "size": {"default": 1}}


def test_a_name_computed_by_the_notebook_is_explained_or_read_from_the_saved_file(
    folder: Path,
) -> None:
    cells: list[Cell] = [
        'MODEL = "a" if True else "b"',
        '%%orcheo uses\nworkflow.add_node("n", "SetVariableNode", variables={"m": MODEL})\n'
        'workflow.add_edge(START, "n")\nworkflow.add_edge("n", END)',
    ]
    notebook = make_notebook(folder / "nb.ipynb", cells)
    with pytest.raises(ExportError) as caught:
        export_notebook(notebook)
    (message,) = [str(p) for p in caught.value.problems]
    assert message.startswith(
        "cell 2 (%%orcheo uses), line 2: NameError: name 'MODEL' is not defined ('MODEL' is "
        "set in cell 1 by code export does not run"
    )

    # Once the notebook ran, the cell's saved document is exported instead.
    saved = build_cell(cells[1].split("\n", 1)[1], "uses", namespace={"MODEL": "a"})  # type: ignore[union-attr]
    spec.save(
        saved.workflow.document.model_copy(update={"id": "saved-id"}), folder / "uses.orcheo.json"
    )
    bundle = export_notebook(notebook)
    assert spec.load(bundle.directory / "uses.orcheo.json").id == "saved-id"
    assert any(
        "exported the document the cell saved (uses.orcheo.json)" in w for w in bundle.warnings
    )


def test_output_directory_rules_and_re_export(folder: Path) -> None:
    (folder / "taken").mkdir()
    (folder / "taken" / "notes.txt").write_text("mine")
    notebook = make_notebook(
        folder / "nb.ipynb",
        [f"%%orcheo one --format yaml\n{YAML_DOC}", f"%%orcheo two --format yaml\n{YAML_DOC}"],
    )
    with pytest.raises(ExportError, match=r"is not empty and holds no orcheo-bundle\.json"):
        export_notebook(notebook, folder / "taken")
    assert [p.name for p in (folder / "taken").iterdir()] == ["notes.txt"]

    first = export_notebook(notebook, folder / "out")
    (folder / "out" / ".env").write_text("ORCHEO_PORT=1")
    ids = {w.name: w.id for w in first.workflows}
    make_notebook(notebook, [f"%%orcheo one --format yaml\n{YAML_DOC}"])
    second = export_notebook(notebook, folder / "out")
    assert not (folder / "out" / "two.orcheo.json").exists()
    assert (folder / "out" / ".env").read_text() == "ORCHEO_PORT=1"
    assert [w.id for w in second.workflows] == [ids["one"]]  # stable across exports


def test_an_import_no_package_provides_is_listed_as_unknown(folder: Path) -> None:
    body = (
        "def f(state):\n    import not_a_module_anyone_has\n    return 1\n\n"
        'workflow.add_node("f", f)\nworkflow.add_edge(START, "f")\nworkflow.add_edge("f", END)'
    )
    notebook = make_notebook(folder / "nb.ipynb", [f"%%orcheo odd\n{body}"])
    bundle = export_notebook(notebook)
    text = (bundle.directory / "requirements.txt").read_text()
    assert (
        "# unknown: no installed package provides 'not_a_module_anyone_has' (imported by odd/f);"
        " add it by hand" in text
    )
    assert any("not_a_module_anyone_has" in w for w in bundle.warnings)


def test_cli_run_fills_missing_inputs_from_the_parameters(folder: Path) -> None:
    body = (
        'workflow.add_node("t", "SetVariableNode",\n'
        '                  variables={"line": "{{inputs.team}}/{{inputs.size}}"})\n'
        'workflow.add_edge(START, "t")\nworkflow.add_edge("t", END)'
    )
    notebook = make_notebook(
        folder / "nb.ipynb",
        [{"source": 'team = "data"\nsize = 3', "tags": ["parameters"]}, f"%%orcheo t\n{body}"],
    )
    bundle = export_notebook(notebook)
    env = {**os.environ, "ORCHEO_DATA_DIR": str(folder / "data")}

    def run(*extra: str) -> Any:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "orcheo_jupyter",
                "run",
                str(bundle.directory / "t.orcheo.json"),
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return json.loads(proc.stdout)

    assert run()["results"]["t"] == {"line": "data/3"}
    overridden = run("--inputs", '{"team": "ops"}')
    assert overridden["inputs"] == {"team": "ops", "size": 3}
    assert overridden["results"]["t"] == {"line": "ops/3"}


def test_percent_orcheo_export_in_a_kernel(folder: Path) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from orcheo_jupyter.magics.errors import OrcheoCellError

    make_notebook(folder / "good.ipynb", [f"%%orcheo one --format yaml\n{YAML_DOC}"])
    make_notebook(folder / "bad.ipynb", ['%%orcheo b\nworkflow.add_node("n", "Nope")'])
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "orcheo_jupyter")
        bundle = shell.run_line_magic("orcheo", "export good.ipynb -o shipped")
        assert [w.file for w in bundle.workflows] == ["one.orcheo.json"]
        assert (folder / "shipped" / "one.orcheo.json").exists()
        assert "exported 1 workflow(s) to shipped" in repr(bundle)
        with pytest.raises(OrcheoCellError) as caught:
            shell.run_line_magic("orcheo", "export bad.ipynb")
        assert caught.value.title == "bad.ipynb cannot be exported: its workflows do not validate"
        assert str(caught.value.problems[0]).startswith("cell 1 (%%orcheo b), line 2: ")
        with pytest.raises(OrcheoCellError, match="name the notebook to export"):
            shell.run_line_magic("orcheo", "export")
        # In Jupyter, the kernel knows its notebook (ipykernel's __session__).
        shell.user_ns["__session__"] = str(folder / "good.ipynb")
        bundle = shell.run_line_magic("orcheo", "export")
        assert bundle.directory == folder / "good_bundle"
    finally:
        InteractiveShell.clear_instance()


def test_a_notebook_without_workflows_says_what_it_looked_for(folder: Path) -> None:
    notebook = make_notebook(
        folder / "nb.ipynb",
        ['w = make()\nw.save("drawn.orcheo.json")', "%orcheo run drawn"],
    )
    with pytest.raises(ExportError) as caught:
        export_notebook(notebook)
    assert caught.value.title == (
        "nb.ipynb has no workflows to export: no %%orcheo cells, and no *.orcheo.json "
        "document its cells name exists"
    )
    assert [str(p) for p in caught.value.problems] == [
        "cell 1 names drawn.orcheo.json, which does not exist (yet): run the notebook first "
        "to export it"
    ]


def test_a_bundle_with_pinned_outputs_warns(folder: Path) -> None:
    doc = {
        "pinned": {"only": {"x": 99}},
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "only",
                        "type": "SetVariableNode",
                        "config": {"variables": {"x": 1}},
                    }
                ],
                "edges": [
                    {"source": "__start__", "target": "only"},
                    {"source": "only", "target": "__end__"},
                ],
            },
        },
    }
    notebook = make_notebook(folder / "nb.ipynb", [("%%orcheo pinned --format json", doc)])
    bundle = export_notebook(notebook, folder / "out")
    assert any("workflow 'pinned' carries pinned outputs for only" in w for w in bundle.warnings)
    assert spec.load(folder / "out" / "pinned.orcheo.json").pinned == {"only": {"x": 99}}


def test_a_file_edited_since_its_cell_ran_is_named_and_the_cell_is_exported(folder: Path) -> None:
    # A canvas's Save writes the file beside the notebook, not the cell: export built
    # the cell and dropped those edits without a word.
    body = (
        "workflow.add_node('hello', 'SetVariableNode', variables={'x': 1})\n"
        "workflow.add_edge(START, 'hello')\nworkflow.add_edge('hello', END)"
    )
    notebook = make_notebook(folder / "nb.ipynb", [f"%%orcheo greet\n{body}"])
    built = build_cell(body, "greet", "python").workflow
    built.set_position("hello", 40, 80)  # layout only: no warning
    built.save(folder / "greet.orcheo.json")
    assert export_notebook(notebook, folder / "out").warnings == []

    built.add_node("extra", "DebugNode").add_edge("hello", "extra")
    built.save(folder / "greet.orcheo.json")
    bundle = export_notebook(notebook, folder / "out2")
    assert bundle.warnings == [
        "greet.orcheo.json beside the notebook differs from cell 1 (%%orcheo greet): the file "
        "has 1 node added, 1 edge added (saved by a canvas, %orcheo push or an editor since "
        "the cell last ran); the bundle holds the cell's workflow. Re-run the cell to save it "
        "over the file, or `%orcheo code greet` to turn the file into a cell"
    ]
    exported = spec.load(folder / "out2" / "greet.orcheo.json")
    assert [n.id for n in exported.graph.ir.nodes] == ["hello"]


def test_exporting_a_workflow_file_says_export_takes_a_notebook(folder: Path) -> None:
    # A new user's natural guess; it answered with nbformat's "could not be converted
    # from version 1 to version 2 because it's missing a key: cells".
    Workflow("greet").add_node("a", "DebugNode").add_edge("START", "a").save()
    done = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "export", "greet.orcheo.json"],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "error: greet.orcheo.json is a workflow, not a notebook: export reads a .ipynb that "
        "holds %%orcheo cells; `python -m orcheo_jupyter run greet.orcheo.json` runs a "
        "workflow as it is"
    )
    assert not (folder / "greet_bundle").exists()
