"""A static picture of a workflow graph, for places where no JavaScript runs.

nbconvert's HTML export and GitHub's notebook preview cannot run the canvas, so
the widget's output also carries an SVG drawing (stored positions when the
document has them, a layered layout otherwise) and a Mermaid flowchart.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ..spec.models import END, START, FrozenIRGraph, WorkflowDocument

NODE_W, NODE_H = 168.0, 52.0
SENTINEL_W, SENTINEL_H = 64.0, 26.0


@dataclass(frozen=True)
class _Line:
    source: str
    target: str
    label: str
    kind: str  # plain | route | default


def _structure(doc: WorkflowDocument) -> tuple[list[tuple[str, str]], list[_Line]]:
    """(node id, subtitle) pairs and the lines between them, sentinels included."""
    nodes: list[tuple[str, str]] = []
    lines: list[_Line] = []
    graph = doc.graph
    if isinstance(graph, FrozenIRGraph):
        ir = graph.ir
        for node in ir.nodes:
            sub = node.type if node.kind == "builtin" else node.kind
            nodes.append((node.id, sub))
        lines += [_Line(e.source, e.target, "", "plain") for e in ir.edges]
        conds = ir.conditional_edges
        entry = ir.entrypoint or graph.entrypoint
    else:
        nodes = [(n, "script") for n in graph.index.nodes]
        lines += [_Line(e.source, e.target, "", "plain") for e in graph.index.edges]
        conds = graph.index.conditional_edges
        entry = graph.entrypoint
    for cond in conds:
        lines += [_Line(cond.source, t, k, "route") for k, t in cond.mapping.items()]
        if cond.default:
            lines.append(_Line(cond.source, cond.default, "default", "default"))
    if entry and not any(line.source == START for line in lines):
        lines.append(_Line(START, entry, "", "plain"))
    known = {n for n, _ in nodes} | {START, END}
    return nodes, [ln for ln in lines if ln.source in known and ln.target in known]


def _layers(ids: list[str], lines: list[_Line]) -> dict[str, tuple[float, float]]:
    """Longest-path layering from __start__ (cycles broken by first visit)."""
    succ: dict[str, list[str]] = {}
    for ln in lines:
        succ.setdefault(ln.source, []).append(ln.target)
    depth: dict[str, int] = {START: 0}
    order = [START]
    i = 0
    while i < len(order):  # BFS gives a visit order; relax depths along it once
        for nxt in succ.get(order[i], []):
            if nxt not in depth:
                depth[nxt] = depth[order[i]] + 1
                order.append(nxt)
        i += 1
    rank = {n: k for k, n in enumerate(order)}
    for _ in range(3):
        for n in order:
            for nxt in succ.get(n, []):
                if rank[nxt] > rank[n] and depth[nxt] <= depth[n] and nxt != END:
                    depth[nxt] = depth[n] + 1
    top = max([d for n, d in depth.items() if n != END], default=0)
    for n in ids:
        if n not in depth:
            top += 1
            depth[n] = top
    depth[END] = max(top + 1, depth.get(END, 0))
    rows: dict[int, list[str]] = {}
    for n in [START, *ids, END]:
        rows.setdefault(depth[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for d, row in rows.items():
        width = (len(row) - 1) * (NODE_W + 40)
        for k, n in enumerate(row):
            pos[n] = (k * (NODE_W + 40) - width / 2, d * (NODE_H + 60))
    return pos


def _positions(doc: WorkflowDocument, ids: list[str], lines: list[_Line]) -> dict:
    stored = doc.canvas.positions
    if not ids or not all(n in stored for n in ids):
        return _layers(ids, lines)
    pos = {n: (stored[n].x, stored[n].y) for n in ids}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    mean_x = sum(xs) / len(xs)

    def around(sentinel: str, outgoing: bool) -> float:
        near = [
            pos[ln.target if outgoing else ln.source][0]
            for ln in lines
            if (ln.source if outgoing else ln.target) == sentinel
            and (ln.target if outgoing else ln.source) in pos
        ]
        return sum(near) / len(near) if near else mean_x

    pos[START] = (around(START, True), min(ys) - 110)
    pos[END] = (around(END, False), max(ys) + 110)
    return pos


def to_svg(doc: WorkflowDocument) -> str:
    """An SVG drawing of the graph (boxes, arrows, route labels)."""
    nodes, lines = _structure(doc)
    ids = [n for n, _ in nodes]
    pos = _positions(doc, ids, lines)
    subtitle = dict(nodes)

    def size(n: str) -> tuple[float, float]:
        return (SENTINEL_W, SENTINEL_H) if n in (START, END) else (NODE_W, NODE_H)

    x0 = min(pos[n][0] - size(n)[0] / 2 for n in pos) - 20
    y0 = min(pos[n][1] - size(n)[1] / 2 for n in pos) - 20
    x1 = max(pos[n][0] + size(n)[0] / 2 for n in pos) + 20
    y1 = max(pos[n][1] + size(n)[1] / 2 for n in pos) + 20
    w, h = x1 - x0, y1 - y0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="orcheo-graph" '
        f'data-orcheo-static="1" width="{min(w, 960):.0f}" '
        f'viewBox="{x0:.1f} {y0:.1f} {w:.1f} {h:.1f}" '
        f'font-family="sans-serif" role="img" aria-label="workflow {escape(doc.name)}">',
        f"<title>{escape(doc.name)}</title>",
        '<defs><marker id="oc-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#78909c"/></marker></defs>',
    ]
    for ln in lines:
        (sx, sy), (tx, ty) = pos[ln.source], pos[ln.target]
        sy += size(ln.source)[1] / 2
        ty -= size(ln.target)[1] / 2
        colour = "#7e57c2" if ln.kind != "plain" else "#90a4ae"
        dash = ' stroke-dasharray="5,4"' if ln.kind != "plain" else ""
        out.append(
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" stroke="{colour}" '
            f'stroke-width="1.5"{dash} marker-end="url(#oc-arrow)"/>'
        )
        if ln.label:
            out.append(
                f'<text x="{(sx + tx) / 2:.1f}" y="{(sy + ty) / 2:.1f}" font-size="10" '
                f'fill="#4527a0" text-anchor="middle">{escape(ln.label)}</text>'
            )
    for n in [START, *ids, END]:
        x, y = pos[n]
        nw, nh = size(n)
        sentinel = n in (START, END)
        fill, stroke = ("#eceff1", "#b0bec5") if sentinel else ("#ffffff", "#90a4ae")
        out.append(
            f'<g data-node-id="{escape(n)}"><rect x="{x - nw / 2:.1f}" y="{y - nh / 2:.1f}" '
            f'width="{nw:.0f}" height="{nh:.0f}" rx="8" fill="{fill}" stroke="{stroke}"/>'
        )
        if sentinel:
            label = "start" if n == START else "end"
            out.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" fill="#546e7a" '
                f'text-anchor="middle">{label}</text></g>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{y - 3:.1f}" font-size="12" fill="#263238" '
                f'text-anchor="middle">{escape(n)}</text>'
                f'<text x="{x:.1f}" y="{y + 13:.1f}" font-size="10" fill="#607d8b" '
                f'text-anchor="middle">{escape(subtitle.get(n, ""))}</text></g>'
            )
    out.append("</svg>")
    return "".join(out)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(doc: WorkflowDocument) -> str:
    """A Mermaid flowchart of the graph (renders on GitHub in Markdown)."""
    nodes, lines = _structure(doc)
    alias = {START: "start_", END: "end_"}
    out = ["flowchart TD", "    start_([start])", "    end_([end])"]
    for k, (node_id, sub) in enumerate(nodes):
        alias[node_id] = f"n{k}"
        out.append(f'    n{k}["{_mermaid_text(node_id)}<br/><small>{_mermaid_text(sub)}</small>"]')
    for ln in lines:
        arrow = "-.->" if ln.kind != "plain" else "-->"
        label = f"|{_mermaid_text(ln.label)}|" if ln.label else ""
        out.append(f"    {alias[ln.source]} {arrow}{label} {alias[ln.target]}")
    return "\n".join(out)
