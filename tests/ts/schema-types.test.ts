import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { BuiltinNode, Trigger, WorkflowDocument } from '../../src/canvas/types';

const ROOT = join(__dirname, '..', '..');

describe('document types generated from schema/workflow.schema.json', () => {
  it('src/canvas/schema.gen.ts is what the generator writes from the checked-in schema', () => {
    // Exits 1 (and says to run `npm run gen:types`) when the schema moved on.
    expect(() =>
      execFileSync('node', ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' })
    ).not.toThrow();
  });

  it('names every model of the schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'workflow.schema.json'), 'utf-8')) as {
      $defs: Record<string, unknown>;
    };
    const generated = readFileSync(join(ROOT, 'src', 'canvas', 'schema.gen.ts'), 'utf-8');
    for (const name of [...Object.keys(schema.$defs), 'WorkflowDocument']) {
      expect(generated).toContain(`export interface ${name} {`);
    }
  });

  it('carries the models’ enums and discriminators (checked by tsc before vitest runs)', () => {
    const trigger: Trigger = { type: 'cron', config: { expression: '0 * * * *' } };
    const node: BuiltinNode = { kind: 'builtin', id: 'a', type: 'DebugNode', config: {}, retry: { max_attempts: 2 } };
    const doc: WorkflowDocument = {
      name: 'w',
      triggers: [trigger],
      canvas: { positions: {}, comments: [] },
      graph: {
        format: 'frozen-ir',
        ir: { schema_version: 1, state_ref: 's', nodes: [node], edges: [], conditional_edges: [] }
      }
    };
    // @ts-expect-error: 'yearly' is not a trigger type of the schema
    const wrong: Trigger = { type: 'yearly' };
    expect([doc.triggers?.[0].type, wrong.type]).toEqual(['cron', 'yearly']);
  });
});
