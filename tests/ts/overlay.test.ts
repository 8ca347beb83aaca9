import { describe, expect, it } from 'vitest';

import { statusLine } from '../../src/canvas/graph';
import { emptyRun, foldEvent, inputTarget, renameInRun, RunSnapshot } from '../../src/canvas/overlay';
import { RunEvent } from '../../src/canvas/types';

function fold(events: Omit<RunEvent, 'seq'>[]): RunSnapshot {
  const run = emptyRun('f0rked00aa');
  events.forEach((ev, i) => foldEvent(run, { ...ev, seq: i + 1 } as RunEvent));
  return run;
}

describe('a fork from a step', () => {
  const started = {
    type: 'run_started',
    at: '2026-12-06T16:00:00Z',
    data: { inputs: {}, forked_from: { run_id: 'source01', checkpoint_id: 'cp', carried: ['a'] } }
  };

  it('shows the results it carries as carried over, not as nodes it never reached', () => {
    const run = fold([
      started,
      { type: 'node_started', node: 'b', at: '2026-12-06T16:00:00Z', data: {} },
      { type: 'node_finished', node: 'b', at: '2026-12-06T16:00:00Z', data: { output: 50, duration_ms: 1 } },
      { type: 'run_finished', at: '2026-12-06T16:00:01Z', data: {} }
    ]);
    expect(run.forkedFrom).toBe('source01');
    expect(run.nodes.a).toEqual({ status: 'carried', attempt: 1 });
    expect(run.nodes.b.status).toBe('succeeded');
    expect(statusLine(run, true, ['a', 'b', 'c'])).toBe(
      'Run f0rked00: succeeded · 1/3 nodes done · 1 carried over · 1 not reached (c)'
    );
  });

  it('says so while it runs, too', () => {
    const run = fold([started]);
    expect(statusLine(run, true, ['a', 'b'])).toBe('Run f0rked00: running · 0/2 nodes done · 1 carried over');
  });

  it('leaves a run that is no fork as it was', () => {
    const run = fold([{ type: 'run_started', at: '2026-12-06T16:00:00Z', data: { inputs: {} } }]);
    expect(run.forkedFrom).toBeUndefined();
    expect(run.nodes).toEqual({});
  });
});

describe('a node renamed after the run', () => {
  it('keeps its status, output and warnings under its new id', () => {
    const run = fold([
      { type: 'run_started', at: '2026-12-06T16:00:00Z', data: { inputs: {} } },
      { type: 'node_started', node: 'a', at: '2026-12-06T16:00:00Z', data: {} },
      { type: 'template_unresolved', node: 'a', at: '2026-12-06T16:00:00Z', data: { templates: ['{{ x }}'] } },
      { type: 'node_finished', node: 'a', at: '2026-12-06T16:00:00Z', data: { output: 1, duration_ms: 1 } },
      { type: 'node_finished', node: 'a/inner', at: '2026-12-06T16:00:00Z', data: { output: 2, duration_ms: 1 } },
      { type: 'run_finished', at: '2026-12-06T16:00:01Z', data: {} }
    ]);
    renameInRun(run, 'a', 'b');
    expect(Object.keys(run.nodes).sort()).toEqual(['b', 'b/inner']);
    expect(run.nodes.b.output).toBe(1);
    expect(run.warnings[0].node).toBe('b');
    expect(statusLine(run, true, ['b'])).not.toContain('not reached');
  });

  it('looks its input up in that run under the id the run knew, through every rename', () => {
    const run = fold([
      { type: 'run_started', at: '2026-12-06T16:00:00Z', data: { inputs: {} } },
      { type: 'node_started', node: 'a', at: '2026-12-06T16:00:00Z', data: {} },
      { type: 'node_finished', node: 'a', at: '2026-12-06T16:00:00Z', data: { output: 1, duration_ms: 1 } },
      { type: 'run_finished', at: '2026-12-06T16:00:01Z', data: {} }
    ]);
    expect(inputTarget(run, 'a', null)).toEqual({ runId: null });
    renameInRun(run, 'a', 'b');
    renameInRun(run, 'b', 'c');
    expect(inputTarget(run, 'c', null)).toEqual({ runId: 'f0rked00aa', runNode: 'a' });
    expect(inputTarget(run, 'c', 'f0rked00aa')).toEqual({ runId: 'f0rked00aa', runNode: 'a' });
    // Another run chosen: that run's own ids apply.
    expect(inputTarget(run, 'c', 'other0001')).toEqual({ runId: 'other0001' });
    // A node the run never had has nothing to look up there; renamed back, no alias.
    renameInRun(run, 'new', 'newer');
    expect(inputTarget(run, 'newer', null)).toEqual({ runId: null });
    renameInRun(run, 'c', 'a');
    expect(run.formerIds).toEqual({});
    expect(inputTarget(run, 'a', null)).toEqual({ runId: null });
  });
});
