"""WebSearchNode against a local stand-in of Tavily's API (the request it sends, the
results it makes), and PineconeRerankNode failing naming the service."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from orcheo_jupyter.nodes.base import NodeError

from .helpers import run_node

ANSWER = {
    "answer": "Tea comes from China.",
    "results": [
        {"url": "https://t.example/a", "title": "Tea", "content": "Origins", "score": "0.9"},
        {"raw_content": "raw page", "score": None},
    ],
}


@pytest.fixture
def tavily() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            status, data = (200, ANSWER) if body["api_key"] == "k" else (401, {"detail": "no"})
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/search", seen
    server.shutdown()
    server.server_close()


@pytest.mark.asyncio
async def test_web_search_sends_tavilys_request_and_normalises_results(
    tavily: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = tavily
    config = {"api_url": url, "api_key": "k", "max_results": 2, "topic": "news"}
    out = await run_node("WebSearchNode", config, {"inputs": {"message": " where is tea from "}})
    assert seen == [
        {
            "api_key": "k",
            "query": "where is tea from",
            "search_depth": "basic",
            "max_results": 2,
            "include_answer": True,
            "include_raw_content": False,
            "topic": "news",
        }
    ]
    assert out == {
        "results": [
            {
                "id": "https://t.example/a",
                "score": 0.9,
                "text": "Tea - Origins",
                "metadata": {"url": "https://t.example/a", "title": "Tea"},
                "source": "web",
                "sources": ["web"],
            },
            {
                "id": "web-1",
                "score": 0.0,
                "text": "raw page",
                "metadata": {},
                "source": "web",
                "sources": ["web"],
            },
        ],
        "answer": "Tea comes from China.",
        "source": "web",
    }


@pytest.mark.asyncio
async def test_web_search_failures_warn_or_fail_naming_the_field(
    tavily: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = tavily
    state = {"inputs": {"message": "tea"}}
    out = await run_node("WebSearchNode", {"api_url": url, "api_key": "bad"}, state)
    assert out == {
        "results": [],
        "warning": "api_url: web search answered HTTP 401",
        "source": "web",
    }
    with pytest.raises(NodeError, match=r"api_key: Tavily needs an API key \(e\.g\."):
        await run_node("WebSearchNode", {"api_url": url, "suppress_errors": False}, state)


@pytest.mark.asyncio
async def test_pinecone_rerank_fails_naming_the_service() -> None:
    with pytest.raises(NodeError, match="model: Pinecone's hosted re-ranker 'bge-reranker-v2-m3'"):
        await run_node("PineconeRerankNode", {"top_n": 3}, {"inputs": {"message": "x"}})
