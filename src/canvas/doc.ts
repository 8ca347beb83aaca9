/**
 * Applying and inverting diffs on a local copy of the document.
 *
 * The TypeScript twin of the edit engine (orcheo_jupyter/spec/edits.py): the canvas
 * applies a diff locally first so the UI never waits on the kernel, and keeps the
 * inverse for undo. Both engines must reproduce the shared fixtures in
 * tests/ts/fixtures/edits (same documents, same refusals, same messages).
 */

import {
  END,
  START,
  ConditionalEdge,
  Diff,
  FrozenIRGraph,
  GraphIR,
  IRNode,
  JSONObject,
  NodeFields,
  Position,
  RetryPolicy,
  WorkflowDocument
} from './types';

/**
 * A refused diff. ``message`` says why (as Python's ``EditError.reason``); ``applyAll``
 * adds which diff of the batch (``index``, ``op``).
 */
export class DiffError extends Error {
  index: number | null = null;
  op: string | null = null;
}

/** A string quoted as Python's repr() quotes it, so both engines word errors alike. */
export function quote(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of text) {
    if (ch === '\\' || ch === q) body += `\\${ch}`;
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (ch === '\t') body += '\\t';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
      body += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else body += ch;
  }
  return q + body + q;
}

/** RetryPolicy's defaults (spec/models.py), filled in as Python's model fills them. */
const RETRY_DEFAULTS = { max_attempts: 3, initial_interval: 0.5, backoff_factor: 2.0, max_interval: 30.0 };

function withRetryDefaults(retry: unknown): unknown {
  return retry && typeof retry === 'object' && !Array.isArray(retry) ? { ...RETRY_DEFAULTS, ...retry } : retry;
}

const SENTINELS = new Set([START, END]);

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Fill members a hand-written document may omit, so edits have somewhere to go. */
export function normalize(doc: WorkflowDocument): WorkflowDocument {
  if (!doc.canvas) {
    doc.canvas = { positions: {}, comments: [] };
  }
  doc.canvas.positions = doc.canvas.positions ?? {};
  doc.canvas.comments = doc.canvas.comments ?? [];
  if (doc.graph && doc.graph.format === 'frozen-ir') {
    const ir = doc.graph.ir;
    ir.nodes = ir.nodes ?? [];
    ir.edges = ir.edges ?? [];
    ir.conditional_edges = ir.conditional_edges ?? [];
  }
  return doc;
}

export function isEditable(doc: WorkflowDocument): boolean {
  return doc.graph.format === 'frozen-ir';
}

/** The ids of the workflow's nodes: drawn ones, or the ones a script's import indexed. */
export function nodeIds(doc: WorkflowDocument): string[] {
  return doc.graph.format === 'frozen-ir' ? doc.graph.ir.nodes.map(n => n.id) : [...(doc.graph.index?.nodes ?? [])];
}

export function irOf(doc: WorkflowDocument): GraphIR {
  if (doc.graph.format !== 'frozen-ir') {
    throw new DiffError('this workflow is a LangGraph script: it is read-only on the canvas');
  }
  return doc.graph.ir;
}

export function findNode(ir: GraphIR, id: string): IRNode | undefined {
  return ir.nodes.find(n => n.id === id);
}

function requireNode(ir: GraphIR, id: string): IRNode {
  const node = findNode(ir, id);
  if (!node) {
    throw new DiffError(`no node ${quote(id)}`);
  }
  return node;
}

function isEndpoint(ir: GraphIR, name: string): boolean {
  return SENTINELS.has(name) || findNode(ir, name) !== undefined;
}

export function checkNodeId(ir: GraphIR, id: string): void {
  if (typeof id !== 'string' || !id.trim()) {
    throw new DiffError('a node id must be a non-empty string');
  }
  if (SENTINELS.has(id)) {
    throw new DiffError(`node id ${quote(id)} is reserved for the graph's start/end`);
  }
  if (findNode(ir, id)) {
    throw new DiffError(`node ${quote(id)} already exists`);
  }
}

function edgeIndex(ir: GraphIR, source: string, target: string): number {
  return ir.edges.findIndex(e => e.source === source && e.target === target);
}

function condIndex(ir: GraphIR, source: string): number {
  return ir.conditional_edges.findIndex(c => c.source === source);
}

