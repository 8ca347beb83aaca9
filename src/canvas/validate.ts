/**
 * Problems the canvas can find without a kernel (the Lab document has none):
 * unknown node types, missing required settings, missing entry, unreachable
 * nodes. The notebook widget shows Python's validation instead.
 */

import { END, START, CatalogEntry, Problem, WorkflowDocument } from './types';

export function localProblems(doc: WorkflowDocument, catalog: CatalogEntry[]): Problem[] {
  if (doc.graph.format !== 'frozen-ir') return [];
  const ir = doc.graph.ir;
  const out: Problem[] = [];
  const types = new Map(catalog.map(c => [c.type, c]));
  const ids = new Set<string>();
  for (const node of ir.nodes) {
    if (ids.has(node.id))
      out.push({ severity: 'error', code: 'duplicate_id', message: 'duplicate node id', node: node.id, field: 'id' });
    ids.add(node.id);
    if (node.kind !== 'builtin' || !catalog.length) continue;
    const entry = types.get(node.type);
    if (!entry) {
      out.push({
        severity: 'error',
        code: 'unknown_type',
        message: `unknown node type ${JSON.stringify(node.type)}`,
        node: node.id,
        field: 'type'
      });
      continue;
    }
    for (const key of (entry.config_schema.required ?? []) as string[]) {
      if (!(key in (node.config ?? {}))) {
        out.push({
          severity: 'error',
          code: 'missing',
          message: 'required field is missing',
          node: node.id,
          field: `config.${key}`
        });
      }
    }
  }
  const succ = new Map<string, Set<string>>();
  const link = (a: string, b: string): void => {
    if (!succ.has(a)) succ.set(a, new Set());
    succ.get(a)!.add(b);
  };
  const known = (n: string): boolean => ids.has(n) || n === START || n === END;
  ir.edges.forEach((e, i) => {
    for (const end of [e.source, e.target]) {
      if (!known(end))
        out.push({
          severity: 'error',
          code: 'dangling_edge',
          message: `edge end ${JSON.stringify(end)} is not a node`,
          field: `edges[${i}]`
        });
    }
    link(e.source, e.target);
  });
  for (const c of ir.conditional_edges) {
    for (const t of [...Object.values(c.mapping ?? {}), ...(c.default ? [c.default] : [])]) {
      if (!known(t))
        out.push({
          severity: 'error',
          code: 'dangling_target',
          message: `routes to ${JSON.stringify(t)}, which is not a node`,
          node: c.source
        });
      link(c.source, t);
    }
    link(c.source, END);
  }
  const entry = ir.edges.find(e => e.source === START)?.target ?? ir.entrypoint ?? doc.graph.entrypoint;
  if (!entry) {
    out.push(
      ir.nodes.length
        ? {
            severity: 'error',
            code: 'no_entrypoint',
            message: 'graph has no entrypoint and no __start__ edge',
            field: 'entrypoint'
          }
        : {
            severity: 'error',
            code: 'empty_graph',
            message: 'graph has no nodes: add one and connect __start__ to it',
            field: 'nodes'
          }
    );
    return out;
  }
  link(START, entry);
  const reach = (from: string, edges: Map<string, Set<string>>): Set<string> => {
    const seen = new Set<string>([from]);
    const stack = [from];
    while (stack.length) {
      for (const n of edges.get(stack.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return seen;
  };
  const pred = new Map<string, Set<string>>();
  for (const [a, bs] of succ)
    for (const b of bs) {
      if (!pred.has(b)) pred.set(b, new Set());
      pred.get(b)!.add(a);
    }
  const reachable = reach(START, succ);
  const finishing = reach(END, pred);
  for (const node of ir.nodes) {
    if (!reachable.has(node.id))
      out.push({
        severity: 'warning',
        code: 'unreachable',
        message: 'node is not reachable from the entrypoint',
        node: node.id
      });
    else if (!finishing.has(node.id))
      out.push({ severity: 'warning', code: 'no_path_to_end', message: 'node has no path to __end__', node: node.id });
  }
  return out;
}
