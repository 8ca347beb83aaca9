"""RSSNode and WebDocumentLoaderNode against a real local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run
from .pages_server import PagesServer

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Orcheo news</title>
<item><title>Older</title><link>https://example.org/older</link><guid>n-1</guid>
<description>The first post</description><pubDate>Mon, 01 Jun 2026 08:00:00 GMT</pubDate></item>
<item><title>Newer &amp; better</title><link>https://example.org/newer</link><guid>n-2</guid>
<description>&lt;p&gt;Second&lt;/p&gt;</description><category>release</category>
<pubDate>Tue, 02 Jun 2026 09:30:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom side</title>
<entry><title>Café</title><id>urn:a:1</id><link href="https://example.org/cafe"/>
<updated>2026-06-03T10:00:00Z</updated><summary>über</summary><author><name>Ada</name></author></entry>
</feed>"""

ARTICLE = (
    "<html><head><title>Release notes</title></head><body>"
    "<nav><a href='/'>Home</a> | <a href='/docs'>Docs</a> | Menu item</nav>"
    "<article><h1>Orcheo 2.0 is out</h1>"
    + "<p>The workflow runtime now checkpoints every node and resumes after a crash. "
    * 6
    + "</p><p>Retrieval nodes index a folder of documents offline.</p></article>"
    "<footer>Copyright footer text</footer></body></html>"
)


@pytest.fixture
def site() -> Iterator[PagesServer]:
    with PagesServer(
        {
            "/news.rss": ("application/rss+xml", RSS),
            "/atom.xml": ("application/atom+xml; charset=utf-8", ATOM.encode()),
            "/broken.xml": ("text/html", "<html><body>not a feed</body></html>"),
            "/article": ("text/html; charset=utf-8", ARTICLE),
            "/plain.txt": ("text/plain", "just text"),
        }
    ) as server:
        yield server


@pytest.mark.asyncio
async def test_rss_node_reads_rss_and_atom_and_reports_broken_feeds(
    executor: Executor, site: PagesServer
) -> None:
    doc = chain_doc(
        node(
            "feed",
            "RSSNode",
            sources=[
                site.url("/news.rss"),
                site.url("/atom.xml"),
                site.url("/missing"),
                site.url("/broken.xml"),
            ],
            max_items=5,
        )
    )
    out = results(await run(executor, doc))["feed"]
    titles = [d["title"] for d in out["documents"]]
    assert titles == ["Newer & better", "Older", "Café"]
    newer = out["documents"][0]
    assert newer["id"] == "n-2" and newer["link"] == "https://example.org/newer"
    assert newer["isoDate"] == "2026-06-02T09:30:00+00:00"
    assert newer["tags"] == ["release"] and newer["source"] == site.url("/news.rss")
    assert out["documents"][2]["author"] == "Ada" and out["documents"][2]["description"] == "über"
    assert out["feeds"] == [
        {"source": site.url("/news.rss"), "title": "Orcheo news"},
        {"source": site.url("/atom.xml"), "title": "Atom side"},
    ]
    assert out["fetched_count"] == 3 and out["failed_sources"] == 2
    assert out["errors"][0] == {
        "source": site.url("/missing"),
        "error": f"{site.url('/missing')} returned HTTP 404",
    }
    assert out["errors"][1]["source"] == site.url("/broken.xml")
    assert out["errors"][1]["error"].startswith("not an RSS or Atom feed")


@pytest.mark.asyncio
async def test_rss_node_keeps_the_newest_entries_and_refuses_huge_feeds(
    executor: Executor, site: PagesServer
) -> None:
    doc = chain_doc(node("feed", "RSSNode", sources=site.url("/news.rss"), max_items=1))
    out = results(await run(executor, doc))["feed"]
    assert [d["title"] for d in out["documents"]] == ["Newer & better"]
    doc = chain_doc(node("feed", "RSSNode", sources=[site.url("/news.rss")], max_bytes=1024))
    site.pages["/news.rss"] = ("application/rss+xml", RSS + " " * 2000)
    out = results(await run(executor, doc))["feed"]
    assert out["documents"] == []
    assert "over max_bytes=1024" in out["errors"][0]["error"]