function entrypointOf(doc: WorkflowDocument): string | null {
  const graph = doc.graph as FrozenIRGraph;
  return graph.ir.entrypoint ?? graph.entrypoint ?? null;
}

/** The diffs that undo ``diff`` on ``doc`` (computed before ``diff`` is applied). */
export function invert(doc: WorkflowDocument, diff: Diff): Diff[] {
  if (diff.op === 'set_comment') {
    const index = doc.canvas.comments.findIndex(c => c.id === diff.id);
    if (index < 0) return [{ op: 'set_comment', id: diff.id, comment: null }];
    const { text, x, y } = doc.canvas.comments[index];
    return [{ op: 'set_comment', id: diff.id, comment: { text, x, y }, index }];
  }
  if (diff.op === 'set_meta') {
    const before: Diff = { op: 'set_meta' };
    if (diff.name !== undefined) before.name = doc.name;
    if (diff.description !== undefined) before.description = doc.description ?? '';
    return [before];
  }
  const ir = irOf(doc);
  switch (diff.op) {
    case 'add_node':
      return [{ op: 'remove_node', id: diff.node.id }];
    case 'remove_node': {
      const index = ir.nodes.findIndex(n => n.id === diff.id);
      const node = requireNode(ir, diff.id);
      const position = doc.canvas.positions[diff.id] ?? null;
      const back: Diff[] = [{ op: 'add_node', node: clone(node), position, index }];
      // Whatever removal takes along comes back too, in its place: edges, routes,
      // the entrypoint and the pinned output.
      ir.edges.forEach((e, i) => {
        if (e.source === diff.id || e.target === diff.id)
          back.push({ op: 'add_edge', source: e.source, target: e.target, index: i });
      });
      ir.conditional_edges.forEach((c, i) => {
        const touched = c.source === diff.id || c.default === diff.id || Object.values(c.mapping).includes(diff.id);
        if (!touched) return;
        const { source, ...routing } = clone(c);
        back.push({ op: 'set_conditional_edge', source, edge: routing, index: i });
      });
      if (entrypointOf(doc) === diff.id) back.push({ op: 'set_entrypoint', id: diff.id });
      if (doc.pinned && diff.id in doc.pinned)
        back.push({ op: 'set_pin', id: diff.id, output: clone(doc.pinned[diff.id]) });
      return back;
    }
    case 'rename_node':
      return [{ op: 'rename_node', id: diff.new_id, new_id: diff.id }];
    case 'set_config': {
      const node = requireNode(ir, diff.id);
      const config = node.kind === 'subgraph' ? {} : (node.config ?? {});
      return [{ op: 'set_config', id: diff.id, config: clone(config) as JSONObject }];
    }
    case 'update_node': {
      const node = requireNode(ir, diff.id) as unknown as Record<string, unknown>;
      const before: Record<string, unknown> = {};
      for (const key of Object.keys(diff.fields)) {
        before[key] = key in node ? clone(node[key]) : null;
      }
      return [{ op: 'update_node', id: diff.id, fields: before as NodeFields }];
    }
    case 'move': {
      const before: Record<string, Position | null> = {};
      for (const id of Object.keys(diff.positions)) {
        const p = doc.canvas.positions[id];
        before[id] = p ? { x: p.x, y: p.y } : null;
      }
      return [{ op: 'move', positions: before }];
    }
    case 'add_edge':
      return [{ op: 'remove_edge', source: diff.source, target: diff.target }];
    case 'remove_edge':
      return [
        {
          op: 'add_edge',
          source: diff.source,
          target: diff.target,
          index: edgeIndex(ir, diff.source, diff.target)
        }
      ];
    case 'set_conditional_edge': {
      const index = condIndex(ir, diff.source);
      if (index < 0) {
        return [{ op: 'set_conditional_edge', source: diff.source, edge: null }];
      }
      const { source: _s, ...routing } = clone(ir.conditional_edges[index]);
      void _s;
      return [{ op: 'set_conditional_edge', source: diff.source, edge: routing, index }];
    }
    case 'set_entrypoint':
      return [{ op: 'set_entrypoint', id: entrypointOf(doc) }];
    case 'set_viewport':
      return [{ op: 'set_viewport', viewport: doc.canvas.viewport ? clone(doc.canvas.viewport) : null }];
    case 'set_pin':
    case 'remove_pin':
      return doc.pinned && diff.id in doc.pinned
        ? [{ op: 'set_pin', id: diff.id, output: clone(doc.pinned[diff.id]) }]
        : [{ op: 'remove_pin', id: diff.id }];
  }
}

