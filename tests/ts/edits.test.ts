import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { dumps } from '../../src/canvas/canonical';
import { DiffError, apply, applyAll, quote } from '../../src/canvas/doc';
import { Diff, WorkflowDocument } from '../../src/canvas/types';

// The shared edit fixtures: orcheo_jupyter/spec/edits.py reproduces the same file
// (tests/spec/test_edit_fixtures.py), so the canvas and the kernel agree on every edit.
const FIXTURES = join(__dirname, 'fixtures', 'edits');

interface Case {
  name: string;
  start: string;
  edits: Diff[];
  expected?: string;
  error?: { index: number; op: string; reason: string };
}

const CASES = (JSON.parse(readFileSync(join(FIXTURES, 'sequences.json'), 'utf-8')) as { cases: Case[] }).cases;
const text = (name: string): string => readFileSync(join(FIXTURES, name), 'utf-8');

describe('shared edit fixtures', () => {
  it('has both kinds of case', () => {
    expect(CASES.filter(c => c.expected).length).toBeGreaterThan(3);
    expect(CASES.filter(c => c.error).length).toBeGreaterThan(10);
  });

  for (const c of CASES.filter(c => c.expected)) {
    it(`${c.name}: gives the expected canonical JSON, and its undo gives the start back`, () => {
      const start = text(c.start);
      const doc = JSON.parse(start) as WorkflowDocument;
      const undo = applyAll(doc, c.edits);
      expect(dumps(doc)).toBe(text(c.expected as string));
      for (const d of undo) apply(doc, d);
      expect(dumps(doc)).toBe(start);
    });
  }

  for (const c of CASES.filter(c => c.error)) {
    it(`${c.name}: is refused at the same edit with the same reason, the document untouched`, () => {
      const start = text(c.start);
      const doc = JSON.parse(start) as WorkflowDocument;
      let error: unknown = null;
      try {
        applyAll(doc, c.edits);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DiffError);
      const refused = error as DiffError;
      expect({ index: refused.index, op: refused.op, reason: refused.message }).toEqual(c.error);
      expect(dumps(doc)).toBe(start);
    });
  }
});

describe('quote', () => {
  it.each([
    ['a', "'a'"],
    ["it's", `"it's"`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash', "'back\\\\slash'"],
    ['line\nbreak\t', "'line\\nbreak\\t'"],
    ['é ✓', "'é ✓'"]
  ])('quotes %j as Python repr() does: %s', (value, repr) => {
    expect(quote(value)).toBe(repr);
  });
});