@pytest.mark.asyncio
async def test_web_document_loader_keeps_the_main_text(
    executor: Executor, site: PagesServer
) -> None:
    doc = chain_doc(
        node(
            "load",
            "WebDocumentLoaderNode",
            default_metadata={"collection": "news"},
        )
    )
    record = await run(
        executor,
        doc,
        {
            "urls": [
                site.url("/article"),
                {"url": site.url("/plain.txt"), "id": "p"},
                site.url("/gone"),
            ]
        },
    )
    out = results(record)["load"]
    article, plain = out["documents"]
    assert article["id"].startswith("web-") and article["source"] == site.url("/article")
    assert "checkpoints every node and resumes after a crash" in article["content"]
    assert "Retrieval nodes index a folder" in article["content"]
    assert "Menu item" not in article["content"] and "Copyright footer" not in article["content"]
    assert article["metadata"]["title"] in ("Release notes", "Orcheo 2.0 is out")
    assert article["metadata"]["collection"] == "news"
    assert article["metadata"]["content_type"] == "text/html"
    assert plain == {
        "id": "p",
        "content": "just text",
        "metadata": {
            "collection": "news",
            "url": site.url("/plain.txt"),
            "content_type": "text/plain",
        },
        "source": site.url("/plain.txt"),
    }
    assert out["errors"] == [
        {"url": site.url("/gone"), "error": f"{site.url('/gone')} returned HTTP 404"}
    ]


@pytest.mark.asyncio
async def test_web_document_loader_fails_when_nothing_loads(
    executor: Executor, site: PagesServer
) -> None:
    record = await run(
        executor, chain_doc(node("load", "WebDocumentLoaderNode", urls=[site.url("/gone")]))
    )
    assert record.status == "failed"
    assert "urls: no page could be loaded" in (record.error or "")
    record = await run(executor, chain_doc(node("load", "WebDocumentLoaderNode")))
    assert "urls: no URLs given (set urls or inputs.urls)" in (record.error or "")
    record = await run(
        executor, chain_doc(node("load", "WebDocumentLoaderNode", urls=["ftp://x/y"]))
    )
    assert "expected an absolute http:// or https:// URL" in (record.error or "")


@pytest.mark.asyncio
async def test_discord_webhook_node_posts_json(executor: Executor) -> None:
    from .http_server import FaultServer

    with FaultServer() as server:
        doc = chain_doc(
            node(
                "post",
                "DiscordWebhookNode",
                webhook_url=server.base + "/echo?token=abc",
                content="Build {{inputs.n}} passed",
                username="orcheo",
            )
        )
        out = results(await run(executor, doc, {"n": 7}))["post"]
        assert out == {"status_code": 200, "ok": True, "message_id": None}
        request = server.requests[-1]
        assert request["method"] == "POST" and "wait=true" in request["query"]
        doc = chain_doc(
            node("post", "DiscordWebhookNode", webhook_url=server.base + "/missing", content="x")
        )
        record = await run(executor, doc)
        assert record.status == "failed"
        assert f"webhook_url: {server.base}/missing answered HTTP 404" in (record.error or "")


@pytest.mark.asyncio
async def test_a_missing_optional_dependency_names_the_extra(
    executor: Executor, site: PagesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "feedparser", None)  # import feedparser -> ImportError
    record = await run(executor, chain_doc(node("feed", "RSSNode", sources=site.url("/news.rss"))))
    assert record.status == "failed"
    assert (
        "sources: this node needs 'feedparser', which is not installed: "
        "pip install 'orcheo-jupyter[web]'"
    ) in (record.error or "")
