"""Ingestion nodes: load documents from files, split them into chunks, tag them.

DocumentLoaderNode reads files under one root directory (txt, md, html, json,
csv; pdf when ``pypdf`` is installed); a pattern can never reach outside the
root, symlinks included. ChunkingStrategyNode uses LangChain's text splitters.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.rag_items import objects_from

TEXT_TYPES = ("txt", "md", "markdown", "rst", "html", "htm", "json", "jsonl", "csv", "pdf")


class RawDocumentInput(BaseModel):
    """A document given inline: its text, an optional id, metadata and source."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, title="Id")
    content: str = Field(min_length=1, title="Content")
    metadata: dict[str, Any] = Field(default_factory=dict, title="Metadata")
    source: str | None = Field(None, title="Source")


class _TextOfHtml(HTMLParser):
    SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if not self.skipping:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, str]:
    """(text, title) of an HTML page with the standard library only."""
    parser = _TextOfHtml()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line), " ".join(parser.title.split())


def _read(path: Path, kind: str) -> tuple[str, dict[str, Any]]:
    if kind == "pdf":
        try:
            from pypdf import PdfReader
        except ImportError:
            raise ValueError("reading PDF needs pypdf (pip install pypdf)") from None
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        return "\n\n".join(pages), {"pages": len(pages)}
    raw = path.read_text(encoding="utf-8", errors="replace")
    if kind in ("html", "htm"):
        text, title = html_text(raw)
        return text, ({"title": title} if title else {})
    if kind == "json":
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False), {}
    if kind == "csv":
        rows = list(csv.DictReader(io.StringIO(raw)))
        lines = ["; ".join(f"{k}: {v}" for k, v in row.items()) for row in rows]
        return "\n".join(lines), {"rows": len(rows)}
    return raw, {}


