"""RSSNode: read RSS and Atom feeds (feedparser) into a list of entries.

Each source is fetched and parsed on its own: one broken feed is reported in
``errors`` and the others still arrive.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import Field, field_validator

from ...tracing.http import traced
from ..base import BaseNode, NodeContext
from ..registry import register
from ..support.bounded_fetch import USER_AGENT, FetchError, fetch
from ..support.plain_values import jsonable, missing_extra


def _iso(parsed: Any) -> str:
    if not parsed:
        return ""
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC).isoformat()


def _entry(entry: Any, source: str, fetched_at: str) -> dict[str, Any]:
    published = entry.get("published") or entry.get("updated") or ""
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return jsonable(
        {
            "id": entry.get("id") or entry.get("link") or "",
            "title": entry.get("title", ""),
            "link": entry.get("link", ""),
            "description": entry.get("summary", ""),
            "author": entry.get("author", ""),
            "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")],
            "pubDate": published,
            "isoDate": _iso(when),
            "source": source,
            "read": False,
            "fetched_at": fetched_at,
        }
    )


@register(
    category="web",
    icon="rss",
    output="{documents: [{id, title, link, description, author, tags, pubDate, isoDate, "
    "source}], feeds: [{source, title}], errors: [{source, error}], fetched_count, failed_sources}",
)
class RSSNode(BaseNode):
    """Fetch RSS/Atom feeds and return their entries, newest first per feed."""

    sources: list[str] | str = Field(
        title="Feeds", description="Feed URLs (a list, or one URL per line)."
    )
    timeout: float = Field(15.0, gt=0, le=600, title="Timeout (s)", description="Per feed.")
    max_items: int = Field(
        50, ge=1, le=10_000, title="Entries per feed", description="Newest entries kept."
    )
    max_bytes: int = Field(5_000_000, ge=1024, le=100_000_000, title="Largest feed (bytes)")

    @field_validator("sources")
    @classmethod
    def _split(cls, value: list[str] | str) -> list[str]:
        items = value.splitlines() if isinstance(value, str) else value
        urls = [u.strip() for u in items if u and u.strip()]
        if not urls:
            raise ValueError("give at least one feed URL")
        return urls

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        try:
            import feedparser
        except ImportError:
            raise missing_extra("feedparser", "web", "sources") from None
        fetched_at = dt.datetime.now(dt.UTC).isoformat()
        documents: list[dict[str, Any]] = []
        feeds: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        async with traced(
            httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
            )
        ) as client:
            for url in self.sources:
                assert isinstance(url, str)
                try:
                    page = await fetch(client, url, self.max_bytes)
                except FetchError as exc:
                    errors.append({"source": url, "error": str(exc)})
                    continue
                parsed = feedparser.parse(page.body)
                if not parsed.get("version") and not parsed.entries:
                    cause = parsed.get("bozo_exception")
                    why = f" ({cause})" if cause else ""
                    errors.append({"source": url, "error": f"not an RSS or Atom feed{why}"})
                    continue
                entries = [_entry(e, url, fetched_at) for e in parsed.entries]
                entries.sort(key=lambda e: e["isoDate"], reverse=True)
                documents.extend(entries[: self.max_items])
                feeds.append({"source": url, "title": parsed.feed.get("title", "")})
        if errors and not documents and len(errors) == len(self.sources):
            ctx.emit("node_message", {"level": "warning", "message": "no feed could be read"})
        return {
            "documents": documents,
            "feeds": feeds,
            "errors": errors,
            "fetched_count": len(documents),
            "failed_sources": len(errors),
        }
