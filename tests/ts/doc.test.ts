import { beforeEach, describe, expect, it } from 'vitest';

import { dumps } from '../../src/canvas/canonical';
import { DiffError, apply, applyAll, clone, freshId, invert, irOf } from '../../src/canvas/doc';
import { removalDiffs } from '../../src/canvas/removal';
import { Diff, WorkflowDocument } from '../../src/canvas/types';

function sample(): WorkflowDocument {
  return {
    name: 'flow',
    description: '',
    canvas: { positions: { a: { x: 0, y: 0 }, b: { x: 200, y: 0 } }, comments: [] },
    graph: {
      format: 'frozen-ir',
      entrypoint: 'a',
      ir: {
        schema_version: 1,
        state_ref: 'orcheo.graph.state.State',
        entrypoint: 'a',
        nodes: [
          { id: 'a', kind: 'builtin', type: 'SetVariableNode', config: { variables: { x: 1 } } },
          { id: 'b', kind: 'code', body: 'return {}', config: {}, injected: [] }
        ],
        edges: [
          { source: '__start__', target: 'a' },
          { source: 'a', target: 'b' }
        ],
        conditional_edges: [
          { source: 'b', path: 'results.b.ok', mapping: { true: '__end__', false: 'a' }, default: 'a' }
        ]
      }
    },
    pinned: { a: { x: 1 } }
  };
}

/** Apply a diff with its inverse, check the edit, then check undo restores the exact bytes. */
function roundTrip(doc: WorkflowDocument, diff: Diff): WorkflowDocument {
  const before = dumps(doc);
  const undo = invert(doc, diff);
  apply(doc, diff);
  const after = clone(doc);
  for (const d of undo) apply(doc, d);
  expect(dumps(doc)).toBe(before);
  return after;
}

