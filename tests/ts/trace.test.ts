import { describe, expect, it } from 'vitest';

import { spanLabel, traceRows, TraceSpan } from '../../src/lab/trace';

function span(
  id: string,
  parent: string | null,
  name: string,
  start: number,
  attributes: Record<string, unknown>
): TraceSpan {
  return {
    trace_id: 'a'.repeat(32),
    span_id: id,
    parent_span_id: parent,
    name,
    kind: 'internal',
    start_ns: start * 1e6,
    end_ns: (start + 1) * 1e6,
    start_ms: start,
    duration_ms: 1,
    status: { code: 'ok', message: null },
    attributes,
    events: [],
    service: { name: 'orcheo-jupyter', pid: 1 }
  };
}

describe('the Trace tab', () => {
  it('shows a resumed run under its first part, each with its own nodes', () => {
    const first = span('r1', null, 'orcheo.run', 0, {
      'orcheo.run.opening': 'run_started',
      'orcheo.run.status': 'interrupted'
    });
    const ask = span('n1', 'r1', 'orcheo.node', 1, { 'orcheo.node.id': 'ask' });
    // The resumed part starts after the first ended: still its child.
    const resumed = span('r2', 'r1', 'orcheo.run', 50, {
      'orcheo.run.opening': 'resumed',
      'orcheo.run.status': 'succeeded'
    });
    const again = span('n2', 'r2', 'orcheo.node', 51, { 'orcheo.node.id': 'ask' });
    const rows = traceRows([again, resumed, ask, first]);
    expect(rows.map(r => [spanLabel(r.span).title, r.depth])).toEqual([
      ['run', 0],
      ['node ask', 1],
      ['run (resumed)', 1],
      ['node ask', 2]
    ]);
    expect(spanLabel(resumed).note).toBe('succeeded');
  });

  it('names a node test and how it ended', () => {
    const root = span('t1', null, 'orcheo.node_test', 0, { 'orcheo.node.id': 'load', 'orcheo.test.status': 'failed' });
    expect(spanLabel(root)).toEqual({ title: 'node test load', note: 'failed' });
  });
});
