"""``jupyter orcheo --bundle DIR``: the bundle's workflows stored at start-up, triggers armed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.export import export_notebook
from orcheo_jupyter.export.bundle import Bundle
from tests.export.fresh_venv import wait_run
from tests.export.test_export import make_notebook
from tests.server.headless import start_headless

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


def test_restarts_keep_versions_and_a_changed_document_is_a_new_version(
    bundle: Bundle, tmp_path: Path
) -> None:
    root = tmp_path / "server"
    start_headless(root, "--bundle", str(bundle.directory)).stop()
    server = start_headless(root, "--bundle", str(bundle.directory))
    assert server.stop() == 0
    assert [
        line.split(":")[2].strip().split(" ")[0]
        for line in _log_lines(server.log, "bundle workflow")
    ] == ["unchanged", "unchanged"]

    path = bundle.directory / "sched.orcheo.json"
    spec.save(spec.load(path).model_copy(update={"description": "now described"}), path)
    server = start_headless(root, env={"ORCHEO_BUNDLE": str(bundle.directory)})
    try:
        sched = bundle.workflows[1].id
        got = httpx.get(f"{server.api}/workflows/{sched}", headers=server.headers).json()
        assert (got["latest_version"], got["document"]["description"]) == (2, "now described")
    finally:
        server.stop()


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