describe('apply and invert', () => {
  let doc: WorkflowDocument;
  beforeEach(() => {
    doc = sample();
  });

  it('add_node inserts at the index with its position, and undo removes it', () => {
    const after = roundTrip(doc, {
      op: 'add_node',
      node: { id: 'c', kind: 'builtin', type: 'T', config: {} },
      position: { x: 5, y: 6 },
      index: 1
    });
    expect(irOf(after).nodes.map(n => n.id)).toEqual(['a', 'c', 'b']);
    expect(after.canvas.positions.c).toEqual({ x: 5, y: 6 });
  });

  it('add_node fills the members a hand-written node may omit', () => {
    apply(doc, { op: 'add_node', node: { id: 'c', kind: 'code', body: 'pass' } as never });
    expect(irOf(doc).nodes[2]).toEqual({ id: 'c', kind: 'code', body: 'pass', config: {}, injected: [] });
  });

  it('remove_node drops its edges, routes, entrypoint, position and pin', () => {
    apply(doc, { op: 'remove_node', id: 'a' });
    const after = doc;
    const ir = irOf(after);
    expect(ir.nodes.map(n => n.id)).toEqual(['b']);
    expect(ir.edges).toEqual([]);
    expect(ir.conditional_edges).toEqual([
      { source: 'b', path: 'results.b.ok', mapping: { true: '__end__' }, default: null }
    ]);
    expect(ir.entrypoint).toBeNull();
    expect(after.graph.entrypoint).toBeNull();
    expect(after.canvas.positions).toEqual({ b: { x: 200, y: 0 } });
    expect(after).not.toHaveProperty('pinned');
  });

  it('rename_node follows the id everywhere it is referenced', () => {
    const after = roundTrip(doc, { op: 'rename_node', id: 'a', new_id: 'start' });
    const ir = irOf(after);
    expect(ir.nodes[0].id).toBe('start');
    expect(ir.edges).toEqual([
      { source: '__start__', target: 'start' },
      { source: 'start', target: 'b' }
    ]);
    expect(ir.conditional_edges[0].mapping).toEqual({ true: '__end__', false: 'start' });
    expect(ir.conditional_edges[0].default).toBe('start');
    expect(ir.entrypoint).toBe('start');
    expect(after.canvas.positions.start).toEqual({ x: 0, y: 0 });
    expect(after.pinned).toEqual({ start: { x: 1 } });
  });

  it('set_config replaces the config and undo restores the old one', () => {
    const after = roundTrip(doc, { op: 'set_config', id: 'a', config: { variables: { y: 2 } } });
    expect((irOf(after).nodes[0] as { config: unknown }).config).toEqual({ variables: { y: 2 } });
  });

  it('update_node sets and clears retry and timeout', () => {
    const retry = { max_attempts: 2, initial_interval: 1, backoff_factor: 2, max_interval: 10 };
    const after = roundTrip(doc, {
      op: 'update_node',
      id: 'b',
      fields: { timeout: 3, retry, body: 'return {"y": 1}' }
    });
    expect(irOf(after).nodes[1]).toMatchObject({ timeout: 3, retry, body: 'return {"y": 1}' });
    apply(doc, { op: 'update_node', id: 'b', fields: { timeout: 3 } });
    apply(doc, { op: 'update_node', id: 'b', fields: { timeout: null } });
    expect(irOf(doc).nodes[1]).not.toHaveProperty('timeout');
  });

  it('edges, routing, entrypoint, viewport, notes, meta and pins all undo exactly', () => {
    const diffs: Diff[] = [
      { op: 'add_edge', source: 'b', target: '__end__' },
      { op: 'remove_edge', source: 'a', target: 'b' },
      { op: 'set_conditional_edge', source: 'a', edge: { path: 'p', mapping: { x: 'b' }, default: null } },
      { op: 'set_conditional_edge', source: 'b', edge: null },
      { op: 'set_entrypoint', id: 'b' },
      { op: 'set_viewport', viewport: { x: 1, y: 2, zoom: 0.5 } },
      { op: 'set_comment', id: 'n', comment: { text: 'hi', x: 1, y: 1 } },
      { op: 'set_meta', name: 'renamed', description: 'd' },
      { op: 'set_pin', id: 'b', output: [1, 2] },
      { op: 'remove_pin', id: 'a' },
      { op: 'move', positions: { a: { x: 9, y: 9 }, b: null, __start__: { x: 1, y: 1 } } }
    ];
    for (const diff of diffs) roundTrip(doc, diff);
  });

  it('move ignores the start/end sentinels and rejects non-finite positions', () => {
    apply(doc, { op: 'move', positions: { a: { x: 1, y: 2 }, __end__: { x: 3, y: 3 } } });
    expect(doc.canvas.positions).toEqual({ a: { x: 1, y: 2 }, b: { x: 200, y: 0 } });
    expect(() => apply(doc, { op: 'move', positions: { a: { x: NaN, y: 0 } } })).toThrow(
      "position of 'a' must be finite numbers"
    );
  });

  it.each<[Diff, string]>([
    [{ op: 'add_node', node: { id: 'a', kind: 'builtin', type: 'T', config: {} } }, "node 'a' already exists"],
    [
      { op: 'add_node', node: { id: '__end__', kind: 'builtin', type: 'T', config: {} } },
      "node id '__end__' is reserved for the graph's start/end"
    ],
    [
      { op: 'add_node', node: { id: ' ', kind: 'builtin', type: 'T', config: {} } },
      'a node id must be a non-empty string'
    ],
    [{ op: 'add_node', node: { id: 'c', kind: 'builtin', type: '', config: {} } }, 'a builtin node needs a type'],
    [{ op: 'add_node', node: { id: 'c', kind: 'weird' } as never }, 'unknown node kind "weird"'],
    [{ op: 'remove_node', id: 'zz' }, "no node 'zz'"],
    [{ op: 'rename_node', id: 'a', new_id: 'b' }, "node 'b' already exists"],
    [{ op: 'add_edge', source: 'a', target: 'zz' }, "edge end 'zz' is not a node"],
    [{ op: 'add_edge', source: '__end__', target: 'a' }, 'an edge cannot leave __end__'],
    [{ op: 'add_edge', source: 'a', target: '__start__' }, 'an edge cannot enter __start__'],
    [{ op: 'add_edge', source: 'a', target: 'b' }, 'edge a → b already exists'],
    [{ op: 'remove_edge', source: 'b', target: 'a' }, 'no edge b → a'],
    [
      { op: 'set_conditional_edge', source: 'a', edge: { path: 'p', mapping: { x: '__start__' } } },
      "route target '__start__' is not a node"
    ],
    [{ op: 'set_config', id: 'a', config: [] as never }, 'config must be an object'],
    [{ op: 'update_node', id: 'a', fields: { body: 'x' } }, "field 'body' cannot be set on a builtin node"],
    [{ op: 'update_node', id: 'b', fields: { body: null as never } }, 'body cannot be empty'],
    [{ op: 'set_entrypoint', id: 'zz' }, "no node 'zz'"],
    [{ op: 'set_meta', name: '  ' }, 'a workflow needs a name'],
    [
      { op: 'set_comment', id: 'n', comment: { text: 'x', x: Infinity, y: 0 } },
      "a note's position must be finite numbers"
    ],
    [{ op: 'set_pin', id: 'a', output: undefined as never }, 'set_pin needs an output (any JSON value)'],
    [{ op: 'bogus' } as never, 'unknown diff op "bogus"']
  ])('rejects %j with a clear error and leaves the document unchanged', (diff, message) => {
    const before = dumps(doc);
    let error: unknown;
    try {
      apply(doc, diff);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DiffError);
    expect((error as Error).message).toBe(message);
    expect(dumps(doc)).toBe(before);
  });

  it('refuses graph edits on a LangGraph script document but allows notes and meta', () => {
    const script: WorkflowDocument = {
      name: 's',
      canvas: { positions: {}, comments: [] },
      graph: { format: 'langgraph-script', source: 'x = 1' } as never
    };
    expect(() => apply(script, { op: 'remove_node', id: 'a' })).toThrow(
      'this workflow is a LangGraph script: it is read-only on the canvas'
    );
    apply(script, { op: 'set_comment', id: 'n', comment: { text: 't', x: 0, y: 0 } });
    apply(script, { op: 'set_meta', name: 'renamed' });
    expect(script.canvas.comments).toEqual([{ id: 'n', text: 't', x: 0, y: 0 }]);
    expect(script.name).toBe('renamed');
  });
});

