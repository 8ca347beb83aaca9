"""A notebook never silently replaces a version someone else stored since its kernel's.

A real server and real kernels on one store, as in JupyterLab: the kernel stores
``%%orcheo`` cells and ``%orcheo run`` with the version it last loaded or stored as
``base_version``. When another person (the REST API here, or a second notebook's
kernel) stored a version since, the magic says so naming the workflow and both
versions, stores nothing, leaves the file alone, and ``--force`` stores it on top.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import linear_doc

from .test_kernel_and_server import Kernel, Reply, Setup, kernel_beside_server, kernel_on


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with kernel_beside_server(tmp_path_factory.mktemp("lost-updates")) as both:
        yield both


def cell(name: str, *nodes: str, options: str = "") -> str:
    lines = [f"%%orcheo {name} --no-show{options}"]
    lines += [
        f'workflow.add_node("{n}", "SetVariableNode", variables={{"me": "{n}"}})' for n in nodes
    ]
    chain = ["START", *(f'"{n}"' for n in nodes), "END"]
    lines += [f"workflow.add_edge({a}, {b})" for a, b in itertools.pairwise(chain)]
    return "\n".join(lines) + "\n"


def node_ids(document: dict[str, Any]) -> list[str]:
    return [n["id"] for n in document["graph"]["ir"]["nodes"]]


def refused(kernel: Kernel, code: str) -> str:
    """The one-line cell error ``code`` ended with."""
    reply: Reply = kernel.run(code)
    assert reply.status == "error", reply.texts()
    (error,) = reply.of_type("error")
    assert error["content"]["ename"] == "OrcheoCellError"
    assert len(error["content"]["traceback"]) == 1  # one short line, no Python traceback
    return str(error["content"]["evalue"])


def stored_id(setup: Setup, name: str) -> str:
    return str(
        next(w["id"] for w in setup.api.list_workflows(q=name)["items"] if w["name"] == name)
    )


def test_a_cell_rerun_after_someone_else_stored_is_refused_until_forced(setup: Setup) -> None:
    kernel, api = setup.kernel, setup.api
    first = kernel.ok(cell("report", "a"))
    assert any("saved report.orcheo.json · version 1 (new workflow" in t for t in first.texts())
    wid = stored_id(setup, "report")
    file = setup.folder / "report.orcheo.json"
    on_disk = file.read_text()

    # Someone else (the REST API, from version 1) stores version 2.
    assert api.get_workflow(wid)["version"] == 1
    theirs = {**linear_doc("a", "theirs", name="report"), "id": wid}
    assert api.update_workflow(wid, theirs)["version"] == 2

    message = refused(kernel, cell("report", "a", "mine"))
    assert message == (
        f"report not saved: workflow 'report' (id {wid}) was stored as version 2 by someone "
        "else (another notebook or kernel, a Lab tab, the REST API) since version 1, which "
        "this edit was made from; nothing was stored and report.orcheo.json is unchanged. "
        "`%orcheo diff report 1 2` shows what they changed; `%orcheo code report --version 2` "
        "gives the stored version as a cell; re-running this cell as "
        "`%%orcheo report --no-show --force` stores yours on top as version 3 (theirs stays "
        "as version 2)."
    )
    latest = api.get_workflow(wid)
    assert latest["latest_version"] == 2 and node_ids(latest["document"]) == ["a", "theirs"]
    assert file.read_text() == on_disk
    # The same cell unchanged is refused too: re-running it would replace theirs.
    assert "was stored as version 2 by someone else" in refused(kernel, cell("report", "a"))

    forced = kernel.ok(cell("report", "a", "mine", options=" --force"))
    assert any("saved report.orcheo.json · version 3 (new version" in t for t in forced.texts())
    latest = api.get_workflow(wid)
    assert latest["latest_version"] == 3 and node_ids(latest["document"]) == ["a", "mine"]
    assert node_ids(api.get_version(wid, 2)["document"]) == ["a", "theirs"]
    assert node_ids(json.loads(file.read_text())) == ["a", "mine"]
    # Now at version 3, the kernel's next edit goes through without --force.
    again = kernel.ok(cell("report", "a", "mine", "more"))
    assert any("version 4 (new version" in t for t in again.texts())


def test_run_of_edits_made_before_someone_else_stored_is_refused_until_forced(
    setup: Setup,
) -> None:
    kernel, api = setup.kernel, setup.api
    kernel.ok(cell("nightly", "a"))
    wid = stored_id(setup, "nightly")
    # In the notebook: an edit of the live workflow (what the canvas does), not yet stored.
    kernel.ok('nightly.set_config("a", variables={"me": "edited here"})')
    api.get_workflow(wid)
    api.update_workflow(wid, {**linear_doc("a", "theirs", name="nightly"), "id": wid})
    runs_before = api.list_executions(workflow_id=wid)["total"]

    message = refused(kernel, "%orcheo run nightly --quiet")
    assert message.startswith(
        f"nightly not run: workflow 'nightly' (id {wid}) was stored as version 2 by someone "
        "else (another notebook or kernel, a Lab tab, the REST API) since version 1, which "
        "this edit was made from; nothing was stored and nightly.orcheo.json is unchanged."
    )
    assert message.endswith(
        "`%orcheo run nightly --quiet --force` stores yours on top as version 3 (theirs "
        "stays as version 2)."
    )
    assert api.list_executions(workflow_id=wid)["total"] == runs_before  # nothing ran
    assert node_ids(api.get_workflow(wid)["document"]) == ["a", "theirs"]

    kernel.ok("%orcheo run nightly --quiet --force -o res")
    shown = kernel.ok("print(res.status, res.results['a']['me'])").texts()[-1].split(maxsplit=1)
    assert shown == ["succeeded", "edited here\n"]
    latest = api.get_workflow(wid)
    assert latest["latest_version"] == 3
    assert latest["document"]["graph"]["ir"]["nodes"][0]["config"]["variables"] == {
        "me": "edited here"
    }
    run = api.list_executions(workflow_id=wid)["items"][0]
    assert run["version"] == 3


def test_two_notebooks_with_one_workflow_name(setup: Setup, tmp_path: Path) -> None:
    """A second notebook's kernel never loaded the workflow: its cell is not stored over it."""
    kernel, api = setup.kernel, setup.api
    kernel.ok(cell("team", "a"))
    wid = stored_id(setup, "team")
    elsewhere = tmp_path / "other-notebooks"
    elsewhere.mkdir()
    with kernel_on(setup.server.data_dir, elsewhere, tmp_path / "kernel-b") as other:
        message = refused(other, cell("team", "b"))
        assert message == (
            f"team not saved: workflow 'team' (id {wid}) is already stored, at version 1, and "
            "this edit was not made from any stored version of it (this kernel has not loaded "
            "or stored it, and no team.orcheo.json here holds one of its versions); nothing "
            "was stored and team.orcheo.json was not written. `%orcheo code team --version 1` "
            "gives the stored version as a cell; re-running this cell as "
            "`%%orcheo team --no-show --force` stores yours as version 2 (version 1 stays in "
            "the history)."
        )
        assert not (elsewhere / "team.orcheo.json").exists()
        assert api.get_workflow(wid)["latest_version"] == 1

        # Taking theirs as a cell makes version 1 this kernel's base: its edit goes through.
        other.ok("%orcheo code team --print")  # printing alone loads nothing
        assert "is already stored" in refused(other, cell("team", "b"))
        other.ok("%orcheo code team")
        stored = other.ok(cell("team", "a", "b"))
        assert any("saved team.orcheo.json · version 2 (new version" in t for t in stored.texts())

    # The first notebook is now behind.
    assert "was stored as version 2 by someone else" in refused(kernel, cell("team", "a", "c"))
    assert node_ids(api.get_workflow(wid)["document"]) == ["a", "b"]
