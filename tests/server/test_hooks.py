"""Webhook ingress over real HTTP: its own checks (no Jupyter auth), idempotency, replays.

Tests here run on pytest-jupyter's loop: they are not marked asyncio (see conftest).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from jupyter_server.utils import url_path_join

from orcheo_jupyter.triggers import sign
from tests.conftest import code_doc

from .conftest import Call, Reply

HOOK_SECRET = "whsec-5f4e3d2c1b0a"
Hook = Callable[..., Awaitable[Reply]]


@pytest.fixture
def hook(jp_serverapp: Any, http_server_client: Any, jp_base_url: str) -> Hook:
    """``await hook("POST", ref, body=..., headers=...)``: no Jupyter token, cookie or XSRF."""

    async def call(
        method: str, ref: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Reply:
        response = await http_server_client.fetch(
            url_path_join(jp_base_url, "orcheo", "hooks", ref),
            method=method,
            body=body if method in ("POST", "PUT", "PATCH") else None,
            headers=headers or {},
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        text = response.body.decode() if response.body else ""
        return Reply(response.code, json.loads(text) if text else None, response.headers)

    return call


def hooked_doc(name: str = "hooked", **webhook: Any) -> dict[str, Any]:
    doc = code_doc("return state['inputs']['body']", name=name)
    config = webhook or {"hmac": {"secret": "[[hook_secret]]"}}
    doc["triggers"] = [{"type": "webhook", "id": "hook", "config": config}]
    return doc


def signed_headers(body: bytes, key: str | None = None, stamp: int | None = None) -> dict[str, str]:
    ts = str(stamp if stamp is not None else int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Orcheo-Timestamp": ts,
        "X-Orcheo-Signature": "sha256=" + sign(HOOK_SECRET, ts, body),
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def setup(api: Call, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await api(
        "POST", "credentials", json_body={"name": "hook_secret", "value": HOOK_SECRET}
    )
    assert reply.code == 201, reply.body
    created = await api("POST", "workflows", json_body=doc or hooked_doc())
    assert created.code == 201, created.body
    return created.body  # type: ignore[no-any-return]


async def runs_of(api: Call, workflow_id: str) -> list[dict[str, Any]]:
    reply = await api("GET", "executions", params={"workflow_id": workflow_id})
    return reply.body["items"]  # type: ignore[no-any-return]


async def test_a_signed_delivery_starts_one_run_and_a_retry_gets_the_same_id(
    api: Call, hook: Hook, wait_run: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    workflow = await setup(api)
    body = json.dumps({"order": 17}).encode()
    first = await hook("POST", "hooked", body=body, headers=signed_headers(body, "order-17"))
    assert first.code == 202, first.body
    run_id = first.body["execution_id"]
    assert first.body == {
        "execution_id": run_id,
        "delivery_id": first.body["delivery_id"],
        "duplicate": False,
    }
    assert first.headers["Location"].endswith(f"/orcheo/api/executions/{run_id}")

    # The sender retries (re-signed a second later, same key): same run, nothing new.
    again = await hook(
        "POST",
        workflow["id"],
        body=body,
        headers=signed_headers(body, "order-17", int(time.time()) + 1),
    )
    assert (again.code, again.body["execution_id"], again.body["duplicate"]) == (200, run_id, True)
    assert again.headers["Location"] == first.headers["Location"]

    run = await wait_run(run_id)
    assert run["status"] == "succeeded"
    assert run["final_state"]["results"]["c"] == {"order": 17}
    inputs = run["inputs"]
    assert inputs["method"] == "POST" and inputs["delivery_id"] == first.body["delivery_id"]
    assert "x-orcheo-signature" not in inputs["headers"]
    assert inputs["headers"]["x-orcheo-timestamp"]
    assert [r["id"] for r in await runs_of(api, workflow["id"])] == [run_id]

    deliveries = await api("GET", "workflows", workflow["id"], "deliveries")
    assert deliveries.code == 200
    assert [(d["run_id"], d["idempotency_key"]) for d in deliveries.body["items"]] == [
        (run_id, "order-17")
    ]


async def test_bad_signatures_stale_timestamps_and_replays_start_nothing(
    api: Call, hook: Hook
) -> None:
    workflow = await setup(api)
    body = b'{"x": 1}'
    forged = {**signed_headers(body), "X-Orcheo-Signature": "sha256=" + "0" * 64}
    bad = await hook("POST", "hooked", body=body, headers=forged)
    assert (bad.code, bad.error["code"]) == (401, "unauthorized")
    assert bad.body == {"error": {**bad.error, "details": None}}  # the API's error shape
    assert bad.headers["Content-Type"] == "application/json"
    stale = await hook(
        "POST", "hooked", body=body, headers=signed_headers(body, stamp=int(time.time()) - 600)
    )
    assert stale.code == 401 and "stale or replayed" in stale.error["message"]
    unsigned = await hook("POST", "hooked", body=body, headers={"Content-Type": "application/json"})
    assert unsigned.error["message"] == "missing the X-Orcheo-Timestamp header"
    assert await runs_of(api, workflow["id"]) == []

    headers = signed_headers(body)
    assert (await hook("POST", "hooked", body=body, headers=headers)).code == 202
    replay = await hook("POST", "hooked", body=body, headers=headers)
    assert (replay.code, replay.error["code"]) == (409, "replayed")
    await asyncio.sleep(0.1)
    assert len(await runs_of(api, workflow["id"])) == 1


async def test_hooks_need_no_jupyter_auth_but_the_api_still_does(
    api: Call, hook: Hook, http_server_client: Any, jp_base_url: str
) -> None:
    await setup(api)
    missing = await hook("POST", "no-such-workflow", body=b"{}")
    assert (missing.code, missing.error["message"]) == (404, "no webhook at this address")
    plain = await api("POST", "workflows", json_body=code_doc("return 1", name="plain"))
    assert plain.code == 201
    assert (await hook("POST", "plain", body=b"{}")).error[
        "message"
    ] == "no webhook at this address"
    wrong = await hook("GET", "hooked")
    assert (wrong.code, wrong.headers["Allow"]) == (405, "POST")

    anonymous = await http_server_client.fetch(
        url_path_join(jp_base_url, "orcheo", "api", "credentials"), raise_error=False
    )
    assert anonymous.code == 403


async def test_shared_secret_trigger_node_and_header_rules(
    api: Call, hook: Hook, wait_run: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    doc = code_doc("return state['inputs']['query']", name="node-hook")
    ir = doc["graph"]["ir"]
    ir["nodes"].insert(
        0,
        {
            "kind": "builtin",
            "id": "start",
            "type": "WebhookTriggerNode",
            "config": {
                "allowed_methods": ["PUT"],
                "shared_secret_header": "X-Token",
                "shared_secret": "[[hook_secret]]",
                "required_headers": {"X-Event": "push"},
            },
        },
    )
    ir["entrypoint"] = "start"
    ir["edges"].insert(0, {"source": "start", "target": "c"})
    workflow = await setup(api, doc)
    good = {"X-Token": HOOK_SECRET, "X-Event": "push"}
    wrong_token = await hook("PUT", "node-hook", body=b"", headers={**good, "X-Token": "guess"})
    assert wrong_token.code == 401
    wrong_event = await hook("PUT", "node-hook", body=b"", headers={**good, "X-Event": "pull"})
    assert (wrong_event.code, wrong_event.error["message"]) == (
        403,
        "header X-Event must be 'push'",
    )
    accepted = await hook("PUT", "node-hook?env=prod", body=b"", headers=good)
    assert accepted.code == 202, accepted.body
    run = await wait_run(accepted.body["execution_id"])
    assert run["final_state"]["results"]["c"] == {"env": "prod"}
    # The trigger node's own output masks the secret reference it was configured with.
    assert run["final_state"]["results"]["start"]["trigger_config"]["shared_secret"] == "***"
    assert len(await runs_of(api, workflow["id"])) == 1


async def test_a_webhook_whose_credential_is_gone_answers_503(api: Call, hook: Hook) -> None:
    await setup(api)
    assert (await api("DELETE", "credentials", "hook_secret")).code == 204
    body = b"{}"
    reply = await hook("POST", "hooked", body=body, headers=signed_headers(body))
    assert (reply.code, reply.error["code"]) == (503, "unavailable")
    assert "hook_secret" not in reply.error["message"]  # callers learn nothing of the setup


async def test_trigger_config_is_checked_when_the_workflow_is_stored(api: Call) -> None:
    bad = hooked_doc(hmac={"secret": "the-secret-itself"})
    reply = await api("POST", "workflows", json_body=bad)
    assert (reply.code, reply.error["code"]) == (422, "invalid_document")
    assert [d["field"] for d in reply.error["details"]] == ["triggers[0].config.hmac.secret"]
    assert "the-secret-itself" not in json.dumps(reply.body)
    cron = code_doc("return 1", name="cron")
    cron["triggers"] = [{"type": "cron", "config": {"expression": "every day"}}]
    reply = await api("POST", "workflows", json_body=cron)
    assert reply.code == 422
    assert reply.error["details"][0]["field"] == "triggers[0].config.expression"


async def test_triggers_route_shows_and_updates_triggers_and_policy(api: Call) -> None:
    workflow = await setup(api)
    shown = await api("GET", "workflows", workflow["id"], "triggers")
    assert shown.code == 200
    assert shown.body["webhook"]["path"] == "/orcheo/hooks/hooked"
    assert shown.body["webhook"]["auth"] == "hmac-sha256"
    assert shown.body["policy"]["max_concurrency"] == 4

    update = {
        "triggers": [
            {"type": "cron", "id": "nightly", "config": {"expression": "0 3 * * *"}},
        ],
        "policy": {"max_concurrency": 1, "max_attempts": 5},
    }
    reply = await api("PUT", "workflows", "hooked", "triggers", json_body=update)
    assert reply.code == 200, reply.body
    assert reply.body["version"] == 2 and reply.body["webhook"] is None
    (nightly,) = reply.body["triggers"]
    assert nightly["id"] == "nightly" and nightly["next_fire_at"].endswith("T03:00:00.000000Z")
    assert reply.body["policy"]["max_concurrency"] == 1
    assert reply.body["policy"]["max_attempts"] == 5
    document = await api("GET", "workflows", workflow["id"])
    assert document.body["document"]["triggers"] == [
        {"type": "cron", "id": "nightly", "enabled": True, "config": {"expression": "0 3 * * *"}}
    ]
    bad = await api(
        "PUT", "workflows", "hooked", "triggers", json_body={"policy": {"max_concurrency": 0}}
    )
    assert bad.code == 422 and bad.error["details"][0]["field"] == "policy.max_concurrency"


async def test_pinned_outputs_serve_manual_runs_but_webhook_runs_ignore_them(
    api: Call, hook: Hook, wait_run: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    doc = hooked_doc("pinned-hook")
    doc["pinned"] = {"c": "pinned answer"}
    await setup(api, doc)
    manual = await api("POST", "workflows", "pinned-hook", "execute", json_body={})
    manual_run = await wait_run(manual.body["execution_id"])
    assert manual_run["final_state"]["results"]["c"] == "pinned answer"

    body = json.dumps({"order": 5}).encode()
    delivered = await hook("POST", "pinned-hook", body=body, headers=signed_headers(body))
    assert delivered.code == 202, delivered.body
    hooked_run = await wait_run(delivered.body["execution_id"])
    assert hooked_run["status"] == "succeeded", hooked_run["error"]
    assert hooked_run["final_state"]["results"]["c"] == {"order": 5}


async def test_a_json_body_that_is_not_utf8_is_refused_saying_so(api: Call, hook: Hook) -> None:
    """json.loads took UTF-16 bytes as JSON, and called other bytes "not valid JSON:
    Expecting value"; a webhook reads UTF-8 (a BOM is fine), as the API does."""
    workflow = await setup(api)
    for body, byte in (('{"a": 1}'.encode("utf-16"), 0), (b'{"a": "\xff"}', 7)):
        refused = await hook("POST", "hooked", body=body, headers=signed_headers(body))
        assert refused.code == 400, refused.body
        assert refused.error["code"] == "invalid_json"
        assert refused.error["message"] == (
            f"body is not UTF-8 text (byte {byte}); send JSON as UTF-8"
        )
    assert await runs_of(api, workflow["id"]) == []
    with_bom = b'\xef\xbb\xbf{"a": 1}'
    accepted = await hook("POST", "hooked", body=with_bom, headers=signed_headers(with_bom))
    assert accepted.code == 202, accepted.body


