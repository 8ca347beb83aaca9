"""Upstream-style Orcheo scripts through ``%%orcheo`` and ``Workflow`` (issue 21).

The cells are the scripts an Orcheo user writes (``tests/compat/scripts.py``);
static graphs of node classes become frozen-ir workflows with real node types,
others stay scripts, and both run in the kernel with upstream's results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orcheo_jupyter import local, spec
from orcheo_jupyter.runtime import background
from orcheo_jupyter.workflow import Workflow
from tests.compat.scripts import CREDENTIALS, PLAIN_DICT, ROUTED, TASKS, WELCOME_LEGACY

from .conftest import Shell


def test_a_cell_of_node_classes_becomes_a_typed_workflow(shell: Shell) -> None:
    shell.ok("%%orcheo routed --no-show\n" + ROUTED)
    doc = spec.load(shell.folder / "routed.orcheo.json")
    assert doc.graph.format == "frozen-ir"
    types = {n.id: n.type for n in doc.graph.ir.nodes}  # type: ignore[union-attr]
    assert types["is_large"] == "IfElseNode" and types["by_tier"] == "SwitchNode"
    result = shell.ns["routed"].run({"amount": 250, "tier": "Gold"})
    assert result.status == "succeeded", result.error
    assert result.results["order"] == {"amount": 250, "tier": "Gold"}
    assert result.results["large"] == {"label": "large 250"}
    assert result.results["gold"] == {"discount": 0.2}


def test_a_cell_with_task_nodes_stays_a_script_and_runs(shell: Shell) -> None:
    shell.ok("%%orcheo tasks --no-show\n" + TASKS)
    doc = spec.load(shell.folder / "tasks.orcheo.json")
    assert doc.graph.format == "langgraph-script"
    assert doc.graph.source == TASKS  # type: ignore[union-attr]
    result = shell.ns["tasks"].run({"name": "ada", "items": ["x", "y", "z"]})
    assert result.status == "succeeded", result.error
    assert result.results == {
        "shout": {"shout": "HELLO ADA"},
        "count": {"count": 3, "first": "x"},
        "many": {"shout": "MANY"},
    }
    # One node of the script, alone, on the input it had in that run.
    shell.ok("%orcheo test tasks shout")
    assert shell.ns["_orcheo_test"]["output"] == {"shout": "HELLO ADA"}
    assert shell.ns["_orcheo_test"]["error"] is None
    error = shell.cell("%orcheo test tasks whisper")
    assert str(error).startswith("workflow 'tasks': the workflow has no node 'whisper' (nodes: ")


def test_a_plain_langgraph_cell(shell: Shell) -> None:
    shell.ok("%%orcheo plain --no-show\n" + PLAIN_DICT)
    result = shell.ns["plain"].run({"name": "John"})
    assert result.state == {"shout": "HELLO JOHN!"}


def test_credentials_resolve_in_the_kernel_and_stay_redacted(shell: Shell) -> None:
    async def store() -> None:
        vault = (await local.executor()).services.secrets
        await vault.create("bot_token", value="tg-kernel-S3CRET")
        await vault.create("model_key", value="sk-kernel-K3Y")

    background.run(store(), 30)
    shell.ok("%%orcheo creds --no-show\n" + CREDENTIALS)
    result = shell.ns["creds"].run()
    assert result.status == "succeeded", result.error
    assert result.results["keep_secrets"] == {
        "bot_token": "[redacted:bot_token]",
        "model_key": "[redacted:model_key]",
        "bot_name": "Helper",
        "enabled": True,
    }


def test_workflow_load_reads_python_scripts(tmp_path: Path) -> None:
    path = tmp_path / "orders.py"
    path.write_text(ROUTED)
    wf = Workflow.load(path)
    assert wf.name == "orders"
    assert [n.type for n in wf.ir.nodes].count("SetVariableNode") == 5
    small = wf.run({"amount": 3, "tier": "gold"})
    assert small.results["small"] == {"label": "small"}


def test_orcheo_is_never_put_in_sys_modules(tmp_path: Path) -> None:
    """A real ``orcheo`` package keeps working beside the scripts' namespace."""
    real = tmp_path / "orcheo"
    real.mkdir()
    (real / "__init__.py").write_text("REAL = True\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import orcheo  # type: ignore[import-not-found]

        assert orcheo.REAL
        wf = Workflow.from_script(CREDENTIALS, "creds")
        assert wf.ir.nodes[0].type == "SetVariableNode"  # the script saw our namespace
        assert sys.modules["orcheo"] is orcheo  # and the real package is untouched
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("orcheo", None)
    Workflow.from_script(CREDENTIALS, "creds")
    assert "orcheo" not in sys.modules


def test_legacy_json_cells_and_files(shell: Shell, tmp_path: Path, capsys: Any) -> None:
    shell.ok("%%orcheo welcome --format json --no-show\n" + json.dumps(WELCOME_LEGACY, indent=2))
    out = capsys.readouterr().err  # shown under the cell, like other warnings
    assert "converted from Orcheo's legacy JSON" in out
    assert "inputs: name became inputs_schema defaults" in out
    doc = spec.load(shell.folder / "welcome.orcheo.json")
    assert doc.graph.format == "frozen-ir" and doc.name == "welcome"
    assert shell.ns["welcome"].run().results["welcome"] == {"result": {"message": "Ada"}}

    path = tmp_path / "welcome.json"
    path.write_text(json.dumps(WELCOME_LEGACY))
    wf = Workflow.load(path)
    assert (wf.name, wf.document.description) == ("Welcome", WELCOME_LEGACY["description"])
    assert wf.run({"name": "Grace"}).results["welcome"] == {"result": {"message": "Grace"}}
