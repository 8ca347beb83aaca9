"""Conversational evaluation datasets in upstream Orcheo's shapes: QReCC (query
rewriting) and MultiDoc2Dial (grounded answers, and its document corpus).

Each reads its data from the run's inputs (``qrecc_data``, ``md2d_data``,
``md2d_corpus``: already-parsed JSON) or from ``data_path`` / ``corpus_path``, a
local file or an http(s) URL (a download, capped by ``max_bytes``). Conversations
come out as ``{conversation_id, turns: [...]}`` for ``ConversationalBatchEvalNode``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.bounded_fetch import USER_AGENT, FetchError, fetch

_MAX_BYTES = Field(
    256 * 1024 * 1024,
    ge=1,
    title="Most bytes",
    description="A data file (or download) larger than this is refused.",
)
_TIMEOUT = Field(30.0, gt=0, le=3600, title="Download timeout (s)")


async def load_json(path: str, field: str, max_bytes: int, timeout: float) -> Any:
    """JSON from a local file or an http(s) URL; NodeError naming ``field``."""
    if path.startswith(("http://", "https://")):
        try:
            async with httpx.AsyncClient(
                timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
            ) as client:
                got = await fetch(client, path, max_bytes)
        except FetchError as exc:
            raise NodeError(field, str(exc)) from None
        if got.status >= 400:
            raise NodeError(field, f"{got.url} answered HTTP {got.status}")
        text = got.text
    else:
        file = Path(path).expanduser()
        try:
            size = file.stat().st_size
            if size > max_bytes:
                raise NodeError(field, f"{path} has {size} bytes, more than max_bytes={max_bytes}")
            text = await asyncio.to_thread(file.read_text, encoding="utf-8")
        except OSError as exc:
            raise NodeError(field, f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise NodeError(field, f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NodeError(field, f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None


class _ConversationDataset(BaseNode):
    data_path: str | None = Field(
        None, title="Data file", description="A local JSON file or an http(s) URL."
    )
    max_conversations: int | None = Field(None, ge=1, title="Most conversations")
    max_bytes: int = _MAX_BYTES
    http_timeout: float = _TIMEOUT
    #: inputs.<key> holding the already-parsed data (upstream's name).
    data_input: str = ""

    async def _raw(self, state: Mapping[str, Any]) -> Any:
        raw = (state.get("inputs") or {}).get(self.data_input)
        if raw is None and self.data_path:
            raw = await load_json(self.data_path, "data_path", self.max_bytes, self.http_timeout)
        if raw is None:
            raise NodeError("data_path", f"not set, and inputs.{self.data_input} is missing")
        return raw

    def _output(self, conversations: list[dict[str, Any]]) -> dict[str, Any]:
        if self.max_conversations is not None:
            conversations = conversations[: self.max_conversations]
        return {
            "conversations": conversations,
            "total_conversations": len(conversations),
            "total_turns": sum(len(c["turns"]) for c in conversations),
        }


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@register(
    category="evaluation",
    icon="table",
    output="{conversations: [{conversation_id, turns: [{turn_id, raw_question, "
    "gold_rewrite, context, gold_answer}]}], total_conversations, total_turns}",
)
class QReCCDatasetNode(_ConversationDataset):
    """QReCC conversations with gold query rewrites (records grouped by Conversation_no)."""

    data_input: str = Field("qrecc_data", title="Inputs key of the data")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raw = await self._raw(state)
        if not isinstance(raw, list):
            raise NodeError("data_path", "expected a JSON list of QReCC records")
        grouped: dict[str, list[dict[str, Any]]] = {}
        for i, record in enumerate(raw):
            if not isinstance(record, Mapping):
                raise NodeError("data_path", f"record {i} is not an object")
            context = record.get("Context")
            grouped.setdefault(_text(record.get("Conversation_no")), []).append(
                {
                    "turn_id": _text(record.get("Turn_no")),
                    "raw_question": _text(record.get("Question")),
                    "gold_rewrite": _text(record.get("Rewrite", record.get("Truth_rewrite"))),
                    "context": [str(c) for c in context] if isinstance(context, list) else [],
                    "gold_answer": _text(record.get("Answer", record.get("Truth_answer"))),
                }
            )
        conversations = [
            {"conversation_id": cid, "turns": turns} for cid, turns in sorted(grouped.items())
        ]
        return self._output(conversations)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _spans(references: Any, doc_id: str) -> list[dict[str, Any]]:
    spans = []
    for ref in references if isinstance(references, list) else []:
        if not isinstance(ref, Mapping):
            continue
        sp_id, label = _text(ref.get("sp_id")).strip(), _text(ref.get("label")).strip()
        spans.append(
            {
                "doc_id": _text(ref.get("doc_id", doc_id)),
                "span_text": f"{label}:{sp_id}" if label and sp_id else sp_id,
                "start": _int(ref.get("start", 0)),
                "end": _int(ref.get("end", 0)),
            }
        )
    return spans


def _official_turns(turns: Any, doc_id: str) -> list[dict[str, Any]]:
    """User turns of an official dialog, each with the agent's reply that follows it."""
    turns = [t for t in turns if isinstance(t, Mapping)] if isinstance(turns, list) else []
    out = []
    for i, turn in enumerate(turns):
        if _text(turn.get("role")).lower() != "user":
            continue
        reply = None
        for later in turns[i + 1 :]:
            role = _text(later.get("role")).lower()
            if role in ("agent", "user"):
                reply = later if role == "agent" else None
                break
        out.append(
            {
                "turn_id": _text(turn.get("turn_id", i)),
                "user_utterance": _text(turn.get("utterance", turn.get("user_utterance"))),
                "response": _text(reply.get("utterance")) if reply else "",
                "grounding_spans": _spans(reply.get("references") if reply else [], doc_id),
            }
        )
    return out


