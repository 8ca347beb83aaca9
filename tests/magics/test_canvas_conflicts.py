"""Edits made on a notebook canvas reach the store through the magics, never over another's.

The canvas widget itself writes only the file (its Save) and runs in the kernel
without storing; its edits change the kernel's live workflow, which ``%orcheo run``
stores first. When someone stored a version since the kernel's, that run is refused
naming both versions, and ``--force`` stores the canvas's edits on top.
"""

from __future__ import annotations

from typing import Any

import pytest

from orcheo_jupyter import Canvas, spec
from orcheo_jupyter.spec.io import stored_form

from .conftest import Shell, store_call

CELL = """%%orcheo greet --no-show
workflow.add_node("hello", "SetVariableNode", variables={"text": "hello"})
workflow.add_edge(START, "hello")
workflow.add_edge("hello", END)
"""


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    monkeypatch.setattr(Canvas, "send", lambda self, content, buffers=None: out.append(content))
    return out


def _someone_else_stores(workflow_id: str) -> None:
    """Another person's save (Lab, REST, another kernel) of a version on top of version 1."""
    doc = spec.load("greet.orcheo.json")
    theirs = doc.model_copy(update={"description": "edited by someone else"}, deep=True)
    checksum, text = stored_form(theirs)
    store_call(
        lambda s: s.add_version(
            workflow_id, theirs.name, theirs.description, [], checksum, text, base_version=1
        )
    )


def test_canvas_edits_are_not_stored_over_a_version_stored_since(
    shell: Shell, sent: list[dict[str, Any]]
) -> None:
    shell.ok(CELL)
    wid = spec.load(shell.folder / "greet.orcheo.json").id
    assert wid is not None
    canvas = Canvas(shell.ns["greet"])
    edit = [{"op": "set_config", "id": "hello", "config": {"variables": {"text": "canvas"}}}]
    canvas._on_message(canvas, {"type": "diffs", "seq": 1, "view": "v", "diffs": edit}, [])
    assert [m["ok"] for m in sent if m["type"] == "ack"] == [True]
    _someone_else_stores(wid)

    # The canvas's Save writes the file only: the store keeps their version 2.
    canvas._on_message(canvas, {"type": "save"}, [])
    assert spec.load(shell.folder / "greet.orcheo.json").graph.ir.nodes[0].config == {
        "variables": {"text": "canvas"}
    }
    assert store_call(lambda s: s.get_workflow(wid)).latest_version == 2

    error = shell.cell("%orcheo run greet --quiet")
    assert type(error).__name__ == "OrcheoCellError"
    assert str(error).startswith(
        f"greet not run: workflow 'greet' (id {wid}) was stored as version 2 by someone else "
        "(another notebook or kernel, a Lab tab, the REST API) since version 1, which this "
        "edit was made from; nothing was stored and greet.orcheo.json is unchanged."
    )
    assert str(error).endswith(
        "`%orcheo run greet --quiet --force` stores yours on top as version 3 (theirs stays "
        "as version 2)."
    )
    assert store_call(lambda s: s.list_runs(workflow_id=wid))[1] == 0  # nothing ran
    latest = store_call(lambda s: s.get_version(wid))
    assert latest.version == 2 and latest.document["description"] == "edited by someone else"

    shell.ok("%orcheo run greet --quiet --force")
    result = shell.ns["_orcheo_run"]
    assert result.status == "succeeded" and result.results["hello"] == {"text": "canvas"}
    latest = store_call(lambda s: s.get_version(wid))
    assert latest.version == 3 and result.record.version == 3
    assert latest.document["graph"]["ir"]["nodes"][0]["config"] == {"variables": {"text": "canvas"}}
    # Further canvas edits are made from version 3: stored without --force.
    again = [{"op": "set_config", "id": "hello", "config": {"variables": {"text": "again"}}}]
    canvas._on_message(canvas, {"type": "diffs", "seq": 2, "view": "v", "diffs": again}, [])
    shell.ok("%orcheo run greet --quiet")
    assert store_call(lambda s: s.get_workflow(wid)).latest_version == 4


def _new_kernel(shell: Shell) -> None:
    """What a kernel restart forgets: the versions it loaded and stored, its workflows."""
    magics = shell.ip.magics_manager.registry["OrcheoMagics"]
    magics._bases.clear()
    magics._saved.clear()
    magics._built.clear()
    magics.live.clear()


def _save_file(edit: Any) -> None:
    """A canvas Save (or a hand edit): the file changes, the store does not."""
    doc = spec.load("greet.orcheo.json")
    spec.save(edit(doc.model_copy(deep=True)), "greet.orcheo.json")


def _moved(doc: Any) -> Any:
    doc.canvas.positions = {"hello": {"x": 120.0, "y": 40.0}}
    return doc


def _reconfigured(doc: Any) -> Any:
    doc.graph.ir.nodes[0].config = {"variables": {"text": "saved on the canvas"}}
    return _moved(doc)


def test_after_a_restart_edits_saved_to_the_file_are_stored_on_their_version(
    shell: Shell,
) -> None:
    shell.ok(CELL)
    wid = spec.load(shell.folder / "greet.orcheo.json").id
    _save_file(_reconfigured)
    _new_kernel(shell)

    shell.ok("%orcheo run greet --quiet")
    assert shell.ns["_orcheo_run"].results["hello"] == {"text": "saved on the canvas"}
    assert store_call(lambda s: s.get_workflow(wid)).latest_version == 2


def test_after_a_restart_a_moved_file_still_names_its_version(shell: Shell) -> None:
    shell.ok(CELL)
    wid = spec.load(shell.folder / "greet.orcheo.json").id
    assert wid is not None
    _save_file(_moved)
    _someone_else_stores(wid)
    _new_kernel(shell)

    error = shell.cell("%orcheo run greet --quiet")
    assert type(error).__name__ == "OrcheoCellError"
    assert "was stored as version 2 by someone else" in str(error)
    assert "since version 1, which this edit was made from" in str(error)
    assert store_call(lambda s: s.get_workflow(wid)).latest_version == 2


def test_after_a_restart_a_cell_unlike_its_edited_file_is_not_stored_over_theirs(
    shell: Shell,
) -> None:
    shell.ok(CELL)
    wid = spec.load(shell.folder / "greet.orcheo.json").id
    assert wid is not None
    _save_file(_reconfigured)  # edits saved to the file only, never stored
    _someone_else_stores(wid)
    _new_kernel(shell)

    error = shell.cell(CELL)  # the cell as it was: version 1's workflow
    assert type(error).__name__ == "OrcheoCellError"
    assert "was stored as version 2 by someone else" in str(error)
    assert "since version 1, which this edit was made from" in str(error)
    latest = store_call(lambda s: s.get_version(wid))
    assert latest.version == 2 and latest.document["description"] == "edited by someone else"
