"""Every listing answers whatever a stored row holds (rows written before depth limits).

Before: one dead letter whose inputs nested 500-950 deep made ``GET
/orcheo/api/dead-letters`` answer 500 on every call from then on.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from orcheo_jupyter.server.app import OrcheoApp
from orcheo_jupyter.spec.values import TOO_DEEP
from orcheo_jupyter.triggers.records import Job
from tests.conftest import code_doc

from ..server.conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


def _app(jp_serverapp: Any) -> OrcheoApp:
    [orcheo] = [
        a
        for a in jp_serverapp.extension_manager.extension_apps["orcheo_jupyter"]
        if isinstance(a, OrcheoApp)
    ]
    return orcheo


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _write(path: Any, sql: str, *params: Any) -> None:
    with sqlite3.connect(path) as conn:  # as an older version of the server left it
        assert conn.execute(sql, params).rowcount == 1


async def test_dead_letters_with_any_stored_inputs_still_list(api: Call, jp_serverapp: Any) -> None:
    wid = (await api("POST", "workflows", json_body=code_doc("return 1"))).body["id"]
    app = _app(jp_serverapp)
    await app.get_executor()
    store = app.services.triggers.store
    ids = []
    for depth in (900, 5000):
        job = Job(
            id=uuid.uuid4().hex,
            workflow_id=wid,
            version=1,
            inputs={},
            source="webhook",
            run_id=uuid.uuid4().hex,
            max_attempts=1,
            created_at="2026-01-01T00:00:00+00:00",
            updated_at="2026-01-01T00:00:00+00:00",
            status="dead",
            error="the run never started",
        )
        await store.add_jobs([job])
        _write(
            store.path, "UPDATE trigger_jobs SET inputs = ? WHERE id = ?", _nested(depth), job.id
        )
        ids.append(job.id)
    listed = await api("GET", "dead-letters")
    assert listed.code == 200, listed.body
    assert {item["id"] for item in listed.body["items"]} == set(ids)
    for item in listed.body["items"]:
        value, depth = item["inputs"], 0
        while isinstance(value, dict):
            value, depth = value["a"], depth + 1
        assert value == TOO_DEEP and depth <= 200  # the shallow part is shown, the rest named
    one = await api("GET", "dead-letters", ids[0])
    assert one.code == 200 and one.body["id"] == ids[0]


async def test_runs_with_any_stored_inputs_still_show_and_list(
    api: Call, jp_serverapp: Any, wait_run: Wait
) -> None:
    wid = (await api("POST", "workflows", json_body=code_doc("return 1"))).body["id"]
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    await wait_run(run_id)
    executor = await _app(jp_serverapp).get_executor()
    path = executor.store.path  # type: ignore[attr-defined]
    _write(path, "UPDATE runs SET inputs = ? WHERE id = ?", _nested(3000), run_id)
    shown = await api("GET", "executions", run_id)
    assert shown.code == 200 and shown.body["inputs"] == TOO_DEEP
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.code == 200 and [i["id"] for i in listed.body["items"]] == [run_id]