/** Drop a node's pinned output; the member goes when the last pin does (as Python omits it). */
function unpin(doc: WorkflowDocument, id: string): void {
  if (!doc.pinned || !(id in doc.pinned)) return;
  delete doc.pinned[id];
  if (!Object.keys(doc.pinned).length) delete doc.pinned;
}

function insertAt<T>(list: T[], item: T, index: number | null | undefined): void {
  if (index === undefined || index === null || index < 0 || index > list.length) {
    list.push(item);
  } else {
    list.splice(index, 0, item);
  }
}

function validNode(node: IRNode): IRNode {
  if (!node || typeof node !== 'object') {
    throw new DiffError('add_node needs a node object');
  }
  if (node.kind === 'builtin') {
    if (typeof node.type !== 'string' || !node.type) {
      throw new DiffError('a builtin node needs a type');
    }
    node.config = node.config ?? {};
  } else if (node.kind === 'code') {
    node.config = node.config ?? {};
    node.injected = node.injected ?? [];
    if (typeof node.body !== 'string') {
      throw new DiffError('a code node needs a body');
    }
  } else if (node.kind === 'subgraph') {
    if (!node.graph || typeof node.graph !== 'object') throw new DiffError('a subgraph node needs a graph');
    node.graph = filledGraph(node.graph);
  } else {
    throw new DiffError(`unknown node kind ${JSON.stringify((node as { kind: unknown }).kind)}`);
  }
  if (node.retry) node.retry = withRetryDefaults(node.retry) as RetryPolicy;
  return node;
}

/** A subgraph's graph with the members it left out at the model's defaults (GraphIR). */
function filledGraph(graph: Partial<GraphIR>): GraphIR {
  return {
    ...graph,
    schema_version: graph.schema_version ?? 1,
    state_ref: graph.state_ref ?? STANDARD_STATE,
    entrypoint: graph.entrypoint ?? null,
    nodes: (graph.nodes ?? []).map(validNode),
    edges: graph.edges ?? [],
    conditional_edges: (graph.conditional_edges ?? []).map(c => ({
      ...c,
      mapping: c.mapping ?? {},
      default: c.default ?? null
    }))
  };
}

/** GraphIR's default state_ref (spec/models.py STANDARD_STATE). */
const STANDARD_STATE = 'orcheo.graph.state.State';

function renameIn(cond: ConditionalEdge, from: string, to: string): void {
  if (cond.source === from) {
    cond.source = to;
  }
  for (const key of Object.keys(cond.mapping)) {
    if (cond.mapping[key] === from) {
      cond.mapping[key] = to;
    }
  }
  if (cond.default === from) {
    cond.default = to;
  }
}

/** Add, change or (``comment: null``) remove a sticky note; any document may carry notes. */
function applyComment(doc: WorkflowDocument, diff: Extract<Diff, { op: 'set_comment' }>): void {
  if (typeof diff.id !== 'string' || !diff.id) throw new DiffError('a note needs an id');
  const comments = doc.canvas.comments;
  const index = comments.findIndex(c => c.id === diff.id);
  if (diff.comment === null) {
    if (index >= 0) comments.splice(index, 1);
    return;
  }
  const { text, x, y } = diff.comment;
  if (typeof text !== 'string') throw new DiffError("a note's text must be text");
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new DiffError("a note's position must be finite numbers");
  const note = { id: diff.id, text, x, y };
  if (index >= 0) comments[index] = note;
  else insertAt(comments, note, diff.index);
}

