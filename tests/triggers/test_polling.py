"""HTTP polling triggers against a real local HTTP server, with a clock the test moves."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application, RequestHandler

from orcheo_jupyter.spec.io import document_from_data
from orcheo_jupyter.triggers import Dispatcher, SqliteTriggerStore, triggers_of
from orcheo_jupyter.triggers.polling import HttpPoller
from orcheo_jupyter.vault import Sealer, SqliteCredentialStore, Vault

from .conftest import Env, until


@dataclass
class Feed:
    """What the polled server answers, and what it was asked."""

    url: str
    body: Any = field(default_factory=lambda: {"latest": {"id": 1, "title": "first"}})
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


class _FeedHandler(RequestHandler):
    def initialize(self, feed: Feed) -> None:
        self.feed = feed

    def get(self) -> None:
        self.feed.requests.append(
            {"headers": dict(self.request.headers), "query": self.request.query}
        )
        self.set_status(self.feed.status)
        body = self.feed.body
        if isinstance(body, str):
            self.write(body)
        else:
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps(body))


@pytest_asyncio.fixture
async def feed() -> AsyncIterator[Feed]:
    sock, port = bind_unused_port()
    feed = Feed(f"http://127.0.0.1:{port}/feed")
    server = HTTPServer(Application([("/feed", _FeedHandler, {"feed": feed})]))
    server.add_sockets([sock])
    try:
        yield feed
    finally:
        server.stop()
        await server.close_all_connections()


def polling_doc(url: str, **config: Any) -> dict[str, Any]:
    node = {"url": url, "interval_seconds": 60, **config}
    return {
        "name": "watch",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "poll",
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "poll",
                        "type": "HttpPollingTriggerNode",
                        "config": node,
                    },
                    {"kind": "code", "id": "c", "body": "return state['inputs']"},
                ],
                "edges": [
                    {"source": "poll", "target": "c"},
                    {"source": "c", "target": "__end__"},
                ],
            },
        },
    }


async def poller_for(
    env: Env, doc: dict[str, Any], *, store: Any = None, vault: Any = None
) -> tuple[HttpPoller, Dispatcher]:
    try:
        await env.executor.store.get_workflow("watch")
    except LookupError:
        await env.workflow(doc, "watch")
    dispatcher = env.dispatcher()
    await dispatcher.start()
    poller = HttpPoller(store or env.store, dispatcher, clock=env.clock, vault=vault)
    await poller.load()
    specs, problems = triggers_of(document_from_data(doc), "watch")
    assert problems == []
    await poller.set_workflow("watch", specs, 1)
    return poller, dispatcher


@pytest.mark.asyncio
async def test_baseline_then_a_run_per_change_with_the_answer_as_inputs(
    env: Env, feed: Feed
) -> None:
    poller, dispatcher = await poller_for(env, polling_doc(feed.url, deduplicate_on="latest.id"))
    try:
        [first] = await poller.tick()
        assert (first.status, first.run_id) == ("baseline", None)  # the past is not owed
        assert await poller.tick() == []  # not due again before its interval
        env.clock.advance(60)
        feed.body = {"latest": {"id": 1, "title": "edited, same id"}}
        [same] = await poller.tick()
        assert same.status == "unchanged"  # only latest.id counts
        env.clock.advance(60)
        feed.body = {"latest": {"id": 2, "title": "second"}}
        [fired] = await poller.tick()
        assert fired.status == "fired" and fired.run_id
        await until(lambda: dispatcher.settled["succeeded"] == 1)
        env.clock.advance(60)
        [again] = await poller.tick()
        assert again.status == "unchanged"  # one run per change
    finally:
        await dispatcher.stop()
        await poller.stop()
    run = await env.executor.store.get_run(fired.run_id or "")
    inputs = run.final_state["results"]["c"]  # type: ignore[index]
    assert inputs["response"] == {"latest": {"id": 2, "title": "second"}}
    assert inputs["trigger"] == {
        "type": "http_polling",
        "id": "poll",
        "url": feed.url,
        "polled_at": "2030-01-07T00:02:00.000000Z",
        "status_code": 200,
    }
    assert len(feed.requests) == 4


@pytest.mark.asyncio
async def test_errors_are_recorded_and_neither_fire_nor_move_the_baseline(
    env: Env, feed: Feed
) -> None:
    poller, dispatcher = await poller_for(env, polling_doc(feed.url, deduplicate_on="latest.id"))
    try:
        assert [s.status for s in await poller.tick()] == ["baseline"]
        for body, status, detail in [
            ({"latest": {"id": 9}}, 503, f"GET {feed.url} answered 503"),
            ("<html>maintenance</html>", 200, "deduplicate_on needs a JSON answer"),
            ({"items": []}, 200, "deduplicate_on: 'latest' is not in the response"),
        ]:
            feed.body, feed.status = body, status
            env.clock.advance(60)
            [state] = await poller.tick()
            assert state.status == "error" and detail in (state.detail or "")
        feed.body, feed.status = {"latest": {"id": 1}}, 200
        env.clock.advance(60)
        [state] = await poller.tick()
        assert state.status == "unchanged"  # the errors did not replace what was seen
        status = poller.status("watch:poll")
        assert status is not None and status["last_poll"]["status"] == "unchanged"
        assert status["next_poll_at"] == "2030-01-07T00:05:00.000000Z"
    finally:
        await dispatcher.stop()
        await poller.stop()
    assert dispatcher.settled["succeeded"] == 0


@pytest.mark.asyncio
async def test_a_restart_keeps_the_baseline_and_the_interval(env: Env, feed: Feed) -> None:
    doc = polling_doc(feed.url)
    poller, dispatcher = await poller_for(env, doc)
    assert [s.status for s in await poller.tick()] == ["baseline"]
    await poller.stop()
    await dispatcher.stop()
    env.clock.advance(30)
    poller, dispatcher = await poller_for(env, doc)  # a new process: state from the store
    try:
        assert await poller.tick() == []  # polled 30 s ago: not due yet
        env.clock.advance(30)
        [state] = await poller.tick()
        assert state.status == "unchanged"  # no second baseline, no run
        # Polling another URL (or path) is a new baseline, never a run.
        moved = polling_doc(feed.url + "?page=2")
        specs, _ = triggers_of(document_from_data(moved), "watch")
        await poller.set_workflow("watch", specs, 2)
        feed.body = {"something": "else"}
        [state] = await poller.tick()
        assert state.status == "baseline"
    finally:
        await dispatcher.stop()
        await poller.stop()
    assert dispatcher.settled["succeeded"] == 0


async def another_handle(store: Any) -> Any:
    """A second connection to the same trigger state (SQLite file or Postgres database)."""
    dsn = getattr(store, "dsn", None)
    if dsn is not None:
        from orcheo_jupyter.triggers.store_postgres import PostgresTriggerStore

        other: Any = PostgresTriggerStore(dsn)
    else:
        other = SqliteTriggerStore(store.path)
    await other.open()
    return other


@pytest.mark.asyncio
async def test_two_servers_seeing_the_same_change_start_one_run(env: Env, feed: Feed) -> None:
    doc = polling_doc(feed.url)
    one, d1 = await poller_for(env, doc)
    other_store = await another_handle(env.store)  # as another server process has
    two, d2 = await poller_for(env, doc, store=other_store)
    try:
        assert [s.status for s in await one.tick()] == ["baseline"]
        [adopted] = await two.tick()
        assert adopted.seen == (await env.store.poll_states())[0].seen  # one baseline for both
        env.clock.advance(60)
        feed.body = {"latest": {"id": 2}}
        fired = await one.tick() + await two.tick()
        assert [s.status for s in fired] == ["fired"]  # the second lost the race: no run
        await until(lambda: d1.settled["succeeded"] + d2.settled["succeeded"] == 1)
        jobs, total = await env.store.list_jobs(workflow_id="watch")
        assert total == 1 and jobs[0].source == "http_polling"
    finally:
        for d in (d1, d2):
            await d.stop()
        for p in (one, two):
            await p.stop()
        await other_store.close()


@pytest_asyncio.fixture
async def vault(env: Env) -> AsyncIterator[Vault]:
    store = SqliteCredentialStore(env.data / "vault.sqlite")
    await store.open()
    v = Vault(store, Sealer(os.urandom(32)), cache_seconds=0)
    await v.create("feed_token", value="tok-s3cret", scope=["watch"])
    env.executor.services = env.executor.services.replace(
        secrets=v
    )  # the run reads it too (the trigger node)
    yield v
    await v.close()


@pytest.mark.asyncio
async def test_secret_headers_are_sent_and_never_stored(env: Env, feed: Feed, vault: Vault) -> None:
    doc = polling_doc(feed.url, headers={"Authorization": "[[feed_token]]", "Accept": "x/y"})
    poller, dispatcher = await poller_for(env, doc, vault=vault)
    try:
        await poller.tick()
        env.clock.advance(60)
        feed.body = {"latest": {"id": 3}}
        [fired] = await poller.tick()
        await until(lambda: dispatcher.settled["succeeded"] == 1)
    finally:
        await dispatcher.stop()
        await poller.stop()
    sent = feed.requests[-1]["headers"]
    assert sent["Authorization"] == "tok-s3cret" and sent["Accept"] == "x/y"
    for path in env.data.iterdir():  # state, jobs, runs, events, checkpoints, the vault
        if path.is_file():
            assert b"tok-s3cret" not in path.read_bytes(), path
    run = await env.executor.store.get_run(fired.run_id or "")
    assert "tok-s3cret" not in json.dumps(run.final_state)
    entries, _ = await vault.audit_log("feed_token")
    assert "http_polling" in {e.actor for e in entries}
    # A credential httpx refuses to send (a newline in it) is never quoted in the error.
    await vault.rotate("feed_token", value="tok-s3cret\nx")
    env.clock.advance(60)
    poller, dispatcher = await poller_for(env, doc, vault=vault)
    try:
        [state] = await poller.tick()
    finally:
        await dispatcher.stop()
        await poller.stop()
    assert state.status == "error" and "tok-s3cret" not in (state.detail or "")
    assert "details withheld: they quote a credential" in (state.detail or "")
    # Without a vault, the poll records why it cannot send the header.
    bare, d = await poller_for(env, doc)
    env.clock.advance(60)
    try:
        [state] = await bare.tick()
    finally:
        await d.stop()
        await bare.stop()
    assert state.status == "error"
    assert state.detail == "header Authorization: no credential vault to read [[feed_token]] from"


@pytest.mark.asyncio
async def test_the_trigger_node_config_is_checked() -> None:
    doc = polling_doc("ftp://example.org/x")
    _, problems = triggers_of(document_from_data(doc), "watch")
    assert [p.field for p in problems] == ["graph.ir.nodes[0].config.url"]
    doc = polling_doc("http://example.org/x", interval_seconds=1)
    _, problems = triggers_of(document_from_data(doc), "watch")
    assert [p.field for p in problems] == ["graph.ir.nodes[0].config.interval_seconds"]


@pytest.mark.asyncio
async def test_a_dotted_path_names_what_is_missing() -> None:
    from orcheo_jupyter.triggers.polling import PollFailed, value_at

    assert value_at({"a": [{"b": 5}]}, "a.0.b") == 5
    with pytest.raises(PollFailed, match=r"'a\.1' is not in the response"):
        value_at({"a": [{"b": 5}]}, "a.1.b")
