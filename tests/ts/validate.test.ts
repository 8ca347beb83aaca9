import { describe, expect, it } from 'vitest';

import { CatalogEntry, GraphIR, WorkflowDocument } from '../../src/canvas/types';
import { localProblems } from '../../src/canvas/validate';

const CATALOG: CatalogEntry[] = [
  {
    type: 'SetVariableNode',
    category: 'data',
    description: '',
    icon: '',
    trigger: false,
    config_schema: { type: 'object', required: ['variables'] }
  }
];

function docOf(ir: Partial<GraphIR>, entrypoint: string | null = null): WorkflowDocument {
  return {
    name: 'w',
    canvas: { positions: {}, comments: [] },
    graph: {
      format: 'frozen-ir',
      entrypoint,
      ir: { schema_version: 1, state_ref: 'S', nodes: [], edges: [], conditional_edges: [], ...ir }
    }
  };
}

describe('localProblems', () => {
  it('finds nothing wrong in a linear graph', () => {
    const doc = docOf({
      nodes: [{ id: 'a', kind: 'builtin', type: 'SetVariableNode', config: { variables: {} } }],
      edges: [
        { source: '__start__', target: 'a' },
        { source: 'a', target: '__end__' }
      ]
    });
    expect(localProblems(doc, CATALOG)).toEqual([]);
  });

  it('reports unknown types, missing settings and duplicate ids on the right node and field', () => {
    const doc = docOf(
      {
        nodes: [
          { id: 'a', kind: 'builtin', type: 'SetVariableNode', config: {} },
          { id: 'b', kind: 'builtin', type: 'NoSuchNode', config: {} },
          { id: 'a', kind: 'code', body: '', config: {}, injected: [] }
        ],
        edges: [
          { source: 'a', target: 'b' },
          { source: 'b', target: '__end__' }
        ]
      },
      'a'
    );
    expect(localProblems(doc, CATALOG)).toEqual([
      {
        severity: 'error',
        code: 'missing',
        message: 'required field is missing',
        node: 'a',
        field: 'config.variables'
      },
      { severity: 'error', code: 'unknown_type', message: 'unknown node type "NoSuchNode"', node: 'b', field: 'type' },
      { severity: 'error', code: 'duplicate_id', message: 'duplicate node id', node: 'a', field: 'id' }
    ]);
  });

  it('skips catalog checks when no catalog is loaded', () => {
    const doc = docOf(
      {
        nodes: [{ id: 'b', kind: 'builtin', type: 'NoSuchNode', config: {} }],
        edges: [{ source: 'b', target: '__end__' }]
      },
      'b'
    );
    expect(localProblems(doc, [])).toEqual([]);
  });

  it('reports dangling edges and routes', () => {
    const doc = docOf(
      {
        nodes: [{ id: 'a', kind: 'code', body: '', config: {}, injected: [] }],
        edges: [{ source: 'a', target: 'ghost' }],
        conditional_edges: [{ source: 'a', path: 'p', mapping: { x: 'nowhere' }, default: null }]
      },
      'a'
    );
    expect(localProblems(doc, CATALOG)).toEqual([
      { severity: 'error', code: 'dangling_edge', message: 'edge end "ghost" is not a node', field: 'edges[0]' },
      { severity: 'error', code: 'dangling_target', message: 'routes to "nowhere", which is not a node', node: 'a' }
    ]);
  });

  it('requires an entrypoint once the graph has nodes', () => {
    const doc = docOf({ nodes: [{ id: 'a', kind: 'code', body: '', config: {}, injected: [] }] });
    expect(localProblems(doc, CATALOG)).toEqual([
      {
        severity: 'error',
        code: 'no_entrypoint',
        message: 'graph has no entrypoint and no __start__ edge',
        field: 'entrypoint'
      }
    ]);
  });

  it('says an empty graph cannot run yet, as the server does', () => {
    expect(localProblems(docOf({}), CATALOG)).toEqual([
      {
        severity: 'error',
        code: 'empty_graph',
        message: 'graph has no nodes: add one and connect __start__ to it',
        field: 'nodes'
      }
    ]);
  });

  it('warns about unreachable nodes and nodes with no way to __end__', () => {
    const code = (id: string) => ({ id, kind: 'code' as const, body: '', config: {}, injected: [] });
    const doc = docOf({
      nodes: [code('a'), code('loop'), code('island')],
      edges: [
        { source: '__start__', target: 'a' },
        { source: 'a', target: 'loop' },
        { source: 'loop', target: 'loop' }
      ]
    });
    expect(localProblems(doc, CATALOG)).toEqual([
      { severity: 'warning', code: 'no_path_to_end', message: 'node has no path to __end__', node: 'a' },
      { severity: 'warning', code: 'no_path_to_end', message: 'node has no path to __end__', node: 'loop' },
      { severity: 'warning', code: 'unreachable', message: 'node is not reachable from the entrypoint', node: 'island' }
    ]);
  });

  it('counts a conditional edge as a way to __end__', () => {
    const doc = docOf(
      {
        nodes: [{ id: 'a', kind: 'code', body: '', config: {}, injected: [] }],
        conditional_edges: [{ source: 'a', path: 'p', mapping: { again: 'a' }, default: null }]
      },
      'a'
    );
    expect(localProblems(doc, CATALOG)).toEqual([]);
  });

  it('has nothing to say about LangGraph script documents', () => {
    const doc = { name: 's', canvas: { positions: {}, comments: [] }, graph: { format: 'langgraph-script' } } as never;
    expect(localProblems(doc, CATALOG)).toEqual([]);
  });
});