def _md2d_records(raw: Any) -> list[dict[str, Any]]:
    """Pre-processed records as they are; the official {dial_data: {domain: {doc: [dialog]}}}
    flattened to them."""
    if isinstance(raw, list):
        return [dict(r) for r in raw if isinstance(r, Mapping)]
    dial = raw.get("dial_data") if isinstance(raw, Mapping) else None
    if not isinstance(dial, Mapping):
        raise NodeError("data_path", "expected a list of dialogs or {dial_data: {...}}")
    records = []
    for domain, docs in dial.items():
        if not isinstance(docs, Mapping):
            raise NodeError(
                "data_path",
                f"dial_data.{domain} should map document ids to dialog lists, "
                f"not {type(docs).__name__}",
            )
        for doc_id, dialogs in docs.items():
            for dialog in dialogs if isinstance(dialogs, list) else []:
                if isinstance(dialog, Mapping):
                    records.append(
                        {
                            "dial_id": _text(dialog.get("dial_id", dialog.get("id", ""))),
                            "domain": _text(dialog.get("domain", domain)),
                            "turns": _official_turns(dialog.get("turns"), str(doc_id)),
                        }
                    )
    return records


@register(
    category="evaluation",
    icon="table",
    output="{conversations: [{conversation_id, domain, turns: [{turn_id, user_utterance, "
    "gold_response, grounding_spans}]}], total_conversations, total_turns}",
)
class MultiDoc2DialDatasetNode(_ConversationDataset):
    """MultiDoc2Dial conversations with gold agent responses and their grounding spans."""

    data_input: str = Field("md2d_data", title="Inputs key of the data")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        conversations = []
        for record in _md2d_records(await self._raw(state)):
            turns = []
            raw_turns = record.get("turns")
            for i, turn in enumerate(raw_turns if isinstance(raw_turns, list) else []):
                if not isinstance(turn, Mapping):
                    continue
                spans = turn.get("grounding_spans")
                turns.append(
                    {
                        "turn_id": _text(turn.get("turn_id", i)),
                        "user_utterance": _text(turn.get("user_utterance")),
                        "gold_response": _text(turn.get("response")),
                        "grounding_spans": [
                            {
                                "doc_id": _text(s.get("doc_id")),
                                "span_text": _text(s.get("span_text")),
                                "start": _int(s.get("start", 0)),
                                "end": _int(s.get("end", 0)),
                            }
                            for s in (spans if isinstance(spans, list) else [])
                            if isinstance(s, Mapping)
                        ],
                    }
                )
            conversations.append(
                {
                    "conversation_id": _text(record.get("dial_id", record.get("id", ""))),
                    "domain": _text(record.get("domain", "unknown")),
                    "turns": turns,
                }
            )
        return self._output(conversations)


@register(category="evaluation", icon="folder-open", output="{documents: [document], count}")
class MultiDoc2DialCorpusLoaderNode(BaseNode):
    """MultiDoc2Dial's document corpus (doc2dial_doc.json) as documents to index."""

    input_key: str = Field("md2d_corpus", title="Inputs key of the corpus")
    output_key: str = Field(
        "documents", title="Output key", description="Upstream's key for the documents."
    )
    corpus_path: str | None = Field(
        None, title="Corpus file", description="doc2dial_doc.json: a local file or a URL."
    )
    max_documents: int | None = Field(None, ge=1, title="Most documents")
    max_bytes: int = _MAX_BYTES
    http_timeout: float = _TIMEOUT

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raw = (state.get("inputs") or {}).get(self.input_key)
        if raw is None:
            if not self.corpus_path:
                raise NodeError("corpus_path", f"not set, and inputs.{self.input_key} is missing")
            raw = await load_json(
                self.corpus_path, "corpus_path", self.max_bytes, self.http_timeout
            )
        doc_data = raw.get("doc_data") if isinstance(raw, Mapping) else None
        if not isinstance(doc_data, Mapping):
            raise NodeError("corpus_path", "expected {doc_data: {domain: {doc id: document}}}")
        source = self.corpus_path or "multidoc2dial"
        documents = []
        for domain, docs in doc_data.items():
            for fallback_id, doc in docs.items() if isinstance(docs, Mapping) else []:
                if not isinstance(doc, Mapping):
                    continue
                doc_id = _text(doc.get("doc_id") or fallback_id).strip()
                content = _text(doc.get("doc_text")).strip()
                if not doc_id or not content:
                    continue
                meta: dict[str, Any] = {"domain": _text(doc.get("domain") or domain)}
                title = _text(doc.get("title")).strip()
                if title:
                    meta["title"] = title
                if isinstance(doc.get("spans"), Mapping):
                    meta["span_count"] = len(doc["spans"])
                documents.append(
                    {
                        "id": doc_id,
                        "content": content,
                        "metadata": meta,
                        "source": f"{source}#doc_id={doc_id}",
                    }
                )
        if not documents:
            raise NodeError("corpus_path", "the corpus has no document with text")
        if self.max_documents is not None:
            documents = documents[: self.max_documents]
        out: dict[str, Any] = {"documents": documents, "count": len(documents)}
        if self.output_key != "documents":
            out[self.output_key] = documents
        return out
