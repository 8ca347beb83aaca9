import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { dumps, pyFloat } from '../../src/canvas/canonical';

const FIXTURES = join(__dirname, 'fixtures');

describe('dumps', () => {
  it('rewrites Python canonical text byte for byte after a JSON round trip', () => {
    // What the canvas does: it receives Python's JSON (floats such as 100.0 arrive as
    // the number 100), edits it and saves. The bytes must equal spec.dumps; the
    // fixture is pinned to Python by tests/spec/test_ts_canonical_fixture.py.
    const expected = readFileSync(join(FIXTURES, 'canonical_expected.json'), 'utf-8');
    expect(dumps(JSON.parse(expected))).toBe(expected);
  });

  it('omits the members Python leaves out when they are None', () => {
    const doc = {
      id: null,
      name: 'w',
      canvas: { positions: {}, viewport: null, comments: [] },
      triggers: [{ id: null, type: 'cron', config: {}, enabled: true }],
      graph: {
        format: 'frozen-ir',
        ir: {
          nodes: [{ id: 'a', kind: 'builtin', type: 'T', config: {}, retry: null, timeout: null }],
          edges: [],
          conditional_edges: []
        }
      }
    };
    const out = JSON.parse(dumps(doc));
    expect(out).not.toHaveProperty('id');
    expect(out.canvas).not.toHaveProperty('viewport');
    expect(out.triggers[0]).not.toHaveProperty('id');
    expect(out.graph.ir.nodes[0]).toEqual({ id: 'a', kind: 'builtin', type: 'T', config: {} });
  });

  it('writes floats only where the model declares them', () => {
    const doc = {
      name: 'w',
      canvas: { positions: { a: { x: 1, y: 2 } }, comments: [] },
      graph: {
        format: 'frozen-ir',
        ir: { nodes: [{ id: 'a', kind: 'code', body: '', config: { n: 5 }, injected: [], timeout: 5 }] }
      }
    };
    const text = dumps(doc);
    expect(text).toContain('"x": 1.0');
    expect(text).toContain('"timeout": 5.0');
    expect(text).toContain('"n": 5\n');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('sorts keys by code point, not UTF-16 unit, and keeps non-ASCII text', () => {
    const text = dumps({ '😀': 1, ｚ: 2, a: 'é' });
    expect(text).toBe('{\n  "a": "é",\n  "ｚ": 2,\n  "😀": 1\n}\n');
  });

  it('writes empty containers inline', () => {
    expect(dumps({ a: [], b: {} })).toBe('{\n  "a": [],\n  "b": {}\n}\n');
  });
});

describe('pyFloat', () => {
  it.each([
    [100, '100.0'],
    [-40.5, '-40.5'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.2345678901234568e20, '1.2345678901234568e+20'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [NaN, 'NaN']
  ])('pyFloat(%s) is Python repr %s', (n, repr) => {
    expect(pyFloat(n)).toBe(repr);
  });
});
