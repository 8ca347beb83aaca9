"""What the magics show: a run's live progress and final state, run history, workflow lists.

Each view renders HTML for notebooks and plain text for terminals, consoles and
headless runs (nbclient keeps both). A run view is fed run events one by one, so
the same object draws the progress while the run goes and the result at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from html import escape
from typing import Any

from ..store.records import RunRecord, WorkflowRecord

_ICON = {
    "pending": "○",
    "running": "◐",
    "retrying": "↻",
    "succeeded": "✓",
    "failed": "✗",
    "interrupted": "‖",
    "cancelled": "⊘",
}
_COLOR = {
    "pending": "#8a8a8a",
    "running": "#1a73e8",
    "retrying": "#e37400",
    "succeeded": "#188038",
    "failed": "#d93025",
    "interrupted": "#a142f4",
    "cancelled": "#8a8a8a",
}
_BOX = (
    "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;"
    "border:1px solid var(--jp-border-color2,#ddd);border-radius:6px;padding:8px 10px;"
    "margin:2px 0;max-width:980px"
)
_CELL = "padding:2px 10px 2px 0;text-align:left;vertical-align:top;border:none"


def _json(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    try:
        delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    except ValueError:
        return None
    return delta.total_seconds() * 1000


def _badge(status: str) -> str:
    color = _COLOR.get(status, "#555")
    return (
        f'<span style="color:{color};font-weight:600">{_ICON.get(status, "•")} '
        f"{escape(status)}</span>"
    )


def tree(value: Any, depth: int = 0) -> str:
    """Nested dicts and lists as an expandable HTML tree (first levels open)."""
    if isinstance(value, Mapping) and value:
        items = "".join(
            f"<li><b>{escape(str(k))}</b>: {tree(v, depth + 1)}</li>" for k, v in value.items()
        )
        return _fold(f"{{…}} {len(value)} keys", items, depth)
    if isinstance(value, list) and value:
        items = "".join(f"<li>{tree(v, depth + 1)}</li>" for v in value)
        return _fold(f"[…] {len(value)} items", items, depth)
    if isinstance(value, str) and "\n" in value:
        return f'<pre style="margin:0;white-space:pre-wrap">{escape(value)}</pre>'
    return f"<code>{escape(_json(value, 400))}</code>"


def _fold(summary: str, items: str, depth: int) -> str:
    opened = " open" if depth < 2 else ""
    return (
        f'<details{opened} style="display:inline-block;vertical-align:top">'
        f'<summary style="cursor:pointer;color:#666">{summary}</summary>'
        f'<ul style="margin:0;padding-left:18px;list-style:none">{items}</ul></details>'
    )


def message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        parts = [p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content]
        content = "".join(parts)
    return str(content)


def _role(message: Mapping[str, Any]) -> str:
    kind = str(message.get("type") or message.get("role") or "message")
    return {"human": "user", "ai": "assistant"}.get(kind, kind)


def transcript_html(messages: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for message in messages:
        role = _role(message)
        mine = role == "user"
        bg = "#e8f0fe" if mine else "#f1f3f4" if role == "assistant" else "#fef7e0"
        calls = "".join(
            f'<div style="color:#666;font-size:12px">→ calls <code>{escape(str(c.get("name")))}'
            f"</code>({escape(_json(c.get('args', {}), 200))})</div>"
            for c in message.get("tool_calls") or []
            if isinstance(c, Mapping)
        )
        label = role if role != "tool" else f"tool {message.get('name') or ''}".strip()
        rows.append(
            f'<div style="display:flex;justify-content:{"flex-end" if mine else "flex-start"};'
            f'margin:3px 0"><div style="background:{bg};color:#202124;border-radius:10px;'
            f'padding:5px 10px;max-width:75%"><div style="font-size:11px;color:#666">'
            f'{escape(label)}</div><div style="white-space:pre-wrap">'
            f"{escape(message_text(message))}</div>{calls}</div></div>"
        )
    return "".join(rows)


def _visits(row: Mapping[str, Any]) -> str:
    """How often a loop ran the node (`` (3 runs)``), when more than once."""
    visits = row.get("visits", 0)
    return f" ({visits} runs)" if visits > 1 else ""


def _said(message: Mapping[str, Any]) -> str:
    text = message_text(message)
    calls = [
        f"→ {c.get('name')}({_json(c.get('args', {}), 120)})"
        for c in message.get("tool_calls") or []
        if isinstance(c, Mapping)
    ]
    return " ".join([text, *calls]).strip()


def _is_question(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") == "human_input"


def _is_breakpoint(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") == "breakpoint"


def _where(value: Mapping[str, Any]) -> str:
    if value.get("before"):
        return "paused before " + ", ".join(value["before"])
    return (
        "paused after "
        + ", ".join(value.get("after") or [])
        + f" (next: {', '.join(value.get('next') or [])})"
    )


def _ask_text(value: Any) -> str:
    """A HumanInputNode question as a person reads it; other payloads as JSON."""
    if _is_breakpoint(value):
        return f"breakpoint: {_where(value)}"
    if not _is_question(value):
        return _json(value, 300)
    parts = [f"{value.get('prompt')} (node {value.get('node')!r})"]
    if value.get("schema"):
        parts.append(f"answer schema: {_json(value['schema'], 200)}")
    if value.get("error"):
        parts.append(f"last answer refused: {value['error']}")
    return "; ".join(parts)


def _ask_html(value: Any) -> str:
    if _is_breakpoint(value):
        return f"<b>breakpoint</b>: {escape(_where(value))}"
    if not _is_question(value):
        return tree(value)
    out = f"<div><b>{escape(str(value.get('prompt')))}</b></div>"
    if value.get("schema"):
        out += f'<div style="color:#666">answer schema: {tree(value["schema"], 2)}</div>'
    if value.get("error"):
        out += (
            f'<div style="color:#d93025">last answer refused: {escape(str(value["error"]))}</div>'
        )
    return out


class RunView:
    """A run as it goes: node states from events, then the final record."""

    def __init__(self, name: str, run_id: str | None = None) -> None:
        self.name = name
        self.run_id = run_id
        self.status = "pending"
        self.nodes: dict[str, dict[str, Any]] = {}
        self.error: str | None = None
        self.interrupts: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.record: RunRecord | None = None
        self.events = 0
        #: Rewrites a code node's error to cite the notebook line it comes from.
        self.cite: Callable[[str | None], str | None] = lambda text: text

    # --- feeding -----------------------------------------------------------------
    def apply(self, event: Mapping[str, Any]) -> None:
        self.events += 1
        kind, node, data = event.get("type"), event.get("node"), event.get("data") or {}
        self.run_id = self.run_id or event.get("run_id")
        row = self.nodes.setdefault(node, {"status": "pending"}) if node else None
        if kind in ("run_started", "resumed"):
            self.status = "running"
            self.interrupts = []
        elif row is not None and kind == "node_started":
            visits = row.get("visits", 0) + (1 if data.get("attempt", 1) == 1 else 0)
            row.update(status="running", attempt=data.get("attempt", 1), visits=visits)
        elif row is not None and kind == "node_retrying":
            row.update(status="retrying", error=data.get("error"))
        elif row is not None and kind == "node_finished":
            row.update(status="succeeded", duration_ms=data.get("duration_ms"), error=None)
        elif row is not None and kind == "node_failed":
            row.update(
                status="failed",
                error=self.cite(data.get("error")),
                duration_ms=data.get("duration_ms"),
            )
        elif kind == "template_unresolved":
            self.notes.append(
                f"{node}: unresolved {', '.join(map(str, data.get('templates', [])))}"
            )
        elif kind == "interrupted":
            self.status = "interrupted"
            self.interrupts = list(data.get("interrupts") or [])
            for row in self.nodes.values():
                if row["status"] == "running":  # the nodes that asked
                    row["status"] = "interrupted"
        elif kind == "run_finished":
            self.status = "succeeded"
        elif kind == "run_failed":
            self.status, self.error = "failed", self.cite(data.get("error"))
        elif kind == "run_cancelled":
            self.status = "cancelled"

    def finish(self, record: RunRecord) -> None:
        self.record = record
        self.run_id = record.id
        self.status = str(record.status)
        self.error = self.cite(record.error)
        self.interrupts = list(record.interrupt or [])

    # --- rendering ---------------------------------------------------------------
    @property
    def state(self) -> dict[str, Any]:
        return dict(self.record.final_state or {}) if self.record else {}

    def _took(self) -> str:
        if self.record is None:
            return ""
        total = _seconds_between(self.record.started_at, self.record.finished_at)
        return f" in {_ms(total)}" if total is not None else ""

    def _headline(self) -> str:
        run = f" · run {self.run_id}" if self.run_id else ""
        return f"{self.name}{run} · {self.status}{self._took()}"

    def _resume_hint(self) -> str:
        if self.interrupts and all(_is_breakpoint(i.get("value")) for i in self.interrupts):
            return f"%orcheo resume {self.run_id}"
        return f"%orcheo resume {self.run_id} --value '<JSON answer>'"

    def __repr__(self) -> str:
        lines = [self._headline()]
        for node, row in self.nodes.items():
            extra = f"  {row['error']}" if row.get("error") else ""
            lines.append(
                f"  {_ICON.get(row['status'], '•')} {node:<20} {row['status']:<11} "
                f"{_ms(row.get('duration_ms'))}{_visits(row)}{extra}".rstrip()
            )
        if self.error:
            lines.append(f"error: {self.error}")
        for item in self.interrupts:
            waiting = "" if _is_breakpoint(item.get("value")) else "waiting for input: "
            lines.append(f"{waiting}{_ask_text(item.get('value'))}")
        if self.interrupts:
            lines.append(f"answer with: {self._resume_hint()}")
        results = self.state.get("results") or {}
        if results:
            lines.append("results:")
            lines += [f"  {k}: {_json(v, 300)}" for k, v in results.items()]
        messages = self.state.get("messages") or []
        if messages:
            lines.append("messages:")
            lines += [f"  {_role(m)}: {_said(m)}" for m in messages if isinstance(m, Mapping)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f'<tr><td style="{_CELL}"><code>{escape(node)}</code></td>'
            f'<td style="{_CELL}">{_badge(row["status"])}</td>'
            f'<td style="{_CELL};color:#666">{_ms(row.get("duration_ms"))}{_visits(row)}</td>'
            f'<td style="{_CELL};color:#d93025">{escape(str(row.get("error") or ""))}</td></tr>'
            for node, row in self.nodes.items()
        )
        parts = [
            f'<div style="margin-bottom:4px"><b>{escape(self.name)}</b> '
            f"{_badge(self.status)}"
            f'<span style="color:#666">{escape(self._took())}'
            f"{escape(f' · run {self.run_id}' if self.run_id else '')}</span></div>"
        ]
        if rows:
            parts.append(f'<table style="border-collapse:collapse;margin:0">{rows}</table>')
        if self.error:
            parts.append(
                '<div style="color:#d93025;margin-top:4px"><b>error</b>: '
                f"{escape(self.error)}</div>"
            )
        for item in self.interrupts:
            parts.append(
                '<div style="margin-top:6px;padding:6px;border-left:3px solid #a142f4">'
                f"{'' if _is_breakpoint(item.get('value')) else '<b>waiting for input</b> '}"
                f"{_ask_html(item.get('value'))}<br>"
                f"<code>{escape(self._resume_hint())}</code></div>"
            )
        for note in self.notes:
            parts.append(f'<div style="color:#e37400">⚠ {escape(note)}</div>')
        results = self.state.get("results") or {}
        if results:
            table = "".join(
                f'<tr><td style="{_CELL}"><code>{escape(str(k))}</code></td>'
                f'<td style="{_CELL}">{tree(v, 1)}</td></tr>'
                for k, v in results.items()
            )
            parts.append(
                f'<div style="margin-top:6px"><b>results</b><table style="border-collapse:'
                f'collapse;margin:0">{table}</table></div>'
            )
        messages = [m for m in self.state.get("messages") or [] if isinstance(m, Mapping)]
        if messages:
            parts.append(
                f'<div style="margin-top:6px"><b>messages</b>{transcript_html(messages)}</div>'
            )
        if self.state.get("structured_response") is not None:
            parts.append(
                f"<div><b>structured response</b> {tree(self.state['structured_response'])}</div>"
            )
        return f'<div class="orcheo-run" style="{_BOX}">{"".join(parts)}</div>'


class RunsView:
    """A workflow's run history, newest first."""

    def __init__(self, workflow: WorkflowRecord, runs: list[RunRecord]) -> None:
        self.workflow = workflow
        self.runs = runs

    def _rows(self) -> list[list[str]]:
        return [
            [
                r.id,
                str(r.status),
                str(r.version or ""),
                r.created_at[:19].replace("T", " "),
                _ms(_seconds_between(r.started_at, r.finished_at)),
                (r.error or "")[:80],
            ]
            for r in self.runs
        ]

    def __repr__(self) -> str:
        head = f"{self.workflow.name}: {len(self.runs)} run(s), newest first"
        return "\n".join([head] + ["  " + "  ".join(row).rstrip() for row in self._rows()])

    def _repr_html_(self) -> str:
        head = "".join(
            f'<th style="{_CELL}">{h}</th>'
            for h in ("run", "status", "version", "created", "took", "error")
        )
        body = "".join(
            "<tr>"
            + f'<td style="{_CELL}"><code>{escape(row[0])}</code></td>'
            + f'<td style="{_CELL}">{_badge(row[1])}</td>'
            + "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in row[2:])
            + "</tr>"
            for row in self._rows()
        )
        return (
            f'<div style="{_BOX}"><b>{escape(self.workflow.name)}</b> · run history'
            f'<table style="border-collapse:collapse">{head}{body}</table></div>'
        )


