import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { BuiltinNode, Diff, Trigger, WorkflowDocument } from '../../src/canvas/types';

const ROOT = join(__dirname, '..', '..');

describe('types generated from schema/workflow.schema.json and schema/edits.schema.json', () => {
  it('src/canvas/schema.gen.ts is what the generator writes from the checked-in schema', () => {
    // Exits 1 (and says to run `npm run gen:types`) when the schema moved on.
    expect(() =>
      execFileSync('node', ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' })
    ).not.toThrow();
  });

  it.each([
    ['workflow.schema.json', 'schema.gen.ts'],
    ['edits.schema.json', 'edits.gen.ts']
  ])('%s: every model of the schema has its type in %s', (schemaFile, generatedFile) => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', schemaFile), 'utf-8')) as {
      $defs: Record<string, unknown>;
    };
    const generated = readFileSync(join(ROOT, 'src', 'canvas', generatedFile), 'utf-8');
    for (const name of Object.keys(schema.$defs)) {
      expect(generated).toContain(`export interface ${name} {`);
    }
  });

  it('the canvas sends every op the edit engine accepts, and no other', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'edits.schema.json'), 'utf-8')) as {
      oneOf: { $ref: string }[];
      $defs: Record<string, { properties: { op: { const: string } } }>;
    };
    const ops = schema.oneOf.map(ref => schema.$defs[ref.$ref.split('/').pop() as string].properties.op.const);
    const all: Record<Diff['op'], true> = {
      add_node: true,
      remove_node: true,
      rename_node: true,
      set_config: true,
      update_node: true,
      move: true,
      add_edge: true,
      remove_edge: true,
      set_conditional_edge: true,
      set_entrypoint: true,
      set_viewport: true,
      set_comment: true,
      set_meta: true,
      set_pin: true,
      remove_pin: true
    };
    expect(ops.sort()).toEqual(Object.keys(all).sort());
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
