"""WebDocumentLoaderNode: the main text and metadata of web pages (trafilatura).

Navigation, footers and boilerplate are dropped, so what comes out is ready for
chunking and retrieval. Documents have the same shape as DocumentLoaderNode's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from ...tracing.http import traced
from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.bounded_fetch import USER_AGENT, FetchError, check_url, fetch
from ..support.plain_values import jsonable, missing_extra


class WebDocumentInput(BaseModel):
    """A page to load, with an optional id and metadata of its own."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, title="URL")
    id: str | None = Field(None, title="Id", description="Default: derived from the URL.")
    metadata: dict[str, Any] = Field(default_factory=dict, title="Metadata")


def _doc_id(url: str) -> str:
    return "web-" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _extract(html: str, url: str, extract_title: bool) -> tuple[str, dict[str, Any]]:
    try:
        import trafilatura
    except ImportError:
        raise missing_extra("trafilatura", "web", "urls") from None
    found = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if found is None:
        return "", {}
    data = found.as_dict() if hasattr(found, "as_dict") else dict(found)
    meta = {
        key: data.get(key)
        for key in ("author", "date", "description", "sitename", "language", "tags")
        if data.get(key)
    }
    if extract_title and data.get("title"):
        meta["title"] = data["title"]
    return str(data.get("text") or ""), jsonable(meta)


@register(
    category="web",
    icon="file-text",
    output="{documents: [{id, content, metadata: {url, title, author, date, ...}, source}], "
    "errors: [{url, error}]}",
)
class WebDocumentLoaderNode(BaseNode):
    """Fetch web pages and keep their main text and metadata, as documents for RAG."""

    input_key: str = Field(
        "urls", title="Inputs key", description="Read URLs from inputs.<key> when urls is empty."
    )
    urls: list[WebDocumentInput | str] | str = Field(
        default_factory=list, title="URLs", description="URLs or {url, id, metadata} objects."
    )
    default_metadata: dict[str, Any] = Field(
        default_factory=dict, title="Metadata", description="Added to every document."
    )
    timeout: float = Field(30.0, gt=0, le=600, title="Timeout (s)", description="Per page.")
    follow_redirects: bool = Field(True, title="Follow redirects")
    extract_title: bool = Field(True, title="Extract title")
    max_bytes: int = Field(5_000_000, ge=1024, le=100_000_000, title="Largest page (bytes)")

    def _targets(self, state: Mapping[str, Any]) -> list[WebDocumentInput]:
        raw: Any = self.urls or (state.get("inputs") or {}).get(self.input_key) or []
        if isinstance(raw, str):
            raw = [u for u in raw.splitlines() if u.strip()]
        if not isinstance(raw, list) or not raw:
            raise NodeError("urls", f"no URLs given (set urls or inputs.{self.input_key})")
        out = []
        for i, item in enumerate(raw):
            try:
                out.append(
                    WebDocumentInput(url=item.strip())
                    if isinstance(item, str)
                    else WebDocumentInput.model_validate(item)
                )
            except ValueError as exc:
                raise NodeError(
                    f"urls[{i}]", f"expected a URL or {{url, id, metadata}}: {exc}"
                ) from None
        return out

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        targets = self._targets(state)
        documents: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        async with traced(
            httpx.AsyncClient(
                timeout=self.timeout,
                follow_redirects=self.follow_redirects,
                headers={"User-Agent": USER_AGENT},
            )
        ) as client:
            for target in targets:
                try:
                    check_url(target.url)
                    page = await fetch(client, target.url, self.max_bytes)
                except FetchError as exc:
                    errors.append({"url": target.url, "error": str(exc)})
                    continue
                if "html" in page.content_type or not page.content_type:
                    text, meta = _extract(page.text, page.url, self.extract_title)
                else:
                    text, meta = page.text, {}
                if not text.strip():
                    errors.append({"url": target.url, "error": "no main text found"})
                    continue
                metadata = {
                    **self.default_metadata,
                    **meta,
                    **target.metadata,
                    "url": page.url,
                    "content_type": page.content_type.split(";")[0].strip(),
                }
                documents.append(
                    {
                        "id": target.id or _doc_id(target.url),
                        "content": text,
                        "metadata": metadata,
                        "source": page.url,
                    }
                )
        if not documents:
            detail = "; ".join(f"{e['url']}: {e['error']}" for e in errors)
            raise NodeError("urls", f"no page could be loaded ({detail})")
        return {"documents": documents, "errors": errors}
