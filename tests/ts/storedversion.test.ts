import { describe, expect, it } from 'vitest';

import { WorkflowDocument } from '../../src/canvas/types';
import { choicesText, conflictText, findBase, sameDocument, versionConflict, when } from '../../src/lab/storedversion';

function doc(...nodes: string[]): WorkflowDocument {
  return {
    id: 'w',
    name: 'flow',
    canvas: { positions: {}, comments: [] },
    graph: {
      format: 'frozen-ir',
      ir: {
        schema_version: 1,
        nodes: nodes.map(id => ({ kind: 'builtin', id, type: 'SetVariableNode', config: {} })),
        edges: [],
        conditional_edges: []
      }
    }
  } as unknown as WorkflowDocument;
}

/** What the server stores of ``doc(...)``: every default written out, its own id. */
function stored(...nodes: string[]): WorkflowDocument {
  const d = doc(...nodes) as unknown as Record<string, unknown>;
  return {
    ...d,
    id: 'server-id',
    description: '',
    tags: [],
    inputs_schema: {},
    triggers: [],
    canvas: { positions: {}, comments: [], viewport: null },
    graph: {
      format: 'frozen-ir',
      entrypoint: null,
      ir: {
        schema_version: 1,
        state_ref: null,
        entrypoint: null,
        nodes: nodes.map(id => ({
          kind: 'builtin',
          id,
          type: 'SetVariableNode',
          config: {},
          retry: null,
          timeout: null
        })),
        edges: [],
        conditional_edges: []
      }
    }
  } as unknown as WorkflowDocument;
}

describe('versionConflict', () => {
  it('reads the base and latest versions of a 409 version_conflict', () => {
    const err = {
      status: 409,
      code: 'version_conflict',
      details: { field: 'base_version', base_version: 1, latest: 3 }
    };
    expect(versionConflict(err)).toEqual({ base: 1, latest: 3 });
    expect(versionConflict({ ...err, details: { base_version: 0, latest: 1 } })).toEqual({ base: 0, latest: 1 });
  });

  it('is null for any other error', () => {
    expect(versionConflict({ status: 409, code: 'conflict', details: null })).toBeNull();
    expect(
      versionConflict({ status: 422, code: 'version_conflict', details: { base_version: 1, latest: 2 } })
    ).toBeNull();
    expect(versionConflict({ status: 409, code: 'version_conflict', details: null })).toBeNull();
    expect(versionConflict(new Error('network'))).toBeNull();
    expect(versionConflict(null)).toBeNull();
  });
});

describe('sameDocument', () => {
  it('takes the server form (defaults written out, its id) as the same document', () => {
    expect(sameDocument(doc('a', 'b'), stored('a', 'b'))).toBe(true);
  });

  it('sees any change of substance', () => {
    expect(sameDocument(doc('a', 'b'), stored('a'))).toBe(false);
    const renamed = { ...doc('a'), name: 'other' } as WorkflowDocument;
    expect(sameDocument(renamed, doc('a'))).toBe(false);
    const moved = doc('a');
    moved.canvas!.positions = { a: { x: 1, y: 2 } };
    expect(sameDocument(moved, doc('a'))).toBe(false);
  });

  it('keeps false and 0, which are not defaults', () => {
    const a = doc('a');
    const b = doc('a');
    (b as unknown as Record<string, unknown>).triggers = [{ type: 'cron', enabled: false, config: {} }];
    (a as unknown as Record<string, unknown>).triggers = [{ type: 'cron', config: {} }];
    expect(sameDocument(a, b)).toBe(false);
  });
});

describe('findBase', () => {
  const versions: Record<number, WorkflowDocument> = { 1: stored('a'), 2: stored('a', 'b'), 3: stored('a', 'b', 'c') };
  const fetch = (v: number): Promise<WorkflowDocument | null> => Promise.resolve(versions[v] ?? null);
  const latest = { version: 3, document: versions[3] };

  it('is 0 for a workflow never stored', async () => {
    expect(await findBase(doc('a'), null, 2, fetch)).toEqual({ version: 0, source: 'new' });
  });

  it('is the latest when the file holds it', async () => {
    expect(await findBase(doc('a', 'b', 'c'), latest, 1, fetch)).toEqual({ version: 3, source: 'latest' });
  });

  it('is the earlier version the file holds when someone stored newer ones', async () => {
    expect(await findBase(doc('a'), latest, 3, fetch)).toEqual({ version: 1, source: 'older' });
  });

  it('looks back only so far, and skips versions it cannot read', async () => {
    const asked: number[] = [];
    const failing = (v: number): Promise<WorkflowDocument | null> => {
      asked.push(v);
      return v === 2 ? Promise.reject(new Error('gone')) : fetch(v);
    };
    expect(await findBase(doc('a'), latest, null, failing)).toEqual({ version: 1, source: 'older' });
    expect(asked).toEqual([2, 1]);
    asked.length = 0;
    expect(await findBase(doc('a'), latest, null, failing, 1)).toEqual({ version: 3, source: 'assumed' });
    expect(asked).toEqual([2]);
  });

  it('takes the remembered version for unstored edits, when the server still has it', async () => {
    expect(await findBase(doc('x'), latest, 2, fetch)).toEqual({ version: 2, source: 'remembered' });
    expect(await findBase(doc('x'), latest, 7, fetch)).toEqual({ version: 3, source: 'assumed' });
    expect(await findBase(doc('x'), latest, null, fetch)).toEqual({ version: 3, source: 'assumed' });
  });
});

describe('the conflict dialog text', () => {
  it('says which version the edits were made from and which the server has', () => {
    const at = '2026-12-06T22:41:07.123456+00:00';
    const local = new Date(Date.UTC(2026, 11, 6, 22, 41, 7, 123)).toLocaleString();
    expect(conflictText('flow', { base: 1, latest: 2 }, at)).toBe(
      '"flow" changed on the server while you were editing: your canvas was made from version 1, ' +
        `the server now has version 2 (stored ${local}). Storing your canvas would replace those changes.`
    );
  });

  it('says when a never-stored document was stored by someone else', () => {
    expect(conflictText('flow', { base: 0, latest: 1 }, null)).toBe(
      '"flow" was stored on the server by someone else after this file was opened: the server now has ' +
        'version 1. Storing your canvas would replace it.'
    );
  });

  it('names the versions each choice leads to', () => {
    const [reload, overwrite, cancel] = choicesText({ base: 1, latest: 4 });
    expect(reload).toContain('the canvas shows version 4');
    expect(overwrite).toContain('stored as version 5, on top of theirs; version 4 stays in the history');
    expect(cancel).toBe('Cancel: nothing is stored; your edits stay on the canvas.');
  });

  it('writes server timestamps in local time, as the run pickers do', () => {
    const local = new Date(Date.UTC(2026, 11, 6, 22, 41, 7, 500)).toLocaleString();
    expect(when('2026-12-06T22:41:07.5+00:00')).toBe(local);
    expect(when('2026-12-06T22:41:07.500Z')).toBe(local);
    expect(when('not a time')).toBe('not a time');
    expect(when(null)).toBe('');
  });
});
