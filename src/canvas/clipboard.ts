/**
 * Copy, paste and duplicate of nodes. A copy holds the selected nodes, the edges
 * and routes among them and their positions; pasting adds them under fresh ids
 * (references renamed with them) as one undoable edit. The copy is kept in
 * localStorage, so it pastes into any canvas of the same Jupyter (another tab,
 * a notebook widget), and is offered to the system clipboard as JSON text.
 */

import { clone } from './doc';
import { ConditionalEdge, Diff, Edge, END, IRNode, Position, START, WorkflowDocument } from './types';

export const CLIPBOARD_KEY = 'orcheo-jupyter:clipboard';
const FORMAT = 'orcheo-jupyter/nodes';

export interface Copied {
  format: typeof FORMAT;
  /** Which canvas copied it (pasting back there offsets the copy). */
  source: string;
  nodes: IRNode[];
  edges: Edge[];
  conditional_edges: ConditionalEdge[];
  positions: Record<string, Position>;
}

/** The selected nodes of ``doc`` with what connects them to each other. */
export function copySelection(
  doc: WorkflowDocument,
  ids: string[],
  source: string,
  positionOf: (id: string) => Position | null
): Copied | null {
  if (doc.graph.format !== 'frozen-ir') return null;
  const ir = doc.graph.ir;
  const chosen = new Set(ids);
  const nodes = ir.nodes.filter(n => chosen.has(n.id)).map(n => clone(n));
  if (!nodes.length) return null;
  const inside = (id: string): boolean => chosen.has(id) || id === END;
  const edges = ir.edges.filter(e => chosen.has(e.source) && inside(e.target)).map(e => ({ ...e }));
  const conditional_edges: ConditionalEdge[] = [];
  for (const c of ir.conditional_edges) {
    if (!chosen.has(c.source)) continue;
    const mapping = Object.fromEntries(Object.entries(c.mapping).filter(([, t]) => inside(t)));
    const fallback = c.default && inside(c.default) ? c.default : null;
    conditional_edges.push({ source: c.source, path: c.path, mapping, default: fallback });
  }
  const positions: Record<string, Position> = {};
  for (const n of nodes) {
    const p = positionOf(n.id) ?? doc.canvas.positions[n.id];
    if (p) positions[n.id] = { x: p.x, y: p.y };
  }
  return { format: FORMAT, source, nodes, edges, conditional_edges, positions };
}

/** Parse clipboard text; null when it is not a copy of canvas nodes. */
export function parseCopied(text: string | null | undefined): Copied | null {
  if (!text) return null;
  try {
    const data = JSON.parse(text) as Copied;
    if (data && data.format === FORMAT && Array.isArray(data.nodes) && data.nodes.length) {
      data.edges = Array.isArray(data.edges) ? data.edges : [];
      data.conditional_edges = Array.isArray(data.conditional_edges) ? data.conditional_edges : [];
      data.positions = data.positions && typeof data.positions === 'object' ? data.positions : {};
      return data;
    }
  } catch {
    /* not ours */
  }
  return null;
}

/** Remember a copy for every canvas of this origin (and the system clipboard when allowed). */
export function storeCopied(copied: Copied): void {
  const text = JSON.stringify(copied);
  try {
    window.localStorage.setItem(CLIPBOARD_KEY, text);
  } catch {
    /* storage full or blocked: the system clipboard may still take it */
  }
  void navigator.clipboard?.writeText(text).catch(() => undefined);
}

export function loadCopied(): Copied | null {
  try {
    return parseCopied(window.localStorage.getItem(CLIPBOARD_KEY));
  } catch {
    return null;
  }
}

function stem(id: string): string {
  return id.replace(/_\d+$/, '') || 'node';
}

/**
 * The diffs that add ``copied`` to ``doc``: fresh ids, references renamed, nodes
 * placed so their group's centre is ``centre``. Returns the diffs and the new ids.
 */
export function pasteDiffs(doc: WorkflowDocument, copied: Copied, centre: Position): { diffs: Diff[]; ids: string[] } {
  if (doc.graph.format !== 'frozen-ir') return { diffs: [], ids: [] };
  const taken = new Set([...doc.graph.ir.nodes.map(n => n.id), START, END]);
  const rename = new Map<string, string>();
  for (const n of copied.nodes) {
    let id = n.id;
    if (taken.has(id)) {
      const base = stem(n.id);
      let i = 2;
      while (taken.has(`${base}_${i}`)) i++;
      id = `${base}_${i}`;
    }
    taken.add(id);
    rename.set(n.id, id);
  }
  const to = (id: string): string => rename.get(id) ?? id;
  const known = Object.values(copied.positions);
  const mid = known.length
    ? {
        x: (Math.min(...known.map(p => p.x)) + Math.max(...known.map(p => p.x))) / 2,
        y: (Math.min(...known.map(p => p.y)) + Math.max(...known.map(p => p.y))) / 2
      }
    : { x: 0, y: 0 };
  const diffs: Diff[] = [];
  copied.nodes.forEach((n, i) => {
    const node = clone(n);
    node.id = to(n.id);
    const p = copied.positions[n.id];
    const position = p
      ? { x: Math.round(p.x - mid.x + centre.x), y: Math.round(p.y - mid.y + centre.y) }
      : { x: Math.round(centre.x + i * 30), y: Math.round(centre.y + i * 30) };
    diffs.push({ op: 'add_node', node, position });
  });
  for (const e of copied.edges) diffs.push({ op: 'add_edge', source: to(e.source), target: to(e.target) });
  for (const c of copied.conditional_edges) {
    const mapping = Object.fromEntries(Object.entries(c.mapping).map(([k, t]) => [k, to(t)]));
    diffs.push({
      op: 'set_conditional_edge',
      source: to(c.source),
      edge: { path: c.path, mapping, default: c.default ? to(c.default) : null }
    });
  }
  return { diffs, ids: copied.nodes.map(n => to(n.id)) };
}

/** The centre of the copied group as it was drawn (for an offset paste into the same canvas). */
export function copiedCentre(copied: Copied): Position | null {
  const known = Object.values(copied.positions);
  if (!known.length) return null;
  return {
    x: (Math.min(...known.map(p => p.x)) + Math.max(...known.map(p => p.x))) / 2,
    y: (Math.min(...known.map(p => p.y)) + Math.max(...known.map(p => p.y))) / 2
  };
}
