"""POST .../execute honours the workflow's manual trigger: actors, comment, cooldown, payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import code_doc

from .conftest import Call
from .identity import HEADER

Wait = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    jp_server_config["ServerApp"]["identity_provider_class"] = (
        "tests.server.identity.HeaderIdentityProvider"
    )
    return jp_server_config


def _guarded(**manual: Any) -> dict[str, Any]:
    doc = code_doc("return {'days': state['inputs'].get('days'), 'who': state['config']['manual']}")
    doc["name"] = "report"
    doc["triggers"] = [{"type": "manual", "config": manual}]
    return doc


async def _execute(api: Call, wid: str, user: str = "ada", **body: Any) -> Any:
    return await api("POST", "workflows", wid, "execute", json_body=body, headers={HEADER: user})


async def test_only_allowed_actors_may_start_it(api: Call, wait_run: Wait) -> None:
    wid = (await api("POST", "workflows", json_body=_guarded(allowed_actors=["ada"]))).body["id"]
    refused = await _execute(api, wid, user="mallory")
    assert refused.code == 403 and refused.error["code"] == "not_allowed"
    assert "mallory may not start this workflow" in refused.error["message"]
    accepted = await _execute(api, wid, user="ada")
    assert accepted.code == 202, accepted.body
    run = await wait_run(accepted.body["execution_id"])
    assert run["final_state"]["results"]["c"]["who"] == {"actor": "ada", "comment": None}
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.body["total"] == 1  # the refused start stored nothing


async def test_a_required_comment_reaches_the_run(api: Call, wait_run: Wait) -> None:
    wid = (await api("POST", "workflows", json_body=_guarded(require_comment=True))).body["id"]
    missing = await _execute(api, wid)
    assert missing.code == 422 and missing.error["code"] == "comment_required"
    reply = await _execute(api, wid, comment="month-end rerun")
    assert reply.code == 202, reply.body
    run = await wait_run(reply.body["execution_id"])
    assert run["final_state"]["results"]["c"]["who"] == {
        "actor": "ada",
        "comment": "month-end rerun",
    }


async def test_the_default_payload_fills_a_start_without_inputs(api: Call, wait_run: Wait) -> None:
    wid = (await api("POST", "workflows", json_body=_guarded(default_payload={"days": 7}))).body[
        "id"
    ]
    run = await wait_run((await _execute(api, wid)).body["execution_id"])
    assert run["inputs"] == {"days": 7} and run["final_state"]["results"]["c"]["days"] == 7
    given = await _execute(api, wid, inputs={"days": 2})
    run = await wait_run(given.body["execution_id"])
    assert run["final_state"]["results"]["c"]["days"] == 2


async def test_a_cooldown_answers_429_with_retry_after(api: Call) -> None:
    wid = (await api("POST", "workflows", json_body=_guarded(cooldown_seconds=600))).body["id"]
    assert (await _execute(api, wid)).code == 202
    again = await _execute(api, wid, user="bo")
    assert again.code == 429 and again.error["code"] == "cooldown"
    assert 595 <= int(again.headers["Retry-After"]) <= 600
    assert "one start every 600 s" in again.error["message"]
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.body["total"] == 1


async def test_without_a_manual_trigger_anyone_starts_it_and_may_comment(
    api: Call, wait_run: Wait
) -> None:
    doc = _guarded()
    doc["triggers"] = []
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    reply = await _execute(api, wid, user="anyone", comment="just because")
    run = await wait_run(reply.body["execution_id"])
    assert run["final_state"]["results"]["c"]["who"] == {
        "actor": "anyone",
        "comment": "just because",
    }