def _title(text: str, kind: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line.lstrip("#").strip()[:200] if kind in ("md", "markdown") else line[:200]
    return None


@register(
    category="rag",
    icon="folder-open",
    output="{documents: [{id, content, metadata: {path, title, ...}, source}], "
    "errors: [{path, error}]}",
)
class DocumentLoaderNode(BaseNode):
    """Load documents from files under a root folder (txt, md, html, json, csv; pdf with pypdf),
    or take them inline."""

    input_key: str = Field(
        "documents", title="Inputs key", description="Also take inline documents from inputs.<key>."
    )
    documents: list[RawDocumentInput] = Field(default_factory=list, title="Inline documents")
    root: str | None = Field(
        None,
        title="Root folder",
        description="Files are read only under it; relative to the working directory.",
    )
    patterns: list[str] = Field(
        default_factory=lambda: ["**/*"], title="Patterns", description="Globs under the root."
    )
    extensions: list[str] = Field(
        default_factory=lambda: ["txt", "md", "html", "json", "csv"],
        title="File types",
        description=f"Any of {', '.join(TEXT_TYPES)}.",
    )
    default_metadata: dict[str, Any] = Field(default_factory=dict, title="Metadata")
    default_source: str | None = Field(None, title="Default source")
    max_files: int = Field(1000, ge=1, le=100_000, title="Most files")
    max_file_bytes: int = Field(5_000_000, ge=1, le=500_000_000, title="Largest file (bytes)")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        documents: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        inline: list[Any] = list(self.documents)
        from_inputs = (state.get("inputs") or {}).get(self.input_key)
        if isinstance(from_inputs, list):
            for i, item in enumerate(from_inputs):
                try:
                    inline.append(
                        RawDocumentInput(content=item)
                        if isinstance(item, str)
                        else RawDocumentInput.model_validate(item)
                    )
                except ValueError as exc:
                    raise NodeError(
                        f"inputs.{self.input_key}[{i}]", f"not a document: {exc}"
                    ) from None
        for i, raw in enumerate(inline):
            digest = hashlib.sha256(raw.content.encode()).hexdigest()[:16]
            documents.append(
                {
                    "id": raw.id or f"doc-{digest}",
                    "content": raw.content,
                    "metadata": {**self.default_metadata, **raw.metadata},
                    "source": raw.source or self.default_source or f"inline:{i}",
                }
            )
        if self.root is not None:
            found, errors = await asyncio.to_thread(self._load_files)
            documents += found
        if not documents and not errors:
            raise NodeError("root", "no documents: set root, documents or inputs.documents")
        return {"documents": documents, "errors": errors}

    def _load_files(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        root = Path(os.path.expanduser(self.root or ".")).resolve()
        if not root.is_dir():
            raise NodeError("root", f"not a folder: {self.root}")
        kinds = {e.lower().lstrip(".") for e in self.extensions}
        unknown = kinds - set(TEXT_TYPES)
        if unknown:
            raise NodeError("extensions", f"unsupported: {', '.join(sorted(unknown))}")
        paths: list[Path] = []
        for pattern in self.patterns:
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                raise NodeError("patterns", f"{pattern!r} must stay under the root")
            for path in sorted(root.glob(pattern)):
                real = path.resolve()
                if not real.is_relative_to(root) or not real.is_file():
                    continue
                if path.suffix.lower().lstrip(".") in kinds and path not in paths:
                    paths.append(path)
        if len(paths) > self.max_files:
            raise NodeError(
                "max_files", f"{len(paths)} files match, over max_files={self.max_files}"
            )
        documents: list[dict[str, Any]] = []
        errors: list[dict[str, str]] = []
        for path in paths:
            rel = path.relative_to(root).as_posix()
            kind = path.suffix.lower().lstrip(".")
            size = path.stat().st_size
            if size > self.max_file_bytes:
                errors.append({"path": rel, "error": f"{size} bytes, over max_file_bytes"})
                continue
            try:
                text, meta = _read(path, kind)
            except (OSError, ValueError, UnicodeError) as exc:
                errors.append({"path": rel, "error": str(exc)})
                continue
            if not text.strip():
                errors.append({"path": rel, "error": "no text"})
                continue
            title = meta.pop("title", None) or _title(text, kind)
            documents.append(
                {
                    "id": rel,
                    "content": text,
                    "metadata": {
                        **self.default_metadata,
                        **meta,
                        "path": rel,
                        "title": title,
                        "type": kind,
                        "bytes": size,
                    },
                    "source": self.default_source or rel,
                }
            )
        return documents, errors


Strategy = Literal["recursive", "markdown", "character"]


class _DocumentsNode(BaseNode):
    """A node that works on documents: given in its config, else an upstream node's."""

    source_result_key: str = Field("document_loader", title="Source node")
    documents_field: str = Field("documents", title="Documents field")
    documents: list[dict[str, Any]] | None = Field(None, title="Documents")

    def _documents(self, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        return objects_from(
            state,
            self.documents,
            self.source_result_key,
            self.documents_field,
            "documents",
            "document",
        )


@register(
    category="rag",
    icon="scissors",
    output="{chunks: [{id, document_id, chunk_index, content, metadata}], documents: n}",
)
class ChunkingStrategyNode(_DocumentsNode):
    """Split documents into overlapping chunks (LangChain text splitters)."""

    source_result_key: str = Field(
        "document_loader", title="Source node", description="Node whose output has documents."
    )
    documents: list[dict[str, Any]] | None = Field(
        None, title="Documents", description="Instead of the source node: e.g. {{load.documents}}."
    )
    strategy: Strategy = Field(
        "recursive",
        title="Strategy",
        description="recursive (paragraphs, lines, words), markdown (by headings first) "
        "or character.",
    )
    chunk_size: int = Field(800, ge=20, le=100_000, title="Chunk size (chars)")
    chunk_overlap: int = Field(80, ge=0, le=50_000, title="Overlap (chars)")
    preserve_metadata_keys: list[str] | None = Field(
        None, title="Keep metadata", description="Only these document metadata keys (all if empty)."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        if self.chunk_overlap >= self.chunk_size:
            raise NodeError("chunk_overlap", "must be smaller than chunk_size")
        docs = self._documents(state)
        try:
            from langchain_text_splitters import (
                CharacterTextSplitter,
                MarkdownHeaderTextSplitter,
                RecursiveCharacterTextSplitter,
            )
        except ImportError:
            raise NodeError(
                "strategy", "needs langchain-text-splitters: pip install langchain-text-splitters"
            ) from None
        splitter: Any
        if self.strategy == "character":
            splitter = CharacterTextSplitter(
                separator=" ", chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
            )
        else:
            splitter = RecursiveCharacterTextSplitter(
                chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
            )
        headings = MarkdownHeaderTextSplitter(
            [("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=False
        )
        chunks: list[dict[str, Any]] = []
        for i, doc in enumerate(docs):
            content = doc.get("content")
            if not isinstance(content, str):
                raise NodeError(f"documents[{i}].content", "expected text")
            doc_id = str(doc.get("id") or f"doc-{i}")
            meta = dict(doc.get("metadata") or {})
            if self.preserve_metadata_keys:
                meta = {k: v for k, v in meta.items() if k in self.preserve_metadata_keys}
            sections: list[tuple[str, dict[str, Any]]] = [(content, {})]
            if self.strategy == "markdown":
                sections = [
                    (s.page_content, dict(s.metadata)) for s in headings.split_text(content)
                ]
            index = 0
            for text, section_meta in sections:
                for piece in splitter.split_text(text):
                    if not piece.strip():
                        continue
                    chunks.append(
                        {
                            "id": f"{doc_id}#{index}",
                            "document_id": doc_id,
                            "chunk_index": index,
                            "content": piece,
                            "metadata": {
                                **meta,
                                **section_meta,
                                "document_id": doc_id,
                                "chunk_index": index,
                                "source": doc.get("source") or doc_id,
                            },
                        }
                    )
                    index += 1
        return {"chunks": chunks, "documents": len(docs)}


@register(
    category="rag",
    icon="tags",
    output="{documents: [... with metadata + title, tags, static metadata]}",
)
class MetadataExtractorNode(_DocumentsNode):
    """Add metadata to documents (static values, tags, a title from the first line) and
    check that required keys are present."""

    static_metadata: dict[str, Any] = Field(default_factory=dict, title="Static metadata")
    tags: list[str] = Field(default_factory=list, title="Tags")
    required_fields: list[str] = Field(default_factory=list, title="Required keys")
    infer_title_from_first_line: bool = Field(True, title="Title from first line")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        docs = self._documents(state)
        out = []
        for i, doc in enumerate(docs):
            meta = {**self.static_metadata, **dict(doc.get("metadata") or {})}
            if self.tags:
                meta["tags"] = list(dict.fromkeys([*(meta.get("tags") or []), *self.tags]))
            content = str(doc.get("content") or "")
            if self.infer_title_from_first_line and not meta.get("title"):
                title = _title(content, "md")
                if title:
                    meta["title"] = title
            missing = [k for k in self.required_fields if meta.get(k) in (None, "")]
            if missing:
                raise NodeError(
                    "required_fields",
                    f"document {doc.get('id', i)!r} lacks {', '.join(missing)}",
                )
            out.append({**doc, "metadata": meta})
        return {"documents": out}
