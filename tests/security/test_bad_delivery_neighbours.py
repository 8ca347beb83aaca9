"""A delivery that cannot be stored never fails the deliveries batched with it (issue 14.1).

The attack: 300 correctly signed deliveries to workflow A while 30 requests with a
lone surrogate escape (``{"a": "\\ud800"}``) hit workflow B's open webhook, all at
once, so they share group-commit batches. Before: 16-272 of the 300 got 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_server.utils import url_path_join

from orcheo_jupyter.spec import json_text
from orcheo_jupyter.store.sqlite_thread import SqliteThread
from tests.conftest import code_doc
from tests.server.conftest import Call
from tests.server.headless import start_headless
from tests.server.test_hooks import HOOK_SECRET, hooked_doc, signed_headers

SURROGATE_BODY = b'{"a": "\\ud800"}'
Replies = tuple[list[httpx.Response], list[httpx.Response]]


def _open_hook_doc() -> dict[str, Any]:
    doc = code_doc("return state['inputs']['body']", name="open hook")
    doc["triggers"] = [{"type": "webhook", "id": "hook", "config": {}}]
    return doc


async def _attack(hooks_url: str, a: str, b: str) -> Replies:
    """300 signed deliveries to ``a`` and 30 surrogate ones to ``b``, all in flight at once."""
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=hooks_url, limits=limits, timeout=120) as client:

        def signed(i: int) -> Awaitable[httpx.Response]:
            body = json.dumps({"n": i}).encode()
            return client.post(a, content=body, headers=signed_headers(body, key=f"k{i}"))

        def surrogate() -> Awaitable[httpx.Response]:
            headers = {"Content-Type": "application/json"}
            return client.post(b, content=SURROGATE_BODY, headers=headers)

        calls = [signed(i) for i in range(300)]
        for k in range(30):  # spread through the burst, so they land inside batches
            calls.insert(k * 11 + 5, surrogate())
        replies = await asyncio.gather(*calls)
    good = [r for r in replies if r.request.url.path.endswith(a)]
    bad = [r for r in replies if r.request.url.path.endswith(b)]
    return good, bad


def test_surrogate_deliveries_get_400_and_300_signed_ones_are_all_accepted(
    tmp_path: Path,
) -> None:
    """The attack as it was made: a real ``jupyter orcheo`` process, real sockets."""
    server = start_headless(tmp_path / "server")
    try:
        api = httpx.Client(base_url=server.api, headers=server.headers, timeout=30)
        credential = {"name": "hook_secret", "value": HOOK_SECRET}
        assert api.post("/credentials", json=credential).status_code == 201
        a = api.post("/workflows", json=hooked_doc()).json()["id"]
        b = api.post("/workflows", json=_open_hook_doc()).json()["id"]
        good, bad = asyncio.run(_attack(f"{server.url}/orcheo/hooks/", a, b))
        assert [r.status_code for r in good] == [202] * 300
        assert [r.status_code for r in bad] == [400] * 30
        error = bad[0].json()["error"]
        assert error["code"] == "invalid_json"
        assert error["message"].startswith(
            "body.a holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"
        )
        assert len({r.json()["execution_id"] for r in good}) == 300
        deliveries = api.get(f"/workflows/{a}/deliveries", params={"limit": 500}).json()
        assert deliveries["total"] == 300
        assert api.get(f"/workflows/{b}/deliveries").json()["total"] == 0
    finally:
        server.stop()


@pytest.fixture
def slow_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQLite transaction waits 30 ms first, so everything arriving meanwhile is
    batched together: deliveries of A and B are sure to share transactions."""
    original = SqliteThread.transaction

    async def slow(self: SqliteThread, fn: Callable[..., Any], *, inline: bool = False) -> Any:
        await asyncio.sleep(0.03)
        return await original(self, fn, inline=False)

    monkeypatch.setattr(SqliteThread, "transaction", slow)


async def test_an_unstorable_delivery_that_gets_past_validation_fails_alone(
    api: Call,
    jp_http_port: int,
    jp_base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    slow_commits: None,
) -> None:
    """Without the 400 at the door, the batch still isolates it: 300/300, and 30 errors."""
    # The door is the one JSON reader's surrogate check (the API's bodies here have none).
    monkeypatch.setattr(json_text, "lone_surrogate_path", lambda raw, data, root="body": None)
    reply = await api(
        "POST", "credentials", json_body={"name": "hook_secret", "value": HOOK_SECRET}
    )
    assert reply.code == 201, reply.body
    a = (await api("POST", "workflows", json_body=hooked_doc())).body["id"]
    b = (await api("POST", "workflows", json_body=_open_hook_doc())).body["id"]
    hooks = url_path_join(f"http://127.0.0.1:{jp_http_port}", jp_base_url, "orcheo", "hooks", "")
    good, bad = await _attack(hooks, a, b)
    assert [r.status_code for r in good] == [202] * 300
    assert [r.status_code for r in bad] == [500] * 30  # its own failure, and only its own
    deliveries = await api("GET", "workflows", a, "deliveries", params={"limit": 500})
    assert deliveries.body["total"] == 300