describe('removalDiffs', () => {
  it('deletes a node with everything that points at it as one step that undoes exactly', () => {
    const doc = sample();
    const before = dumps(doc);
    const diffs = removalDiffs(doc, ['a'], []);
    expect(diffs).toEqual([
      { op: 'remove_edge', source: '__start__', target: 'a' },
      { op: 'remove_edge', source: 'a', target: 'b' },
      {
        op: 'set_conditional_edge',
        source: 'b',
        edge: { path: 'results.b.ok', mapping: { true: '__end__' }, default: null }
      },
      { op: 'set_entrypoint', id: null },
      { op: 'remove_node', id: 'a' }
    ]);
    const undo = applyAll(doc, diffs);
    expect(irOf(doc).nodes.map(n => n.id)).toEqual(['b']);
    applyAll(doc, undo);
    expect(dumps(doc)).toBe(before);
  });
});

describe('applyAll', () => {
  it('applies a batch and returns the inverse that undoes it as one step', () => {
    const doc = sample();
    const before = dumps(doc);
    const undo = applyAll(doc, [
      { op: 'add_node', node: { id: 'c', kind: 'builtin', type: 'T', config: {} } },
      { op: 'add_edge', source: 'b', target: 'c' }
    ]);
    expect(irOf(doc).edges).toContainEqual({ source: 'b', target: 'c' });
    expect(undo.map(d => d.op)).toEqual(['remove_edge', 'remove_node']);
    applyAll(doc, undo);
    expect(dumps(doc)).toBe(before);
  });

  it('restores the document when a later diff of the batch fails', () => {
    const doc = sample();
    const before = dumps(doc);
    expect(() =>
      applyAll(doc, [
        { op: 'add_node', node: { id: 'c', kind: 'builtin', type: 'T', config: {} } },
        { op: 'add_edge', source: 'c', target: 'missing' }
      ])
    ).toThrow("edge end 'missing' is not a node");
    expect(dumps(doc)).toBe(before);
  });
});

describe('freshId', () => {
  it('derives snake_case ids from type names and skips taken ones', () => {
    const ir = irOf(sample());
    expect(freshId(ir, 'SetVariableNode')).toBe('set_variable');
    expect(freshId(ir, 'HTTPRequestNode')).toBe('httprequest');
    expect(freshId(ir, '--')).toBe('node');
    expect(freshId(ir, 'a')).toBe('a_2');
    ir.nodes.push({ id: 'a_2', kind: 'builtin', type: 'T', config: {} });
    expect(freshId(ir, 'a')).toBe('a_3');
    expect(freshId(null, 'b')).toBe('b');
  });
});
