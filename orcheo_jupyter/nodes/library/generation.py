"""Answering nodes: rewrite a follow-up query, answer from retrieved passages with
numbered citations, format citations and results, compress context, and check
that an answer cites what it says.

With ``ai_model`` set, the query rewrite, the answer and the compression use a
chat model (as ChatModelNode does). Without it they work offline and
deterministically: the answer is extracted from the best matching sentences of
the passages, each followed by its citation marker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from pydantic import Field

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.embedding_models import words
from ..support.rag_items import as_list, from_results, objects_from, query_text, result_text
from .ai_models import call_model, resolve_chat_model

_STOP = (
    "a an the and or of to in on at for with by from is are was were be been it its this that "
    "these those what which who whom how why when where do does did can could should would "
    "will i you he she we they me my your our their as not no if then than so about into"
)
STOPWORDS = frozenset(_STOP.split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}\])+)")
_AI_MODEL = Field(
    None,
    title="Model",
    description="provider:model for a chat model; empty: offline, deterministic.",
)
_KWARGS: Any = Field(default_factory=dict, title="Model options")


_TABLE_RULE = re.compile(r"^[\s|:-]*$")


def _plain(sentence: str) -> str:
    """A sentence without Markdown heading marks or table pipes, on one line."""
    text = re.sub(r"^\s*#+\s*", "", sentence)
    if _TABLE_RULE.match(text):
        return ""
    if "|" in text:
        text = "; ".join(c.strip() for c in text.strip().strip("|").split("|") if c.strip())
    return " ".join(text.split())


def key_terms(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 1}


async def _ask(
    ai_model: str, kwargs: Mapping[str, Any], ctx: NodeContext, system: str, user: str
) -> str:
    model = resolve_chat_model(ai_model, kwargs, ctx)
    reply = await call_model(
        model,
        [SystemMessage(system), HumanMessage(user)],
        cast(RunnableConfig, dict(ctx.config)),
        ai_model,
    )
    content = reply.content
    return (
        content
        if isinstance(content, str)
        else "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    )


def _history(state: Mapping[str, Any], key: str) -> list[str]:
    raw = (state.get("inputs") or {}).get(key)
    if raw is None:
        raw = state.get("messages") or []
    out: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(str(item.get("content", "")))
        else:
            out.append(str(getattr(item, "content", "")))
    return [t for t in out if t.strip()]


_FOLLOW_UP = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her)\b", re.I)


@register(category="rag", icon="pencil", output="{query, original_query, used_history}")
class QueryRewriteNode(BaseNode):
    """Turn a follow-up question into a standalone search query, using the conversation."""

    system_prompt: str = Field(
        "Rewrite the user's last question as a standalone search query, using the "
        "conversation for context. Reply with the query only.",
        title="System prompt",
        json_schema_extra={"format": "textarea"},
    )
    query_key: str = Field("message", title="Inputs key of the query")
    query: str | None = Field(None, title="Query")
    history_key: str = Field(
        "history", title="Inputs key of the history", description="Default: the run's messages."
    )
    max_history_messages: int = Field(3, ge=0, le=100, title="History messages")
    ai_model: str | None = _AI_MODEL
    model_kwargs: dict[str, Any] = _KWARGS

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = query_text(state, self.query, self.query_key)
        history = _history(state, self.history_key)
        if self.max_history_messages:
            history = [h for h in history if h.strip() != query.strip()]
            history = history[-self.max_history_messages :]
        else:
            history = []
        if self.ai_model:
            convo = "\n".join(f"- {h}" for h in history) or "(none)"
            text = await _ask(
                self.ai_model,
                self.model_kwargs,
                ctx,
                self.system_prompt,
                f"Conversation:\n{convo}\n\nQuestion: {query}",
            )
            return {
                "query": text.strip() or query,
                "original_query": query,
                "used_history": bool(history),
            }
        # Offline: a short or pronoun-led follow-up borrows the key terms of recent turns.
        follow_up = bool(history) and (
            _FOLLOW_UP.search(query) is not None or len(key_terms(query)) <= 2
        )
        if not follow_up:
            return {"query": query, "original_query": query, "used_history": False}
        have = key_terms(query)
        extra: list[str] = []
        for turn in reversed(history):
            for w in words(turn):
                if w not in STOPWORDS and len(w) > 2 and w not in have and w not in extra:
                    extra.append(w)
        rewritten = f"{query.strip()} ({' '.join(extra[:8])})" if extra else query
        return {"query": rewritten, "original_query": query, "used_history": True}


def _passages(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "id": str(item.get("id", i)),
            "text": result_text(item),
            "source": item.get("source") or (item.get("metadata") or {}).get("source"),
            "metadata": dict(item.get("metadata") or {}),
        }
        for i, item in enumerate(items, start=1)
    ]


def _citation(p: Mapping[str, Any]) -> dict[str, Any]:
    snippet = " ".join(str(p["text"]).split())
    return {
        "index": p["index"],
        "id": p["id"],
        "source": p["source"],
        "snippet": snippet[:240] + ("…" if len(snippet) > 240 else ""),
        "metadata": p["metadata"],
    }


@register(
    category="rag",
    icon="quote",
    output="{reply, citations: [{index, id, source, snippet, metadata}], mode}",
)
class GroundedGeneratorNode(BaseNode):
    """Answer a question from retrieved passages, citing them as [1], [2]..."""

    query_key: str = Field("message", title="Inputs key of the query")
    query: str | None = Field(None, title="Query")
    context_result_key: str = Field("retriever", title="Source node")
    context_field: str = Field("results", title="Results field")
    context: list[dict[str, Any]] | None = Field(
        None, title="Passages", description="Instead of the source node: e.g. {{fuse.results}}."
    )
    system_prompt: str = Field(
        "Answer the question using only the numbered context passages. Cite every claim "
        "with its passage number in brackets, like [1]. If the context does not contain "
        "the answer, say so.",
        title="System prompt",
        json_schema_extra={"format": "textarea"},
    )
    citation_style: Literal["inline", "footnote", "endnote"] = Field("inline", title="Citations")
    max_passages: int = Field(5, ge=1, le=100, title="Passages used")
    max_sentences: int = Field(3, ge=1, le=50, title="Sentences (offline)")
    ai_model: str | None = _AI_MODEL
    model_kwargs: dict[str, Any] = _KWARGS

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = query_text(state, self.query, self.query_key)
        items = objects_from(
            state, self.context, self.context_result_key, self.context_field, "context", "passage"
        )
        passages = _passages(items[: self.max_passages])
        if self.ai_model:
            numbered = "\n\n".join(f"[{p['index']}] ({p['source']}) {p['text']}" for p in passages)
            reply = await _ask(
                self.ai_model,
                self.model_kwargs,
                ctx,
                self.system_prompt,
                f"Context:\n{numbered or '(no passages)'}\n\nQuestion: {query}",
            )
            mode = "model"
        else:
            reply = self._extract(query, passages)
            mode = "extractive"
        cited = {int(n) for n in _MARKER.findall(reply)}
        citations = [_citation(p) for p in passages if p["index"] in cited]
        return {"reply": reply.strip(), "citations": citations, "mode": mode, "query": query}

    def _extract(self, query: str, passages: list[dict[str, Any]]) -> str:
        terms = key_terms(query)
        scored: list[tuple[float, int, int, str]] = []
        order = 0
        for p in passages:
            for sentence in _SENTENCE.split(p["text"]):
                sentence = _plain(sentence)
                if len(sentence) < 12:
                    continue
                overlap = len(terms & key_terms(sentence))
                if overlap:
                    # More query terms first; then the better-ranked passage; then text order.
                    scored.append((overlap / (len(terms) or 1), -p["index"], -order, sentence))
                    order += 1
        if not scored:
            return "The provided context does not contain an answer to this question."
        best = sorted(scored, reverse=True)[: self.max_sentences]
        chosen = sorted(best, key=lambda s: (-s[1], -s[2]))
        seen: set[str] = set()
        parts = []
        for _, neg_index, _, sentence in chosen:
            if sentence in seen:
                continue
            seen.add(sentence)
            body = sentence.rstrip()
            end = body[-1] if body[-1] in ".!?" else "."
            body = body.rstrip(".!?")
            parts.append(f"{body} [{-neg_index}]{end}")
        return " ".join(parts)


@register(
    category="rag",
    icon="list-ordered",
    output="{formatted, reply, references: [{index, source, snippet}]}",
)
class CitationsFormatterNode(BaseNode):
    """Append a numbered source list to an answer (only the passages it cites)."""

    source_result_key: str = Field("grounded_generator", title="Source node")
    citations_field: str = Field("citations", title="Citations field")
    citations: list[dict[str, Any]] | None = Field(None, title="Citations")
    reply: str | None = Field(None, title="Answer", description="Default: the source's reply.")
    include_sources: bool = Field(True, title="Show sources")
    heading: str = Field("Sources:", title="Heading")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        citations = objects_from(
            state,
            self.citations,
            self.source_result_key,
            self.citations_field,
            "citations",
            "citation",
        )
        reply = self.reply
        if reply is None:
            reply = str(from_results(state, None, self.source_result_key, "reply", "reply"))
        references = []
        lines = []
        for c in sorted(citations, key=lambda c: int(c.get("index") or 0)):
            ref = {"index": c.get("index"), "source": c.get("source"), "snippet": c.get("snippet")}
            references.append(ref)
            label = f"[{ref['index']}]"
            if self.include_sources and ref["source"]:
                lines.append(f"{label} {ref['source']}: {ref['snippet'] or ''}".rstrip(": "))
            else:
                lines.append(f"{label} {ref['snippet'] or ''}".rstrip())
        formatted = reply if not lines else f"{reply}\n\n{self.heading}\n" + "\n".join(lines)
        return {"formatted": formatted, "reply": reply, "references": references}


@register(category="rag", icon="list", output="{markdown, count}")
class SearchResultFormatterNode(BaseNode):
    """Format search results as a Markdown list (title, link, score, snippet)."""

    source_result_key: str = Field("retriever", title="Source node")
    results_field: str = Field("results", title="Results field")
    results: list[dict[str, Any]] | None = Field(None, title="Results")
    output_key: str = Field("markdown", min_length=1, title="Output key")
    header: str = Field("Search results:", title="Header")
    empty_message: str = Field("No results found.", title="When empty")
    include_score: bool = Field(True, title="Show scores")
    score_precision: int = Field(3, ge=0, le=10, title="Score decimals")
    max_results: int | None = Field(None, gt=0, title="Most results")
    title_fields: list[str] = Field(default_factory=lambda: ["title", "name"], title="Title fields")
    url_fields: list[str] = Field(
        default_factory=lambda: ["url", "link", "source"], title="URL fields"
    )
    snippet_chars: int = Field(200, ge=0, le=10_000, title="Snippet length")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        items = objects_from(
            state, self.results, self.source_result_key, self.results_field, "results", "result"
        )[: self.max_results]
        if not items:
            return {self.output_key: self.empty_message, "count": 0}
        lines = [self.header] if self.header else []
        for i, item in enumerate(items, start=1):
            meta = item.get("metadata") or {}

            def pick(fields: list[str], item: Mapping[str, Any] = item, meta: Any = meta) -> Any:
                return next(
                    (item.get(f) or meta.get(f) for f in fields if item.get(f) or meta.get(f)), None
                )

            title = pick(self.title_fields) or f"Result {i}"
            url = pick(self.url_fields)
            line = f"{i}. **{title}**" + (f" — {url}" if url and url != title else "")
            if self.include_score and isinstance(item.get("score"), int | float):
                line += f" (score {item['score']:.{self.score_precision}f})"
            snippet = " ".join(result_text(item).split())[: self.snippet_chars]
            lines.append(line + (f"\n   {snippet}" if snippet else ""))
        return {self.output_key: "\n".join(lines), "count": len(items)}


@register(category="rag", icon="shrink", output="{results: [...], context, tokens}")
class ContextCompressorNode(BaseNode):
    """Keep the passages (and sentences) that matter for the query within a word budget."""

    query_key: str = Field("message", title="Inputs key of the query")
    query: str | None = Field(None, title="Query")
    results_field: str = Field("retrieval_results", title="Source node")
    results: list[dict[str, Any]] | None = Field(None, title="Results")
    max_tokens: int = Field(400, ge=10, le=100_000, title="Word budget")
    max_passages: int = Field(8, ge=1, le=1000, title="Most passages")
    deduplicate: bool = Field(True, title="Drop duplicates")
    ai_model: str | None = _AI_MODEL
    model_kwargs: dict[str, Any] = _KWARGS
    summary_prompt: str = Field(
        "Summarise the passages into the facts that answer the query; keep [n] markers.",
        title="Summary prompt",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        query = query_text(state, self.query, self.query_key)
        raw = self.results
        if raw is None:
            found = (state.get("results") or {}).get(self.results_field)
            raw = found.get("results") if isinstance(found, Mapping) else found
        items = as_list(raw, "results", "result")
        terms = key_terms(query)
        kept: list[dict[str, Any]] = []
        seen: set[str] = set()
        budget = self.max_tokens
        for item in items:
            text = result_text(item)
            key = str(item.get("id")) if item.get("id") is not None else text
            if self.deduplicate and (key in seen or text in seen):
                continue
            seen.update({key, text})
            sentences = [s for s in _SENTENCE.split(text) if s.strip()]
            relevant = [s for s in sentences if terms & key_terms(s)] or sentences[:1]
            compact = " ".join(" ".join(s.split()) for s in relevant)
            size = len(compact.split())
            if size > budget:
                compact = " ".join(compact.split()[:budget])
                size = budget
            if not size:
                break
            budget -= size
            kept.append({**item, "text": compact})
            if len(kept) >= self.max_passages or budget <= 0:
                break
        context = "\n\n".join(f"[{i}] {k['text']}" for i, k in enumerate(kept, start=1))
        if self.ai_model and kept:
            context = await _ask(
                self.ai_model,
                self.model_kwargs,
                ctx,
                self.summary_prompt,
                f"Query: {query}\n\nPassages:\n{context}",
            )
        return {"results": kept, "context": context, "tokens": len(context.split())}


@register(
    category="rag",
    icon="shield-check",
    output="{grounded: bool, problems: [..], cited: [n], uncited_sentences: [..]}",
)
class HallucinationGuardNode(BaseNode):
    """Check that an answer cites its sources: markers present and pointing at real
    citations, and each sentence's key words found in the cited passages."""

    generator_result_key: str = Field("grounded_generator", title="Source node")
    response_field: str = Field("reply", title="Answer field")
    citations_field: str = Field("citations", title="Citations field")
    reply: str | None = Field(None, title="Answer")
    citations: list[dict[str, Any]] | None = Field(None, title="Citations")
    require_markers: bool = Field(True, title="Require [n] markers")
    min_support: float = Field(
        0.5, ge=0, le=1, title="Least support", description="Share of a sentence's key words."
    )
    fail_on_problem: bool = Field(False, title="Fail the run", description="Else just report.")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        reply = self.reply
        if reply is None:
            reply = str(
                from_results(state, None, self.generator_result_key, self.response_field, "reply")
            )
        citations = objects_from(
            state,
            self.citations,
            self.generator_result_key,
            self.citations_field,
            "citations",
            "citation",
        )
        by_index = {int(c.get("index") or 0): c for c in citations}
        problems: list[str] = []
        uncited: list[str] = []
        cited = sorted({int(n) for n in _MARKER.findall(reply)})
        if self.require_markers and not cited:
            problems.append("the answer has no citation markers")
        for n in cited:
            if n not in by_index:
                problems.append(f"[{n}] cites no known passage")
        # "Claim. [1] Next" cites [1] for "Claim": move markers before the full stop.
        normalised = _MARKER_AFTER_STOP.sub(r"\2\1", reply)
        for sentence in (s for s in _SENTENCE.split(normalised) if s.strip()):
            marks = [int(n) for n in _MARKER.findall(sentence)]
            if not marks:
                if self.require_markers and key_terms(sentence):
                    uncited.append(sentence.strip())
                continue
            support = set().union(
                *(key_terms(str(by_index[m].get("snippet") or "")) for m in marks if m in by_index)
            )
            terms = key_terms(_MARKER.sub("", sentence))
            if terms and len(terms & support) / len(terms) < self.min_support:
                problems.append(f"not supported by its citations: {sentence.strip()[:120]}")
        if uncited:
            problems.append(f"{len(uncited)} sentence(s) without a citation")
        grounded = not problems
        if not grounded and self.fail_on_problem:
            raise NodeError("reply", "; ".join(problems))
        return {
            "grounded": grounded,
            "problems": problems,
            "cited": cited,
            "uncited_sentences": uncited,
        }
