"""An HTTP polling trigger node is armed by the server and reported with its last poll.

Tests here run on pytest-jupyter's loop: they are not marked asyncio (see conftest).
"""

from __future__ import annotations

import asyncio
import json
import time

from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application, RequestHandler

from tests.triggers.test_polling import polling_doc

from .conftest import Call


class _Feed(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"latest": {"id": 1}}))


async def test_a_polling_node_is_polled_and_its_state_reported(api: Call) -> None:
    sock, port = bind_unused_port()
    server = HTTPServer(Application([("/feed", _Feed)]))
    server.add_sockets([sock])
    try:
        doc = polling_doc(f"http://127.0.0.1:{port}/feed", deduplicate_on="latest.id")
        created = await api("POST", "workflows", json_body=doc)
        assert created.code == 201, created.body
        deadline = time.monotonic() + 10
        while True:  # registered at once, polled for its baseline at once
            detail = (await api("GET", "workflows", created.body["id"], "triggers")).body
            [trigger] = detail["triggers"]
            if trigger.get("last_poll"):
                break
            assert time.monotonic() < deadline, detail
            await asyncio.sleep(0.05)
    finally:
        server.stop()
    assert trigger["type"] == "http_polling" and trigger["id"] == "poll"
    assert trigger["last_poll"]["status"] == "baseline"
    assert trigger["last_poll"]["run_id"] is None
    assert trigger["next_poll_at"] > trigger["last_poll"]["polled_at"]
    assert detail["problems"] == []