async def test_a_json_body_naming_a_key_twice_is_refused_naming_it(
    api: Call, hook: Hook, wait_run: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    """json kept the last value, so {"order": 1, "order": 2} ran with 2; the API refused it.
    Webhooks read JSON with the API's reader, so which value was meant is asked, not guessed."""
    workflow = await setup(api)
    for body, key in (
        (b'{"order": 1, "order": 2}', "order"),
        (b'{"order": {"id": 1, "id": 2}}', "id"),
    ):
        refused = await hook("POST", "hooked", body=body, headers=signed_headers(body))
        assert refused.code == 400, refused.body
        assert refused.error["code"] == "invalid_json"
        assert refused.error["message"] == (
            f"body: the key '{key}' appears twice in one object; each key may appear once "
            "(which value was meant cannot be told)"
        )
        assert refused.error["details"] == {"field": "body", "key": key}
    assert await runs_of(api, workflow["id"]) == []
    same_key_apart = b'{"a": {"id": 1}, "b": {"id": 2}}'
    accepted = await hook(
        "POST", "hooked", body=same_key_apart, headers=signed_headers(same_key_apart)
    )
    assert accepted.code == 202, accepted.body
    run = await wait_run(accepted.body["execution_id"])
    assert run["final_state"]["results"]["c"] == {"a": {"id": 1}, "b": {"id": 2}}
