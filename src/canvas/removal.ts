/**
 * Deleting nodes and edges as diffs: everything that points at a deleted node
 * (edges, routes, the entrypoint) goes in the same undoable step.
 */

import { apply, clone, irOf } from './doc';
import { EdgeDef } from './elements';
import { END, START, Diff, WorkflowDocument } from './types';

export function removalDiffs(doc: WorkflowDocument, nodes: string[], edges: EdgeDef[]): Diff[] {
  const work = clone(doc);
  const diffs: Diff[] = [];
  const push = (d: Diff): void => {
    apply(work, d);
    diffs.push(d);
  };
  const ir = (): ReturnType<typeof irOf> => irOf(work);
  for (const e of edges) {
    if (e.kind === 'plain') {
      if (ir().edges.some(x => x.source === e.source && x.target === e.target))
        push({ op: 'remove_edge', source: e.source, target: e.target });
    } else if (e.kind === 'implicit') {
      push({ op: 'set_entrypoint', id: null });
    } else {
      const cond = ir().conditional_edges.find(c => c.source === e.source);
      if (!cond) continue;
      const mapping = { ...cond.mapping };
      let fallback = cond.default ?? null;
      if (e.kind === 'route') delete mapping[e.label];
      else fallback = null;
      push({ op: 'set_conditional_edge', source: e.source, edge: { path: cond.path, mapping, default: fallback } });
    }
  }
  for (const id of nodes) {
    if (id === START || id === END || !ir().nodes.some(n => n.id === id)) continue;
    for (const e of ir().edges.filter(x => x.source === id || x.target === id)) {
      push({ op: 'remove_edge', source: e.source, target: e.target });
    }
    if (ir().conditional_edges.some(c => c.source === id)) push({ op: 'set_conditional_edge', source: id, edge: null });
    for (const c of ir().conditional_edges) {
      const hits = Object.entries(c.mapping).filter(([, t]) => t === id);
      if (!hits.length && c.default !== id) continue;
      const mapping = Object.fromEntries(Object.entries(c.mapping).filter(([, t]) => t !== id));
      push({
        op: 'set_conditional_edge',
        source: c.source,
        edge: { path: c.path, mapping, default: c.default === id ? null : (c.default ?? null) }
      });
    }
    const graph = work.graph as { entrypoint?: string | null; ir: { entrypoint?: string | null } };
    if (graph.ir.entrypoint === id || graph.entrypoint === id) push({ op: 'set_entrypoint', id: null });
    push({ op: 'remove_node', id });
  }
  return diffs;
}
