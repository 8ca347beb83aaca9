/**
 * The document as cytoscape element definitions: workflow nodes, the two
 * sentinels, plain edges and one edge per conditional route.
 */

import { END, START, ConditionalEdge, Edge, IRNode, Position, WorkflowDocument } from './types';

export interface NodeDef {
  id: string;
  label: string;
  kind: 'builtin' | 'code' | 'subgraph' | 'sentinel' | 'script';
  type: string;
}

export interface EdgeDef {
  id: string;
  source: string;
  target: string;
  label: string;
  /** plain | route (a conditional mapping entry) | default | implicit (entrypoint, no edge) */
  kind: 'plain' | 'route' | 'default' | 'implicit';
}

export interface Elements {
  nodes: NodeDef[];
  edges: EdgeDef[];
  /** Ids (workflow nodes only) that have a stored position. */
  positioned: Set<string>;
}

export function edgeId(source: string, target: string): string {
  return `e\u241f${source}\u241f${target}`;
}

export function routeId(source: string, key: string | null): string {
  return key === null ? `d\u241f${source}` : `r\u241f${source}\u241f${key}`;
}

/** One line of a card, cut to what fits (the tooltip shows it whole). */
function fit(text: string, max = 19): string {
  return text.length > max ? `${text.slice(0, max - 1)}\u2026` : text;
}

/** A card's two lines: the node's name and its type (``HttpRequestNode`` shown as ``HttpRequest``). */
function nodeLabel(node: IRNode): { label: string; type: string } {
  if (node.kind === 'builtin')
    return { label: `${fit(node.id)}\n${fit(node.type.replace(/Node$/, '') || node.type)}`, type: node.type };
  if (node.kind === 'code') return { label: `${fit(node.id)}\nPython code`, type: 'code' };
  return { label: `${fit(node.id)}\nsubgraph (${node.graph.nodes.length})`, type: 'subgraph' };
}

function routes(cond: ConditionalEdge): EdgeDef[] {
  const out: EdgeDef[] = [];
  for (const [key, target] of Object.entries(cond.mapping ?? {})) {
    out.push({ id: routeId(cond.source, key), source: cond.source, target, label: key, kind: 'route' });
  }
  if (cond.default) {
    out.push({
      id: routeId(cond.source, null),
      source: cond.source,
      target: cond.default,
      label: 'default',
      kind: 'default'
    });
  }
  return out;
}

function plain(edges: Edge[]): EdgeDef[] {
  return edges.map(e => ({
    id: edgeId(e.source, e.target),
    source: e.source,
    target: e.target,
    label: '',
    kind: 'plain'
  }));
}

export function buildElements(doc: WorkflowDocument): Elements {
  const nodes: NodeDef[] = [];
  let edges: EdgeDef[];
  const positioned = new Set<string>();
  const stored = doc.canvas?.positions ?? {};
  if (doc.graph.format === 'frozen-ir') {
    const ir = doc.graph.ir;
    for (const node of ir.nodes) {
      const { label, type } = nodeLabel(node);
      nodes.push({ id: node.id, label, kind: node.kind, type });
      if (stored[node.id]) positioned.add(node.id);
    }
    edges = plain(ir.edges);
    for (const cond of ir.conditional_edges) edges.push(...routes(cond));
    const entry = ir.entrypoint ?? doc.graph.entrypoint;
    if (entry && !ir.edges.some(e => e.source === START)) {
      edges.push({ id: edgeId(START, entry), source: START, target: entry, label: '', kind: 'implicit' });
    }
  } else {
    const index = doc.graph.index ?? { nodes: [], edges: [], conditional_edges: [] };
    for (const id of index.nodes ?? []) {
      nodes.push({ id, label: id, kind: 'script', type: 'script' });
      if (stored[id]) positioned.add(id);
    }
    edges = plain(index.edges ?? []);
    for (const cond of index.conditional_edges ?? []) edges.push(...routes(cond));
    const entry = doc.graph.entrypoint;
    if (entry && !edges.some(e => e.source === START)) {
      edges.push({ id: edgeId(START, entry), source: START, target: entry, label: '', kind: 'implicit' });
    }
  }
  const known = new Set(nodes.map(n => n.id));
  nodes.unshift(
    { id: START, label: 'start', kind: 'sentinel', type: START },
    { id: END, label: 'end', kind: 'sentinel', type: END }
  );
  known.add(START);
  known.add(END);
  // A dangling edge (validation reports it) cannot be drawn.
  edges = edges.filter(e => known.has(e.source) && known.has(e.target));
  return { nodes, edges, positioned };
}

/**
 * Where the sentinels go when node positions are stored (sentinel positions are
 * never stored: they are layout, derived from their neighbours).
 */
export function sentinelPositions(
  els: Elements,
  positionOf: (id: string) => Position | undefined
): Record<string, Position> {
  const out: Record<string, Position> = {};
  let minY = Infinity;
  let maxY = -Infinity;
  let sumX = 0;
  let count = 0;
  for (const n of els.nodes) {
    if (n.kind === 'sentinel') continue;
    const p = positionOf(n.id);
    if (!p) continue;
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
    sumX += p.x;
    count++;
  }
  if (!count) {
    return { [START]: { x: 0, y: 0 }, [END]: { x: 0, y: 160 } };
  }
  const meanX = sumX / count;
  const around = (sentinel: string, key: 'source' | 'target'): number => {
    const xs = els.edges
      .filter(e => e[key === 'source' ? 'source' : 'target'] === sentinel)
      .map(e => positionOf(key === 'source' ? e.target : e.source))
      .filter((p): p is Position => !!p)
      .map(p => p.x);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : meanX;
  };
  out[START] = { x: around(START, 'source'), y: minY - 110 };
  out[END] = { x: around(END, 'target'), y: maxY + 110 };
  return out;
}
