"""What changed between two versions of a workflow document, as data and as text.

Versions are immutable, so "what did this save change?" is the first question of
anyone debugging a workflow that used to work. The diff is semantic: nodes,
edges, conditional edges and triggers are matched by identity (node id, edge
endpoints, trigger id), and a changed node lists each changed field by its dotted
path. Layout (the ``canvas`` member) never changes what a workflow does, so it is
reported only as ``layout_changed``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .models import FrozenIRGraph, WorkflowDocument

#: Document members compared as plain values (besides the graph and the triggers).
_DOCUMENT_FIELDS = ("name", "description", "tags", "inputs_schema", "pinned")
_MISSING = object()


def field_changes(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Each leaf that differs, as ``{"field", "before", "after"}`` (absent: no key)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out += field_changes(before.get(key, _MISSING), after.get(key, _MISSING), sub)
        return out
    if before == after and type(before) is type(after):
        return []
    change: dict[str, Any] = {"field": path or "(value)"}
    if before is not _MISSING:
        change["before"] = before
    if after is not _MISSING:
        change["after"] = after
    if isinstance(before, str) and isinstance(after, str) and ("\n" in before or "\n" in after):
        lines = difflib.unified_diff(
            before.splitlines(), after.splitlines(), "before", "after", n=2, lineterm=""
        )
        change["text_diff"] = "\n".join(lines) + "\n"
    return [change]


def _by_key(items: Iterable[Mapping[str, Any]], key: Any) -> dict[Any, Mapping[str, Any]]:
    return {key(item): item for item in items}


def _compare(
    before: dict[Any, Mapping[str, Any]], after: dict[Any, Mapping[str, Any]], label: Any
) -> dict[str, list[Any]]:
    added = [after[k] for k in after if k not in before]
    removed = [before[k] for k in before if k not in after]
    changed = []
    for k in before:
        if k in after:
            changes = field_changes(dict(before[k]), dict(after[k]))
            if changes:
                changed.append({**label(k), "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def _graph_parts(doc: WorkflowDocument) -> dict[str, Any]:
    data = doc.model_dump(mode="json", by_alias=True, exclude_none=True)
    graph = data.get("graph", {})
    if isinstance(doc.graph, FrozenIRGraph):
        ir = graph.get("ir", {})
        return {
            "nodes": ir.get("nodes", []),
            "edges": ir.get("edges", []),
            "conditional_edges": ir.get("conditional_edges", []),
            "entrypoint": ir.get("entrypoint") or graph.get("entrypoint"),
            "script": None,
        }
    return {
        "nodes": [],
        "edges": [],
        "conditional_edges": [],
        "entrypoint": graph.get("entrypoint"),
        "script": graph.get("source"),
    }


def _triggers(doc: WorkflowDocument) -> dict[Any, Mapping[str, Any]]:
    data = doc.model_dump(mode="json", exclude_none=True)
    return {
        t.get("id") or f"{t['type']}-{i + 1}": t for i, t in enumerate(data.get("triggers", []))
    }


def diff_documents(before: WorkflowDocument, after: WorkflowDocument) -> dict[str, Any]:
    """The semantic difference ``before`` → ``after`` (JSON-ready)."""
    a, b = _graph_parts(before), _graph_parts(after)
    nodes = _compare(
        _by_key(a["nodes"], lambda n: n["id"]),
        _by_key(b["nodes"], lambda n: n["id"]),
        lambda k: {"id": k},
    )
    edges = _compare(
        _by_key(a["edges"], lambda e: (e["source"], e["target"])),
        _by_key(b["edges"], lambda e: (e["source"], e["target"])),
        lambda k: {"source": k[0], "target": k[1]},
    )
    edges.pop("changed")  # an edge is its endpoints: it is added or removed
    conditional = _compare(
        _by_key(a["conditional_edges"], lambda c: c["source"]),
        _by_key(b["conditional_edges"], lambda c: c["source"]),
        lambda k: {"source": k},
    )
    triggers = _compare(_triggers(before), _triggers(after), lambda k: {"id": k})
    dumped_a = before.model_dump(mode="json", exclude_none=True)
    dumped_b = after.model_dump(mode="json", exclude_none=True)
    document = []
    for name in _DOCUMENT_FIELDS:
        document += field_changes(dumped_a.get(name, _MISSING), dumped_b.get(name, _MISSING), name)
    if a["entrypoint"] != b["entrypoint"]:
        document.append(
            {"field": "entrypoint", "before": a["entrypoint"], "after": b["entrypoint"]}
        )
    if a["script"] != b["script"]:
        document += field_changes(a["script"] or "", b["script"] or "", "graph.source")
    out = {
        "nodes": nodes,
        "edges": edges,
        "conditional_edges": conditional,
        "triggers": triggers,
        "document": document,
        "layout_changed": dumped_a.get("canvas") != dumped_b.get("canvas"),
    }
    out["summary"] = summarize(out)
    return out


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def summarize(diff: Mapping[str, Any]) -> str:
    """One line: ``2 nodes added, 1 node changed, 1 edge removed``; or ``no changes``."""
    parts = []
    for section, noun in (
        ("nodes", "node"),
        ("edges", "edge"),
        ("conditional_edges", "conditional edge"),
        ("triggers", "trigger"),
    ):
        for kind in ("added", "removed", "changed"):
            n = len(diff[section].get(kind, []))
            if n:
                parts.append(f"{_count(n, noun)} {kind}")
    if diff["document"]:
        fields = sorted({c["field"].split(".")[0] for c in diff["document"]})
        parts.append(f"{', '.join(fields)} changed")
    if not parts:
        return "layout changed only" if diff.get("layout_changed") else "no changes"
    return ", ".join(parts)


def _value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _change_lines(changes: Iterable[Mapping[str, Any]], indent: str) -> list[str]:
    lines = []
    for c in changes:
        if "text_diff" in c:
            lines.append(f"{indent}{c['field']}:")
            lines += [f"{indent}  {line.rstrip()}" for line in c["text_diff"].splitlines()]
        elif "before" not in c:
            lines.append(f"{indent}{c['field']}: + {_value(c['after'])}")
        elif "after" not in c:
            lines.append(f"{indent}{c['field']}: - {_value(c['before'])}")
        else:
            lines.append(f"{indent}{c['field']}: {_value(c['before'])} → {_value(c['after'])}")
    return lines


#: Each section's label for an added/removed item and for a changed one (None: never changed).
_LABELS: tuple[tuple[str, Callable[[Any], str], Callable[[Any], str] | None], ...] = (
    (
        "nodes",
        lambda n: f"node {n['id']} ({n.get('type', n.get('kind'))})",
        lambda n: f"node {n['id']}",
    ),
    ("edges", lambda e: f"edge {e['source']} → {e['target']}", None),
    (
        "conditional_edges",
        lambda c: f"conditional edge from {c['source']} on {c.get('path')}",
        lambda c: f"conditional edge from {c['source']}",
    ),
    (
        "triggers",
        lambda t: f"trigger {t.get('id') or t['type']} ({t['type']})",
        lambda t: f"trigger {t['id']}",
    ),
)


def format_diff(diff: Mapping[str, Any], title: str = "") -> str:
    """The diff as text for a terminal or a notebook cell, ``+``/``-``/``~`` per item."""
    lines = [f"{title}{': ' if title else ''}{diff['summary']}"]
    for section, label, changed_label in _LABELS:
        part = diff[section]
        lines += [f"+ {label(item)}" for item in part["added"]]
        lines += [f"- {label(item)}" for item in part["removed"]]
        if changed_label is None:
            continue
        for item in part.get("changed", []):
            lines.append(f"~ {changed_label(item)}")
            lines += _change_lines(item["changes"], "    ")
    if diff["document"]:
        lines.append("~ document")
        lines += _change_lines(diff["document"], "    ")
    return "\n".join(lines)
