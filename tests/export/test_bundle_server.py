"""``jupyter orcheo --bundle DIR``: the bundle's workflows stored at start-up, triggers armed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.client import OrcheoClient
from orcheo_jupyter.export import export_notebook
from orcheo_jupyter.export.bundle import Bundle
from tests.export.fresh_venv import wait_run
from tests.export.test_export import make_notebook
from tests.server.headless import Headless, start_headless

HOOKED = """\
%%orcheo hooked
workflow.add_node("greet", "SetVariableNode", variables={"text": "hello {{inputs.body.name}}"})
workflow.add_edge(START, "greet")
workflow.add_edge("greet", END)
workflow.triggers = [{"type": "webhook", "config": {"allowed_methods": ["POST"]}}]"""

SCHEDULED = """\
%%orcheo sched
workflow.add_node("t", "SetVariableNode", variables={"team": "{{inputs.team}}"})
workflow.add_edge(START, "t")
workflow.add_edge("t", END)
workflow.triggers = [{"type": "cron", "config": {"expression": "30 7 * * *", "timezone": "UTC"}}]"""


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    notebook = make_notebook(
        tmp_path / "ops.ipynb",
        [{"source": 'team = "data"', "tags": ["parameters"]}, HOOKED, SCHEDULED],
    )
    return export_notebook(notebook, tmp_path / "bundle")


def _log_lines(path: Path, word: str) -> list[str]:
    return [line.split("] ", 1)[1] for line in path.read_text().splitlines() if word in line]


def test_bundle_workflows_are_served_and_their_triggers_armed(
    bundle: Bundle, tmp_path: Path
) -> None:
    ids = {w.name: w.id for w in bundle.workflows}
    server = start_headless(tmp_path / "server", "--bundle", str(bundle.directory))
    try:
        listed = httpx.get(f"{server.api}/workflows", headers=server.headers).json()["items"]
        assert sorted((w["name"], w["id"], w["latest_version"]) for w in listed) == [
            ("hooked", ids["hooked"], 1),
            ("sched", ids["sched"], 1),
        ]
        hook = httpx.post(f"{server.url}/orcheo/hooks/hooked", json={"name": "Ada"})
        assert hook.status_code == 202, hook.text
        run = wait_run(server, hook.json()["execution_id"])
        assert run["status"] == "succeeded"
        assert run["final_state"]["results"]["greet"] == {"text": "hello Ada"}  # type: ignore[index]
        triggers = httpx.get(
            f"{server.api}/workflows/{ids['sched']}/triggers", headers=server.headers
        ).json()["triggers"]
        assert [
            (t["type"], t["config"]["expression"], t["config"]["inputs"]) for t in triggers
        ] == [("cron", "30 7 * * *", {"team": "data"})]
        assert triggers[0]["next_fire_at"].endswith("07:30:00.000000Z")
    finally:
        assert server.stop() == 0
    assert _log_lines(server.log, "bundle workflow") == [
        f"orcheo: bundle workflow hooked: created (id {ids['hooked']}, version 1, "
        "/orcheo/hooks/hooked)",
        f"orcheo: bundle workflow sched: created (id {ids['sched']}, version 1, "
        "/orcheo/hooks/sched)",
    ]


def _describe(bundle: Bundle, name: str, description: str) -> None:
    """The bundle's document of ``name`` with another description (a new bundle)."""
    path = bundle.directory / f"{name}.orcheo.json"
    spec.save(spec.load(path).model_copy(update={"description": description}), path)


def _served(server: Headless, workflow_id: str) -> tuple[int, str, list[int]]:
    """The latest version, its description and every version number, as the API says."""
    got = httpx.get(f"{server.api}/workflows/{workflow_id}", headers=server.headers).json()
    versions = httpx.get(f"{server.api}/workflows/{workflow_id}/versions", headers=server.headers)
    numbers = [v["version"] for v in versions.json()["items"]]
    return got["latest_version"], got["document"]["description"], numbers


def test_restarts_keep_server_edits_and_deploy_changed_bundles_rollbacks_too(
    bundle: Bundle, tmp_path: Path
) -> None:
    """hooked: deployed, edited on the server, restarted with the same bundle (the edit
    stays), then a new bundle (stored over the edit). sched: bundle A, B, then A again (a
    rollback is deployed). Three starts, runs not needed (no runner processes)."""
    root = tmp_path / "server"
    hooked, sched = bundle.workflows[0].id, bundle.workflows[1].id
    quick = {"ORCHEO_RUNNERS": "0"}
    server = start_headless(root, "--bundle", str(bundle.directory), env=quick)
    try:
        with OrcheoClient(server.url, server.token) as api:
            theirs = api.get_workflow(hooked)["document"]
            theirs["description"] = "edited on the server"
            assert api.update_workflow(hooked, theirs)["version"] == 2
    finally:
        assert server.stop() == 0

    _describe(bundle, "sched", "bundle B")
    server = start_headless(root, env={**quick, "ORCHEO_BUNDLE": str(bundle.directory)})
    try:
        assert _served(server, hooked) == (2, "edited on the server", [1, 2])
        assert _served(server, sched) == (2, "bundle B", [1, 2])
    finally:
        assert server.stop() == 0
    assert _log_lines(server.log, "bundle workflow") == [
        "orcheo: bundle workflow hooked: kept version 2, stored on this server since the "
        f"bundle's document was deployed as version 1 (id {hooked}, /orcheo/hooks/hooked); "
        "the bundle's document is unchanged, so nothing was stored (restore version 1 to "
        "serve it again, or change the bundle)",
        f"orcheo: bundle workflow sched: updated (id {sched}, version 2, /orcheo/hooks/sched)",
    ]
    levels = [line[:2] for line in server.log.read_text().splitlines() if "bundle workflow" in line]
    assert levels == ["[W", "[I"]  # the server does not serve the bundle's: a warning

    _describe(bundle, "hooked", "bundle B")
    _describe(bundle, "sched", "")  # bundle A again
    server = start_headless(root, "--bundle", str(bundle.directory), env=quick)
    try:
        assert _served(server, hooked) == (3, "bundle B", [1, 2, 3])
        assert _served(server, sched) == (3, "", [1, 2, 3])
    finally:
        assert server.stop() == 0
    assert _log_lines(server.log, "bundle workflow") == [
        f"orcheo: bundle workflow hooked: updated (id {hooked}, version 3, /orcheo/hooks/hooked)"
        "; the bundle's document differs from the one deployed as version 1, so it replaced "
        "version 2, stored on this server since (still in the history)",
        f"orcheo: bundle workflow sched: updated (id {sched}, version 3, /orcheo/hooks/sched)",
    ]


def test_a_bundle_that_cannot_be_served_stops_the_server(bundle: Bundle, tmp_path: Path) -> None:
    path = bundle.directory / "hooked.orcheo.json"
    data = json.loads(path.read_text())
    data["graph"]["ir"]["nodes"][0]["type"] = "NoSuchNode"
    path.write_text(json.dumps(data))
    with pytest.raises(RuntimeError, match="jupyter orcheo exited") as caught:
        start_headless(tmp_path / "server", "--bundle", str(bundle.directory))
    message = str(caught.value)
    assert f"orcheo: cannot serve the bundle: {path}: " in message
    assert "NoSuchNode" in message