/** Apply one diff in place; throws DiffError (leaving ``doc`` unchanged) when it is invalid. */
export function apply(doc: WorkflowDocument, diff: Diff): void {
  if (diff.op === 'set_comment') {
    applyComment(doc, diff);
    return;
  }
  if (diff.op === 'set_meta') {
    if (diff.name !== undefined && (typeof diff.name !== 'string' || !diff.name.trim())) {
      throw new DiffError('a workflow needs a name');
    }
    if (diff.description !== undefined && typeof diff.description !== 'string') {
      throw new DiffError('description must be text');
    }
    if (diff.name !== undefined) doc.name = diff.name;
    if (diff.description !== undefined) doc.description = diff.description;
    return;
  }
  const ir = irOf(doc);
  const positions = doc.canvas.positions;
  switch (diff.op) {
    case 'add_node': {
      const node = validNode(clone(diff.node));
      checkNodeId(ir, node.id);
      insertAt(ir.nodes, node, diff.index);
      if (diff.position) {
        positions[node.id] = { x: diff.position.x, y: diff.position.y };
      }
      return;
    }
    case 'remove_node': {
      requireNode(ir, diff.id);
      ir.nodes = ir.nodes.filter(n => n.id !== diff.id);
      ir.edges = ir.edges.filter(e => e.source !== diff.id && e.target !== diff.id);
      ir.conditional_edges = ir.conditional_edges
        .filter(c => c.source !== diff.id)
        .map(c => ({
          ...c,
          mapping: Object.fromEntries(Object.entries(c.mapping).filter(([, t]) => t !== diff.id)),
          default: c.default === diff.id ? null : (c.default ?? null)
        }));
      const graph = doc.graph as FrozenIRGraph;
      if (ir.entrypoint === diff.id) ir.entrypoint = null;
      if (graph.entrypoint === diff.id) graph.entrypoint = null;
      delete positions[diff.id];
      unpin(doc, diff.id);
      return;
    }
    case 'rename_node': {
      const node = requireNode(ir, diff.id);
      checkNodeId(ir, diff.new_id);
      node.id = diff.new_id;
      for (const e of ir.edges) {
        if (e.source === diff.id) e.source = diff.new_id;
        if (e.target === diff.id) e.target = diff.new_id;
      }
      for (const c of ir.conditional_edges) {
        renameIn(c, diff.id, diff.new_id);
      }
      const graph = doc.graph as FrozenIRGraph;
      if (ir.entrypoint === diff.id) ir.entrypoint = diff.new_id;
      if (graph.entrypoint === diff.id) graph.entrypoint = diff.new_id;
      if (positions[diff.id]) {
        positions[diff.new_id] = positions[diff.id];
        delete positions[diff.id];
      }
      if (doc.pinned && diff.id in doc.pinned) {
        const output = doc.pinned[diff.id];
        unpin(doc, diff.id);
        doc.pinned = { ...(doc.pinned ?? {}), [diff.new_id]: output };
      }
      return;
    }
    case 'set_config': {
      const node = requireNode(ir, diff.id);
      if (node.kind === 'subgraph') {
        throw new DiffError(`node ${quote(diff.id)} is a subgraph and has no config`);
      }
      if (!diff.config || typeof diff.config !== 'object' || Array.isArray(diff.config)) {
        throw new DiffError('config must be an object');
      }
      node.config = clone(diff.config);
      return;
    }
    case 'update_node': {
      const node = requireNode(ir, diff.id) as unknown as Record<string, unknown>;
      const allowed = node.kind === 'code' ? ['body', 'injected', 'retry', 'timeout'] : ['retry', 'timeout'];
      for (const key of Object.keys(diff.fields).sort()) {
        if (!allowed.includes(key)) {
          throw new DiffError(`field ${quote(key)} cannot be set on a ${String(node.kind)} node`);
        }
      }
      for (const key of ['body', 'injected']) {
        const value = (diff.fields as Record<string, unknown>)[key];
        if (key in diff.fields && (value === null || value === undefined)) {
          throw new DiffError(`${key} cannot be empty`);
        }
      }
      for (const [key, value] of Object.entries(diff.fields)) {
        if (value === null || value === undefined) delete node[key];
        else node[key] = key === 'retry' ? withRetryDefaults(clone(value)) : clone(value);
      }
      return;
    }
    case 'move': {
      // Check every entry first: a refused diff leaves the document as it was.
      for (const [id, p] of Object.entries(diff.positions)) {
        if (p === null || SENTINELS.has(id)) continue;
        if (!findNode(ir, id)) throw new DiffError(`no node ${quote(id)} to position`);
        if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
          throw new DiffError(`position of ${quote(id)} must be finite numbers`);
        }
      }
      for (const [id, p] of Object.entries(diff.positions)) {
        if (SENTINELS.has(id)) continue;
        if (p === null) delete positions[id];
        else positions[id] = { x: p.x, y: p.y };
      }
      return;
    }
    case 'add_edge': {
      for (const end of [diff.source, diff.target]) {
        if (!isEndpoint(ir, end)) {
          throw new DiffError(`edge end ${quote(end)} is not a node`);
        }
      }
      if (diff.source === END) throw new DiffError('an edge cannot leave __end__');
      if (diff.target === START) throw new DiffError('an edge cannot enter __start__');
      if (edgeIndex(ir, diff.source, diff.target) >= 0) {
        throw new DiffError(`edge ${diff.source} → ${diff.target} already exists`);
      }
      insertAt(ir.edges, { source: diff.source, target: diff.target }, diff.index);
      return;
    }
    case 'remove_edge': {
      const index = edgeIndex(ir, diff.source, diff.target);
      if (index < 0) throw new DiffError(`no edge ${diff.source} → ${diff.target}`);
      ir.edges.splice(index, 1);
      return;
    }
    case 'set_conditional_edge': {
      requireNode(ir, diff.source);
      const index = condIndex(ir, diff.source);
      if (diff.edge === null) {
        if (index >= 0) ir.conditional_edges.splice(index, 1);
        return;
      }
      const edge = diff.edge;
      if (typeof edge.path !== 'string') throw new DiffError('a conditional edge needs a path');
      for (const target of [...Object.values(edge.mapping ?? {}), ...(edge.default ? [edge.default] : [])]) {
        if (!isEndpoint(ir, target) || target === START) {
          throw new DiffError(`route target ${quote(target)} is not a node`);
        }
      }
      const value: ConditionalEdge = {
        source: diff.source,
        path: edge.path,
        mapping: { ...(edge.mapping ?? {}) },
        default: edge.default ?? null
      };
      if (index >= 0) ir.conditional_edges[index] = value;
      else insertAt(ir.conditional_edges, value, diff.index);
      return;
    }
    case 'set_entrypoint': {
      if (diff.id !== null) requireNode(ir, diff.id);
      const graph = doc.graph as FrozenIRGraph;
      ir.entrypoint = diff.id;
      graph.entrypoint = diff.id;
      return;
    }
    case 'set_viewport': {
      // Members left out take the model's defaults, as in Python (Viewport in spec/models.py).
      const v = diff.viewport;
      if (v === null) delete doc.canvas.viewport;
      else doc.canvas.viewport = { x: v.x ?? 0, y: v.y ?? 0, zoom: v.zoom ?? 1 };
      return;
    }
    case 'set_pin': {
      requireNode(ir, diff.id);
      if (diff.output === undefined) throw new DiffError('set_pin needs an output (any JSON value)');
      doc.pinned = { ...(doc.pinned ?? {}), [diff.id]: clone(diff.output) };
      return;
    }
    case 'remove_pin':
      unpin(doc, diff.id);
      return;
  }
  throw new DiffError(`unknown diff op ${JSON.stringify((diff as { op: unknown }).op)}`);
}

/** Apply several diffs as one step; on failure the document is restored and the error rethrown. */
export function applyAll(doc: WorkflowDocument, diffs: Diff[]): Diff[] {
  const undo: Diff[][] = [];
  let index = 0;
  try {
    for (const diff of diffs) {
      const inverse = invert(doc, diff);
      apply(doc, diff);
      undo.push(inverse);
      index++;
    }
  } catch (err) {
    for (const inverse of undo.reverse()) {
      for (const d of inverse) apply(doc, d);
    }
    if (err instanceof DiffError) {
      err.index = index;
      err.op = diffs[index].op;
    }
    throw err;
  }
  return undo.reverse().flat();
}

/** A node id derived from a type name that is not yet taken: SetVariableNode -> set_variable_2. */
export function freshId(ir: GraphIR | null, base: string): string {
  let stem = base
    .replace(/Node$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '');
  if (!stem) stem = 'node';
  const taken = new Set(ir ? ir.nodes.map(n => n.id) : []);
  if (!taken.has(stem)) return stem;
  let i = 2;
  while (taken.has(`${stem}_${i}`)) i++;
  return `${stem}_${i}`;
}