class WorkflowsView:
    """The stored workflows, and which have a file beside the notebook."""

    def __init__(self, records: list[WorkflowRecord], files: set[str]) -> None:
        self.records = records
        self.files = files

    def _rows(self) -> list[list[str]]:
        return [
            [
                r.name,
                r.id,
                f"v{r.latest_version}",
                r.updated_at[:19].replace("T", " "),
                ", ".join(r.tags),
                "yes" if r.name in self.files else "",
            ]
            for r in self.records
        ]

    def __repr__(self) -> str:
        if not self.records:
            return "no workflows yet: write one with %%orcheo NAME"
        return "\n".join("  ".join(row).rstrip() for row in self._rows())

    def _repr_html_(self) -> str:
        if not self.records:
            return (
                f'<div style="{_BOX}">No workflows yet: write one with '
                "<code>%%orcheo NAME</code></div>"
            )
        head = "".join(
            f'<th style="{_CELL}">{h}</th>'
            for h in ("name", "id", "version", "updated", "tags", "file here")
        )
        body = "".join(
            "<tr>" + "".join(f'<td style="{_CELL}">{escape(c)}</td>' for c in row) + "</tr>"
            for row in self._rows()
        )
        table = f'<table style="border-collapse:collapse">{head}{body}</table>'
        return f'<div style="{_BOX}">{table}</div>'
